// Package store owns the shop's database and catalogue: opening SQLite with the right
// pragmas, the embedded migrations of every package, products and categories, site
// settings, and the web plumbing every page shares (visitor session, errors, rendering).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DB holds two pools on one SQLite file. W is the only writer: one connection whose
// transactions start with BEGIN IMMEDIATE, so a read-then-write transaction never fails
// with SQLITE_BUSY half-way; writes reach it through Tx and LightTx, which batch them
// (writer.go). R is a small pool of query-only connections for pages.
type DB struct {
	W *sql.DB
	R *sql.DB

	stmts      sync.Map // query text → *sql.Stmt on R
	wstmts     sync.Map // query text → *sql.Stmt on W
	wpending   sync.Map // query text → struct{}: used in a transaction, not prepared yet
	categories categoryCache
	watch      catalogueWatch // the catalogue's generation, for the listing cache
	listings   listingCache
	slugs      slugHints
	wr         writer

	searchChanged chan struct{} // a product's texts changed: merge the search index (searchindex.go)

	// Now is the clock of the times the catalogue's writes record (stock moves, updates);
	// nil means time.Now. Set it before the first write, as main does with its own.
	Now func() time.Time
}

func (db *DB) now() time.Time {
	if db.Now != nil {
		return db.Now().UTC()
	}
	return time.Now().UTC()
}

// Open opens (creating if needed) the database file at path and applies the embedded
// migrations of the catalogue and then of each given set, in order.
func Open(ctx context.Context, path string, sets ...Migrations) (*DB, error) {
	if path == "" || path == ":memory:" {
		// Every pooled connection to :memory: is its own empty database.
		return nil, errors.New("store: a database file path is required")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", err)
	}
	db := &DB{searchChanged: make(chan struct{}, 1)}
	w := sql.OpenDB(newWatchingConnector(dsn(path, false), &db.watch))
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db.W = w
	db.startWriter()
	all := append([]Migrations{catalogueMigrations}, sets...)
	for _, set := range all {
		if err := db.migrate(ctx, set); err != nil {
			db.stopWriter()
			w.Close()
			return nil, err
		}
	}
	r := sql.OpenDB(connector{drv: newDriver(), dsn: dsn(path, true)})
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)
	db.R = r
	return db, nil
}

// dsn puts every per-connection pragma in the connection string so that each pooled
// connection gets them, not only the first one.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	// Deleted values (the encrypted card digits once mailed) are overwritten, not left in free pages.
	q.Add("_pragma", "secure_delete(1)")
	q.Set("_time_format", "sqlite")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
		// Each write of a batch runs in a savepoint, whose undo pages SQLite keeps in a
		// sub-journal: past 64 KiB it spilled to a temporary file, a system call per page
		// (a twentieth of a checkout's CPU). In memory it costs at most a batch's pages.
		q.Add("_pragma", "temp_store(MEMORY)")
	}
	return "file:" + path + "?" + q.Encode()
}

// Ping answers whether the database answers. It asks a reader: the one writer may be
// busy with a long write, which is not an outage.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.R.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Close closes both pools; the WAL is checkpointed by SQLite when the last one closes.
func (db *DB) Close() error {
	db.stopWriter()
	var errR error
	if db.R != nil {
		db.closeStmts()
		errR = db.R.Close()
	}
	return errors.Join(errR, db.W.Close())
}
