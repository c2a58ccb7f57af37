package store

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
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

// TestTx_WriterSurvivesMisuse: a write that ends its goroutine, commits or rolls back on
// its own, or runs one query inside another of the same text, harms no other write; a
// caller whose context ends while the writer is busy gives up without writing.
func TestTx_WriterSurvivesMisuse(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	count := func(key string) int {
		t.Helper()
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT count(*) FROM settings WHERE key = ?`, key).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	set := func(tx *Tx, key string) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, 'v')`, key)
		return err
	}

	// runtime.Goexit (t.FailNow in a test) inside a write.
	done := make(chan error)
	go func() {
		defer func() { done <- errors.New("the caller's goroutine ended") }()
		done <- db.LightTx(ctx, func(tx *Tx) error {
			set(tx, "goexit")
			runtime.Goexit()
			return nil
		})
	}()
	if err := <-done; !errors.Is(err, errGoexit) {
		t.Errorf("a write that ended its goroutine: %v, want errGoexit", err)
	}
	<-done
	if err := db.LightTx(ctx, func(tx *Tx) error { return set(tx, "after goexit") }); err != nil || count("after goexit") != 1 || count("goexit") != 0 {
		t.Errorf("after a Goexit: %v, %d, %d", err, count("after goexit"), count("goexit"))
	}

	// Commit and Rollback of its own are refused; returning is what commits.
	if err := db.Tx(ctx, func(tx *Tx) error {
		if err := set(tx, "own commit"); err != nil {
			return err
		}
		if tx.Commit() == nil || tx.Rollback() == nil {
			t.Error("a write could commit or roll back on its own")
		}
		return nil
	}); err != nil || count("own commit") != 1 {
		t.Errorf("own commit: %v, %d", err, count("own commit"))
	}

	// The same query text inside its own open rows.
	const list = `SELECT key FROM settings WHERE key LIKE ? ORDER BY key`
	var inner []string
	if err := db.LightTx(ctx, func(tx *Tx) error { // prepares list for the next writes
		rows, err := tx.QueryContext(ctx, list, "%")
		if err == nil {
			err = rows.Close()
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, ok := db.wstmts.Load(list); !ok {
		t.Fatal("the query was not prepared")
	}
	if err := db.LightTx(ctx, func(tx *Tx) error {
		for range 2 {
			rows, err := tx.QueryContext(ctx, list, "%")
			if err != nil {
				return err
			}
			for rows.Next() {
				var k string
				rows.Scan(&k)
				nested, err := tx.QueryContext(ctx, list, k)
				if err != nil {
					rows.Close()
					return err
				}
				for nested.Next() {
					var n string
					nested.Scan(&n)
					inner = append(inner, n)
				}
				nested.Close()
			}
			if err := rows.Close(); err != nil {
				return err
			}
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	}); err != nil || len(inner) == 0 || len(inner)%2 != 0 {
		t.Errorf("nested query: %v, %v", inner, err)
	}

	// A caller gives up while the writer is busy: nothing of its write happens.
	hold, release := make(chan struct{}), make(chan struct{})
	go db.LightTx(ctx, func(*Tx) error { close(hold); <-release; return nil })
	<-hold
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	err := db.LightTx(short, func(tx *Tx) error { return set(tx, "gave up") })
	close(release)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a caller whose context ended: %v", err)
	}
	if err := db.LightTx(ctx, func(*Tx) error { return nil }); err != nil || count("gave up") != 0 {
		t.Errorf("the abandoned write ran: %v, %d", err, count("gave up"))
	}

	// A write whose context ended after it was queued is skipped by the writer.
	cancelled, stop := context.WithCancel(ctx)
	stop()
	r := &writeRequest{ctx: cancelled, done: make(chan error, 1), fn: func(tx *Tx) error { return set(tx, "skipped") }}
	ok := &writeRequest{ctx: ctx, done: make(chan error, 1), fn: func(tx *Tx) error { return set(tx, "kept") }}
	db.runBatch([]*writeRequest{r, ok})
	if err := <-r.done; !errors.Is(err, context.Canceled) || count("skipped") != 0 {
		t.Errorf("a cancelled queued write: %v, %d", err, count("skipped"))
	}
	if err := <-ok.done; err != nil || count("kept") != 1 {
		t.Errorf("its batch neighbour: %v, %d", err, count("kept"))
	}
}

// TestTx_AfterCommitRunsForCommittedWritesInOrder: in one batch, the functions of the
// writes that committed run once, in batch order, before each caller hears back; those
// of a write rolled back to its savepoint never run, nor do any when the batch is alone
// and fails.
func TestTx_AfterCommitRunsForCommittedWritesInOrder(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	var ran []string
	write := func(key string, fail bool) *writeRequest {
		return &writeRequest{ctx: ctx, full: true, done: make(chan error, 1), fn: func(tx *Tx) error {
			tx.AfterCommit(func() { ran = append(ran, key+" first") })
			if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, 'v')`, key); err != nil {
				return err
			}
			tx.AfterCommit(func() {
				var n int
				db.R.QueryRow(`SELECT count(*) FROM settings WHERE key = ?`, key).Scan(&n)
				ran = append(ran, fmt.Sprintf("%s then (%d visible)", key, n))
			})
			if fail {
				return errors.New("rolled back")
			}
			return nil
		}}
	}
	batch := []*writeRequest{write("a", false), write("b", true), write("c", false)}
	db.runBatch(batch)
	for i, r := range batch {
		if err := <-r.done; (err != nil) != (i == 1) {
			t.Errorf("write %d: %v", i, err)
		}
	}
	want := "[a first a then (1 visible) c first c then (1 visible)]"
	if got := fmt.Sprint(ran); got != want {
		t.Errorf("after the batch ran %s, want %s", got, want)
	}

	ran = nil
	if err := db.Tx(ctx, func(tx *Tx) error {
		tx.AfterCommit(func() { ran = append(ran, "alone") })
		return errors.New("no")
	}); err == nil {
		t.Fatal("a failing write succeeded")
	}
	if err := db.LightTx(ctx, func(tx *Tx) error {
		tx.AfterCommit(func() { ran = append(ran, "light") })
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(ran); got != "[light]" {
		t.Errorf("single writes ran %s, want [light]", got)
	}
}

// TestWriterStats_CountBatchesWritesAndTheirTime: a batch counts once, each of its writes
// once and its time in Busy, all before its callers hear back.
func TestWriterStats_CountBatchesWritesAndTheirTime(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	before := db.WriterStats()
	const slow = 30 * time.Millisecond
	write := func(d time.Duration) *writeRequest {
		return &writeRequest{ctx: ctx, done: make(chan error, 1), fn: func(tx *Tx) error {
			time.Sleep(d)
			return nil
		}}
	}
	batch := []*writeRequest{write(0), write(slow), write(0)}
	db.runBatch(batch)
	for _, r := range batch {
		if err := <-r.done; err != nil {
			t.Fatal(err)
		}
	}
	got := db.WriterStats()
	if got.Batches-before.Batches != 1 || got.Writes-before.Writes != 3 {
		t.Errorf("after a batch of 3: %+v, before %+v", got, before)
	}
	if busy := got.Busy - before.Busy; busy < slow {
		t.Errorf("busy %v for a batch holding a %v write", busy, slow)
	}
	if got.Slow != before.Slow || got.Commit <= before.Commit {
		t.Errorf("a %v batch: slow %d → %d, commit time %v → %v", slow, before.Slow, got.Slow, before.Commit, got.Commit)
	}
	before = got
	batch = []*writeRequest{write(slowBatch)}
	db.runBatch(batch)
	if err := <-batch[0].done; err != nil {
		t.Fatal(err)
	}
	if got := db.WriterStats(); got.Slow-before.Slow != 1 || got.SlowCommit != before.SlowCommit {
		t.Errorf("a batch slow in its write: slow %d → %d, slow commits %d → %d", before.Slow, got.Slow, before.SlowCommit, got.SlowCommit)
	}
	before = db.WriterStats()
	if err := db.LightTx(ctx, func(*Tx) error { return errors.New("rolled back") }); err == nil {
		t.Fatal("a failing write succeeded")
	}
	if got := db.WriterStats(); got.Batches-before.Batches != 1 || got.Writes-before.Writes != 1 {
		t.Errorf("after a write alone: %+v, before %+v", got, before)
	}
}
