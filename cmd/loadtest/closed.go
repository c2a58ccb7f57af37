package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// worker is one virtual shopper's loop: op is one operation (a request or a whole
// flow), recording its own steps in rec.
type worker struct {
	rec *recorder
	op  func(ctx context.Context) error
}

// opStep is the step under which the runners record whole operations.
const opStep = "op"

// loopResult is what a closed or open loop measured.
type loopResult struct {
	elapsed time.Duration
	rec     *recorder // every worker's, merged; opStep holds the operations
	// Open loop only.
	scheduled, sent, dropped int
}

// runClosed runs every worker back to back until dur has passed or maxOps operations
// have started, whichever comes first: a closed loop, as many in flight as workers.
// Operations in flight at the deadline finish (each request is bounded by its timeout)
// and count.
func runClosed(ctx context.Context, workers []worker, dur time.Duration, maxOps int) loopResult {
	var budget atomic.Int64
	budget.Store(int64(maxOps))
	start := time.Now()
	deadline := start.Add(dur)
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(deadline) && budget.Add(-1) >= 0 {
				t := time.Now()
				if err := w.op(ctx); err != nil {
					w.rec.fail(opStep, err)
					continue
				}
				w.rec.ok(opStep, time.Since(t))
			}
		}()
	}
	wg.Wait()
	return loopResult{elapsed: time.Since(start), rec: mergeWorkers(workers)}
}

func mergeWorkers(workers []worker) *recorder {
	recs := make([]*recorder, len(workers))
	for i, w := range workers {
		recs[i] = w.rec
	}
	return merge(recs)
}
