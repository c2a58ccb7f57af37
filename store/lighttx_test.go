package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestTx_SyncModes: a Tx commits synced (FULL), a LightTx without a sync (NORMAL), and a
// batch holding both commits synced.
func TestTx_SyncModes(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	mode := func(run func(context.Context, func(*Tx) error) error) int {
		t.Helper()
		var n int
		if err := run(ctx, func(tx *Tx) error {
			return tx.Tx.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&n) // a prepared PRAGMA keeps the value it was prepared with
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for range 2 { // and back again
		if got := mode(db.LightTx); got != 1 {
			t.Errorf("inside LightTx synchronous = %d, want NORMAL (1)", got)
		}
		if got := mode(db.Tx); got != 2 {
			t.Errorf("inside Tx synchronous = %d, want FULL (2)", got)
		}
	}

	// A batch commits synced when any of its writes needs it.
	batchModes := func(full ...bool) []int {
		t.Helper()
		out := make([]int, len(full))
		var batch []*writeRequest
		for i, f := range full {
			batch = append(batch, &writeRequest{ctx: ctx, full: f, done: make(chan error, 1), fn: func(tx *Tx) error {
				return tx.Tx.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&out[i])
			}})
		}
		db.runBatch(batch)
		for _, r := range batch {
			if err := <-r.done; err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	if got := batchModes(false, true, false); fmt.Sprint(got) != "[2 2 2]" {
		t.Errorf("a batch with a Tx ran at %v, want FULL (2) throughout", got)
	}
	if got := batchModes(false, false); fmt.Sprint(got) != "[1 1]" {
		t.Errorf("a batch of light writes ran at %v, want NORMAL (1)", got)
	}
}

// TestTx_BatchedWritesSucceedOrFailAlone: many writers at once, some failing, one
// panicking and one whose request was cancelled: each failure leaves nothing behind and
// undoes no other write.
func TestTx_BatchedWritesSucceedOrFailAlone(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	insert := func(tx *Tx, key string) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, 'v')`, key)
		return err
	}
	if err := db.Tx(ctx, func(tx *Tx) error { return insert(tx, "taken") }); err != nil {
		t.Fatal(err)
	}
	failed := errors.New("changed my mind")
	var wg sync.WaitGroup
	errs := make([]error, 200)
	for i := range errs {
		key := fmt.Sprintf("k%03d", i)
		run := db.LightTx
		if i%3 == 0 {
			run = db.Tx
		}
		wg.Go(func() {
			errs[i] = run(ctx, func(tx *Tx) error {
				if err := insert(tx, key); err != nil {
					return err
				}
				switch {
				case i%7 == 0:
					return failed // after its insert: the insert must go
				case i%11 == 0:
					return insert(tx, "taken") // a constraint error
				}
				return nil
			})
		})
	}
	wg.Go(func() {
		defer func() {
			if recover() == nil {
				t.Error("a panic in a write did not reach its caller")
			}
		}()
		db.LightTx(ctx, func(tx *Tx) error {
			insert(tx, "panicked")
			panic("boom")
		})
	})
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := db.LightTx(cancelled, func(tx *Tx) error { return insert(tx, "cancelled") }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled write: %v", err)
	}
	wg.Wait()

	want := map[string]bool{}
	for i, err := range errs {
		switch {
		case i%7 == 0:
			if !errors.Is(err, failed) {
				t.Errorf("write %d: %v, want its own error", i, err)
			}
		case i%11 == 0:
			if err == nil {
				t.Errorf("write %d: a constraint error was lost", i)
			}
		default:
			if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
			want[fmt.Sprintf("k%03d", i)] = true
		}
	}
	rows, err := db.R.QueryContext(ctx, `SELECT key FROM settings WHERE key LIKE 'k%' OR key IN ('panicked', 'cancelled')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]bool{}
	for rows.Next() {
		var k string
		rows.Scan(&k)
		got[k] = true
	}
	if len(got) != len(want) {
		t.Errorf("%d rows kept, want %d", len(got), len(want))
	}
	for k := range got {
		if !want[k] {
			t.Errorf("%s was kept", k)
		}
	}
}
