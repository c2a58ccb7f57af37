package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestTx_PreparesEachQueryOnceAndKeepsWorking: a query a transaction used is prepared on
// the writer afterwards and reused by the next transactions, through a schema change, a
// rolled-back transaction and many writers at once; a bad query is an error every time.
func TestTx_PreparesEachQueryOnceAndKeepsWorking(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	const insert = `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`
	const read = `SELECT value FROM settings WHERE key = ?`
	set := func(key, value string) error {
		return db.LightTx(ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(ctx, insert, key, value)
			return err
		})
	}
	if err := set("a", "1"); err != nil {
		t.Fatal(err)
	}
	if _, ok := db.wstmts.Load(insert); !ok {
		t.Fatal("the query was not prepared once its transaction ended")
	}
	first, _ := db.wstmts.Load(insert)

	// A rolled-back transaction changes nothing, with the prepared statement too.
	errBoom := errors.New("boom")
	if err := db.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, insert, "a", "2"); err != nil {
			return err
		}
		return errBoom
	}); !errors.Is(err, errBoom) {
		t.Fatalf("rollback: %v", err)
	}
	var v string
	if err := db.Tx(ctx, func(tx *Tx) error { return tx.QueryRowContext(ctx, read, "a").Scan(&v) }); err != nil || v != "1" {
		t.Fatalf("after a rollback: %q, %v; want 1", v, err)
	}

	// A schema change under a prepared statement: SQLite prepares it again by itself.
	if err := db.Tx(ctx, func(tx *Tx) error {
		_, err := tx.Tx.ExecContext(ctx, `CREATE TABLE extra (x INTEGER); CREATE INDEX settings_value ON settings (value)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := set("b", "2"); err != nil {
		t.Fatalf("after a schema change: %v", err)
	}

	// Many writers at once, each its own key.
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() { errs <- set("k"+strings.Repeat("x", i), "v") })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.R.QueryRow(`SELECT count(*) FROM settings WHERE key LIKE 'k%'`).Scan(&n); err != nil || n != 40 {
		t.Fatalf("%d rows after 40 writers, %v", n, err)
	}
	if now, _ := db.wstmts.Load(insert); now != first {
		t.Error("the statement was prepared again instead of reused")
	}

	// A query SQLite refuses is an error each time and is never kept.
	const bad = `UPDATE nowhere SET x = 1`
	for range 2 {
		err := db.Tx(ctx, func(tx *Tx) error { _, err := tx.ExecContext(ctx, bad); return err })
		if err == nil || !strings.Contains(err.Error(), "nowhere") {
			t.Fatalf("bad query: %v", err)
		}
	}
	if _, ok := db.wstmts.Load(bad); ok {
		t.Error("a query that does not prepare was kept")
	}
}

// Reads drop a request's cancellation (watching it cost two goroutines per query) but
// keep a deadline a caller set on purpose.
func TestReadContext_KeepsDeadlinesDropsCancellation(t *testing.T) {
	cancellable, cancel := context.WithCancel(context.Background())
	defer cancel()
	if readContext(cancellable).Done() != nil {
		t.Error("a read watches a context that can only be cancelled")
	}
	bounded, cancel2 := context.WithTimeout(context.Background(), time.Minute)
	defer cancel2()
	if d, ok := readContext(bounded).Deadline(); !ok || d.IsZero() {
		t.Error("a read dropped its caller's deadline")
	}
	cancel()
	db := mustOpenStore(t)
	if _, err := db.Read(cancellable, `SELECT 1`); err == nil {
		t.Error("a read started for a request that had already ended")
	}
}
