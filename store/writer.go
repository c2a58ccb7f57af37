package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Every write transaction goes through one goroutine, which runs the writes waiting at
// that moment in one SQLite transaction, each in its own savepoint ("group commit"). A
// write then costs its statements, not a BEGIN, a COMMIT and, for orders, a disk sync of
// its own: with one writer connection, handing it from request to request and syncing
// every order was the ceiling of add to cart and of checkout.
//
// Each write still succeeds or fails alone: a failing one is rolled back to its savepoint
// and the others commit. A write sees the writes batched before it, as it would had they
// committed just before; it never sees one that failed.

// maxBatch bounds how many writes share a transaction, and so how long the writes at the
// end of a batch wait for those at its start.
const maxBatch = 64

type writeRequest struct {
	ctx  context.Context
	fn   func(*Tx) error
	full bool // needs its commit synced to disk
	done chan error
}

// writer is the state of the goroutine that owns the writer connection.
type writer struct {
	requests chan *writeRequest
	stop     chan struct{}
	stopped  chan struct{}
	once     sync.Once
	normal   bool // the connection was last set to synchronous NORMAL (it opens FULL)

	busy    atomic.Int64 // nanoseconds spent on batches, for WriterStats
	batches atomic.Int64
	writes  atomic.Int64
	commit  atomic.Int64 // nanoseconds spent in COMMIT
	slow    atomic.Int64 // batches of slowBatch or more
	slowEnd atomic.Int64 // of those, the ones whose COMMIT alone took slowBatch
}

// slowBatch is how long a batch takes before WriterStats counts it as slow: every write
// waiting meanwhile waits that long, and a latency target of a few milliseconds is
// missed by all of them.
const slowBatch = 50 * time.Millisecond

// WriterStats is what the writer goroutine has done since the database opened. Under
// load, Busy against the time passed says whether the one writer is what limits the
// shop (busy nearly all the time) or the CPU is; Writes per batch says how much each
// commit shares.
type WriterStats struct {
	Busy    time.Duration // running batches: the writes and their commit
	Batches int64         // transactions, committed or rolled back
	Writes  int64         // Tx and LightTx calls the writer took
	// Commit is the part of Busy spent committing: the disk sync, and the WAL
	// checkpoints SQLite runs there once the log has grown.
	Commit time.Duration
	// Slow counts the batches that took slowBatch or more, SlowCommit those of them
	// whose commit alone did: a stall of the disk rather than of the writes.
	Slow, SlowCommit int64
}

// WriterStats reads the writer's counters.
func (db *DB) WriterStats() WriterStats {
	return WriterStats{Busy: time.Duration(db.wr.busy.Load()), Batches: db.wr.batches.Load(), Writes: db.wr.writes.Load(),
		Commit: time.Duration(db.wr.commit.Load()), Slow: db.wr.slow.Load(), SlowCommit: db.wr.slowEnd.Load()}
}

// errPanicked carries a panic in a write back to the goroutine that asked for it.
type errPanicked struct{ value any }

func (e errPanicked) Error() string { return fmt.Sprintf("store: write panicked: %v", e.value) }

// Tx runs fn inside a write transaction (BEGIN IMMEDIATE) and returns once it is
// committed and synced to disk (synchronous FULL), or rolled back when fn returns an
// error. Keep fn short and free of network I/O: every other write waits for it. fn runs
// on the writer's goroutine and must not call Tx or LightTx itself.
func (db *DB) Tx(ctx context.Context, fn func(*Tx) error) error { return db.write(ctx, fn, true) }

// LightTx is Tx for writes a power cut may lose but never half-do: a cart change, the
// saved order form, mail claims. Its commit skips the disk sync (synchronous NORMAL)
// unless it shares a transaction with a Tx: WAL keeps it atomic and durable across a
// crash of the shop itself, and the next synced commit makes it durable too. Orders and
// payments use Tx.
func (db *DB) LightTx(ctx context.Context, fn func(*Tx) error) error {
	return db.write(ctx, fn, false)
}

func (db *DB) write(ctx context.Context, fn func(*Tx) error, full bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &writeRequest{ctx: ctx, fn: fn, full: full, done: make(chan error, 1)}
	select {
	case db.wr.requests <- r:
	case <-ctx.Done(): // not queued: nothing was written
		return ctx.Err()
	case <-db.wr.stop:
		return errors.New("store: the database is closed")
	}
	// Wait for the outcome even if ctx ends meanwhile: the caller must know whether its
	// write committed. The writer skips a write whose context ended before it started.
	err := <-r.done
	if p, ok := err.(errPanicked); ok {
		panic(p.value)
	}
	return err
}

func (db *DB) startWriter() {
	db.wr.requests = make(chan *writeRequest)
	db.wr.stop = make(chan struct{})
	db.wr.stopped = make(chan struct{})
	go db.writeLoop()
}

