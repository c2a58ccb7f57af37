package store

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
)

// The shop's listings (the home page, each category's pages) are read far more often
// than the catalogue changes, and reading their 25 cards was half a listing page's CPU.
// ProductPage keeps each listing page it reads until the catalogue changes:
//
//   - every writer connection reports each row it changes in products or categories
//     (SQLite's pre-update hook), and the writer bumps the catalogue's generation again
//     once the change is committed; a page read under another generation is not used;
//   - a change made by another process sharing the database shows within listingTTL.
//
// A card shows the stock (its badge), so every order also makes the listings be read
// again: the cache pays while shoppers browse and costs a comparison while they buy.

// listingTTL bounds how long another process's change can go unseen.
const listingTTL = 5 * time.Second

// listingCacheSize bounds the pages kept (a card is ~200 bytes, a page 25 cards); past
// it the cache starts afresh, so page after page of a huge category cannot grow it.
const listingCacheSize = 256

// catalogueWatch is the catalogue's generation.
type catalogueWatch struct {
	gen     atomic.Uint64
	touched atomic.Bool // a row changed since the writer last committed
}

// noteRow is the writer connections' pre-update hook. It bumps the generation at once
// too, so that a write made outside the writer's batches (migrations, tests) is seen.
func (w *catalogueWatch) noteRow(d sqlite.SQLitePreUpdateData) {
	switch d.TableName {
	case "products", "categories":
		w.touched.Store(true)
		w.gen.Add(1)
	}
}

// committed runs after each of the writer's transactions, before its writes are
// answered: a read that began before the commit and stored what it saw under the
// generation of that moment is not used after it.
func (w *catalogueWatch) committed() {
	if w.touched.Swap(false) {
		w.gen.Add(1)
	}
}

// watchingConnector opens the writer's connections with the pre-update hook installed,
// a connection the pool reopens included.
type watchingConnector struct {
	connector
	watch *catalogueWatch
}

func newWatchingConnector(dsn string, watch *catalogueWatch) *watchingConnector {
	// A driver of its own, so that the hook reaches only the writer's connections.
	drv := newDriver()
	drv.RegisterConnectionHook(func(c sqlite.ExecQuerierContext, _ string) error {
		h, ok := c.(sqlite.HookRegisterer)
		if !ok {
			return errNoHook
		}
		h.RegisterPreUpdateHook(watch.noteRow)
		return nil
	})
	return &watchingConnector{connector: connector{drv: drv, dsn: dsn}, watch: watch}
}

var errNoHook = errors.New("store: the SQLite driver offers no pre-update hook")

type listingKey struct {
	category      int64
	offset, limit int
}

type listingPage struct {
	cards []Product // shared: never changed once stored
	more  bool
	gen   uint64
	at    time.Time
}

type listingCache struct {
	mu    sync.RWMutex
	pages map[listingKey]listingPage
}

func (lc *listingCache) get(k listingKey, gen uint64, now time.Time) (listingPage, bool) {
	lc.mu.RLock()
	p, ok := lc.pages[k]
	lc.mu.RUnlock()
	return p, ok && p.gen == gen && now.Sub(p.at) < listingTTL
}

func (lc *listingCache) put(k listingKey, p listingPage) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.pages == nil || len(lc.pages) >= listingCacheSize {
		lc.pages = make(map[listingKey]listingPage, 64)
	}
	lc.pages[k] = p
}
