package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// Read runs a read-only query on the reader pool through a statement prepared once per
// query text: SQLite then parses each query once per connection, not on every page view
// (a fifth of a product page's CPU went to parsing SQL before).
//
// A read that has started runs to its end when its context is only cancellable (a
// request's): with a context that can end, database/sql and the driver each start a
// goroutine per query to watch it, which cost more than the short reads a page makes. A
// context that has already ended still stops the read before it starts, and a deadline
// is kept.
func (db *DB) Read(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s, err := db.readStmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(readContext(ctx), args...)
}

// readContext drops ctx's cancellation, unless ctx carries a deadline: a caller that
// bounds a read in time means it.
func readContext(ctx context.Context) context.Context {
	if _, ok := ctx.Deadline(); ok {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// ReadRow is Read for a query that returns at most one row.
func (db *DB) ReadRow(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := db.readStmt(ctx, query)
	if err != nil || ctx.Err() != nil {
		// A *sql.Row cannot be built with an error from outside database/sql, so let the
		// pool report it the usual way.
		return db.R.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(readContext(ctx), args...)
}

func (db *DB) readStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := db.stmts.Load(query); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := db.R.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.stmts.LoadOrStore(query, s); loaded {
		s.Close()
		return prev.(*sql.Stmt), nil
	}
	return s, nil
}

func (db *DB) closeStmts() {
	for _, m := range []*sync.Map{&db.stmts, &db.wstmts} {
		m.Range(func(k, v any) bool {
			v.(*sql.Stmt).Close()
			m.Delete(k)
			return true
		})
	}
}

// Tx is a write transaction whose statements are prepared once on the writer, as Read's
// are on the readers: an add to cart spent a fifth of its time parsing its four
// statements. A query's first use is prepared for its transaction only; the writer
// prepares it for good once the transaction is over (it cannot while the transaction
// holds its only connection). Query texts must be constants, values going in args: each
// distinct text keeps a statement. The embedded *sql.Tx runs a text unprepared: a
// script of several statements, or a PRAGMA that reads a setting (SQLite writes the
// value into the statement when it prepares it).
//
// Statements run whatever becomes of the request's context: the driver interrupts a
// cancelled statement, and SQLite then rolls back the whole transaction, which holds the
// other writes of its batch.
type Tx struct {
	*sql.Tx
	db      *DB
	queried map[string]bool // texts this write has run QueryContext with
	after   []func()        // this write's AfterCommit functions
}

// AfterCommit runs fn once this write is committed, on the writer's goroutine, before
// Tx returns to the caller and before any later write starts: functions run in the
// order their writes committed. A write rolled back never runs its functions. fn must
// be short and must not write.
func (tx *Tx) AfterCommit(fn func()) { tx.after = append(tx.after, fn) }

// Commit is refused: a write commits when its function returns nil, with the others of
// its batch, which a commit or rollback of its own would take along.
func (tx *Tx) Commit() error { return errors.New("store: a write commits by returning nil") }

// Rollback is refused: a write is rolled back by returning an error.
func (tx *Tx) Rollback() error {
	return errors.New("store: a write is rolled back by returning an error")
}

// ExecContext runs query through the writer's statement for it.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	if s := tx.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs query through the writer's statement for it, the first time in a
// write: the driver keeps one SQLite statement per prepared one, so a second use while
// the first one's rows may still be open runs the text unprepared.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	if !tx.queried[query] {
		if tx.queried == nil {
			tx.queried = map[string]bool{}
		}
		tx.queried[query] = true
		if s := tx.stmt(ctx, query); s != nil {
			return s.QueryContext(ctx, args...)
		}
	}
	return tx.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs query through the writer's statement for it.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	if s := tx.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, query, args...)
}

// stmt is this transaction's handle on the writer's statement for query, or nil (and the
// query noted for preparing) when there is none yet.
func (tx *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	if s, ok := tx.db.wstmts.Load(query); ok {
		return tx.Tx.StmtContext(ctx, s.(*sql.Stmt))
	}
	tx.db.wpending.Store(query, struct{}{})
	return nil
}

// prepareWrites prepares on the writer the queries transactions used without a statement.
// The writer calls it after each batch, once the connection is back in the pool.
func (db *DB) prepareWrites(ctx context.Context) {
	db.wpending.Range(func(k, _ any) bool {
		db.wpending.Delete(k)
		query := k.(string)
		if _, ok := db.wstmts.Load(query); ok {
			return true
		}
		s, err := db.W.PrepareContext(context.WithoutCancel(ctx), query)
		if err != nil {
			return true // the transaction reported it; it runs unprepared next time
		}
		if _, loaded := db.wstmts.LoadOrStore(query, s); loaded {
			s.Close()
		}
		return true
	})
}

// Prepared is the reader pool seen through prepared statements, for code written against
// the QueryContext and QueryRowContext pair that *sql.DB and *Tx share. Query texts must
// be constants or drawn from a small fixed set: each keeps a statement.
type Prepared struct{ db *DB }

// Prepared reads through statements prepared once per query text.
func (db *DB) Prepared() Prepared { return Prepared{db} }

func (p Prepared) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return p.db.Read(ctx, query, args...)
}

func (p Prepared) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return p.db.ReadRow(ctx, query, args...)
}