// stopWriter finishes the batch under way and stops taking writes.
func (db *DB) stopWriter() {
	db.wr.once.Do(func() {
		close(db.wr.stop)
		<-db.wr.stopped
	})
}

// errGoexit answers the writes of a batch during which a write ended the writer's
// goroutine (runtime.Goexit, as a test's t.FailNow does).
var errGoexit = errors.New("store: a write ended the writer's goroutine; its batch was rolled back")

func (db *DB) writeLoop() {
	batch := make([]*writeRequest, 0, maxBatch)
	stopped := false
	defer func() {
		if stopped {
			close(db.wr.stopped)
			return
		}
		// Only runtime.Goexit gets here (a panic is recovered per write): the batch was
		// rolled back by commitBatch's defers; answer it and carry on.
		for _, r := range batch {
			select {
			case r.done <- errGoexit:
			default:
			}
		}
		go db.writeLoop()
	}()
	for {
		select {
		case r := <-db.wr.requests:
			batch = append(batch[:0], r)
		case <-db.wr.stop:
			stopped = true
			return
		}
	gather:
		for len(batch) < maxBatch {
			select {
			case r := <-db.wr.requests:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		db.runBatch(batch)
		clear(batch) // let the finished requests go
	}
}

func (db *DB) runBatch(batch []*writeRequest) {
	start := time.Now()
	results := make([]error, len(batch))
	after, err := db.commitBatch(batch, results)
	db.watch.committed()
	if err == nil {
		for _, fn := range after {
			fn()
		}
	}
	db.prepareWrites(context.Background()) // before answering: the next write finds them
	// Counted before answering, so that a caller reading WriterStats after its write
	// returns sees it.
	took := time.Since(start)
	db.wr.busy.Add(int64(took))
	if took >= slowBatch {
		db.wr.slow.Add(1)
	}
	db.wr.batches.Add(1)
	db.wr.writes.Add(int64(len(batch)))
	for i, r := range batch {
		if results[i] == nil {
			results[i] = err
		}
		r.done <- results[i]
	}
}

// commitBatch runs the batch in one transaction and records each write's own error in
// results; it returns the AfterCommit functions of the writes that succeeded, in order,
// and the error that undid the writes recorded as successful.
func (db *DB) commitBatch(batch []*writeRequest, results []error) (after []func(), err error) {
	ctx := context.Background() // one shopper leaving must not interrupt the others' writes
	conn, err := db.W.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: writer: %w", err)
	}
	defer conn.Close()
	full := false
	for _, r := range batch {
		full = full || r.full
	}
	if full == db.wr.normal { // the connection is not in the mode this batch needs
		mode := "NORMAL"
		if full {
			mode = "FULL"
		}
		if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = "+mode); err != nil {
			// Drop the connection: the pool opens a new one at the DSN's FULL.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			db.wr.normal = false
			return nil, fmt.Errorf("store: synchronous %s: %w", mode, err)
		}
		db.wr.normal = !full
	}
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	// Runs before conn.Close, even if a write ends the goroutine: an open transaction
	// would keep the connection from ever closing. After a commit it does nothing.
	defer sqlTx.Rollback()
	tx := &Tx{Tx: sqlTx, db: db}
	alone := len(batch) == 1
	committed := 0
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if !alone {
			if _, err := tx.ExecContext(ctx, "SAVEPOINT write"); err != nil {
				sqlTx.Rollback()
				return nil, fmt.Errorf("store: savepoint: %w", err)
			}
		}
		tx.queried, tx.after = nil, nil
		results[i] = runWrite(r, tx)
		if results[i] == nil {
			after = append(after, tx.after...)
		}
		if alone {
			break
		}
		if results[i] != nil {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO write"); err != nil {
				sqlTx.Rollback()
				return nil, fmt.Errorf("store: roll back a write: %w", err)
			}
		} else {
			committed++
		}
		if _, err := tx.ExecContext(ctx, "RELEASE write"); err != nil {
			sqlTx.Rollback()
			return nil, fmt.Errorf("store: release a write: %w", err)
		}
	}
	if (alone && results[0] != nil) || (!alone && committed == 0) {
		sqlTx.Rollback()
		return nil, nil
	}
	start := time.Now()
	err = sqlTx.Commit()
	took := time.Since(start)
	db.wr.commit.Add(int64(took))
	if took >= slowBatch {
		db.wr.slowEnd.Add(1)
	}
	if err != nil {
		return nil, fmt.Errorf("store: commit: %w", err)
	}
	return after, nil
}

// runWrite runs one write, turning a panic into an error that write panics with again
// on the caller's goroutine.
func runWrite(r *writeRequest, tx *Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = errPanicked{v}
		}
	}()
	return r.fn(tx)
}
