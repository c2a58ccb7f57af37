package checkout

import (
	"slices"
	"sync"
	"time"
)

// A shopper's purchase reads its order on every page after the form: where the order
// lands, the payment page, the card form, the card post, the order page. Each read was
// three queries on a reader connection whose page cache the latest commit had emptied,
// about a fifth of the shop's work per purchase. The write that placed or changed the
// order has it in hand, so it leaves it here for those pages.
//
// Only writes fill the cache, from their own transaction, in commit order (AfterCommit
// runs on the writer's goroutine before the write returns), and every write to an order
// either leaves its new state or removes the old one: a page never sees an order older
// than the last write this process made to it. A reader never fills it, so a read that
// raced a write cannot leave a stale copy behind. What another process writes to the
// same database shows once the copy is orderCacheTTL old.

const (
	orderCacheTTL  = 5 * time.Second
	orderCacheSize = 1024
)

type cachedOrder struct {
	o  Order
	at time.Time
}

// stale says the copy is too old to use (or the clock went back past it).
func (e cachedOrder) stale(now time.Time) bool {
	return now.Sub(e.at) >= orderCacheTTL || now.Before(e.at)
}

type orderCache struct {
	mu sync.Mutex
	m  map[string]cachedOrder // by reference
}

// get returns a copy of the order with that reference if a write left it less than
// orderCacheTTL ago.
func (c *orderCache) get(ref string, now time.Time) (Order, bool) {
	c.mu.Lock()
	e, ok := c.m[ref]
	c.mu.Unlock()
	if !ok || e.stale(now) {
		return Order{}, false
	}
	o := e.o
	o.Lines, o.VAT = slices.Clone(o.Lines), slices.Clone(o.VAT)
	return o, true
}

// parts returns copies of the lines and VAT breakdown of the order with that reference
// and id, if a copy of it is kept, however old.
func (c *orderCache) parts(ref string, id int64) ([]Line, []VATLine, bool) {
	c.mu.Lock()
	e, ok := c.m[ref]
	c.mu.Unlock()
	if !ok || e.o.ID != id {
		return nil, nil, false
	}
	return slices.Clone(e.o.Lines), slices.Clone(e.o.VAT), true
}

// put keeps o as its reference's latest state. Call it only from AfterCommit.
func (c *orderCache) put(o Order, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]cachedOrder)
	}
	if _, ok := c.m[o.Reference]; !ok && len(c.m) >= orderCacheSize {
		c.sweep(now)
	}
	c.m[o.Reference] = cachedOrder{o: o, at: now}
}

// forget drops the order with that reference. Call it only from AfterCommit.
func (c *orderCache) forget(ref string) {
	c.mu.Lock()
	delete(c.m, ref)
	c.mu.Unlock()
}

// sweep makes room: the copies too old to be used go, and if that is not enough, half
// of the others (a full cache means more purchases at once than it was sized for, and
// a miss only costs a read).
func (c *orderCache) sweep(now time.Time) {
	for ref, e := range c.m {
		if e.stale(now) {
			delete(c.m, ref)
		}
	}
	for ref := range c.m {
		if len(c.m) < orderCacheSize/2 {
			break
		}
		delete(c.m, ref)
	}
}
