package main

import (
	"context"
	"sync"
	"time"
)

// dispatchTick is how finely arrivals are released. Go's timers on this kind of
// machine wake about a millisecond late whatever shorter sleep is asked for, so
// arrivals closer than that are released together, in batches one tick apart.
const dispatchTick = time.Millisecond

// lagStep records how late the driver itself released each arrival.
const lagStep = "send lag"

// arrival is when the i-th arrival of a fixed-rate schedule is due: evenly spaced,
// batched per dispatchTick.
func arrival(start time.Time, i int, interval time.Duration) time.Time {
	at := time.Duration(i) * interval
	if interval < dispatchTick {
		at = at.Truncate(dispatchTick)
	}
	return start.Add(at)
}

// runOpen sends rate operations per second for dur, whatever the answers do: an open
// loop. Each arrival goes to an idle worker; when every worker is busy the arrival is
// dropped and counted, never queued in the driver, so a slow server cannot slow the
// arrivals down. Latency counts from the arrival's scheduled instant, so a late driver
// or a server that falls behind shows as latency (no coordinated omission).
func runOpen(ctx context.Context, workers []worker, rate float64, dur time.Duration) loopResult {
	n := int(rate * dur.Seconds())
	interval := time.Duration(float64(time.Second) / rate)
	jobs := make(chan time.Time) // unbuffered: a send succeeds only if a worker is idle
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for at := range jobs {
				w.rec.ok(lagStep, time.Since(at))
				if err := w.op(ctx); err != nil {
					w.rec.fail(opStep, err)
					continue
				}
				w.rec.ok(opStep, time.Since(at))
			}
		}()
	}
	res := loopResult{scheduled: n}
	start := time.Now().Add(dispatchTick)
	for i := 0; i < n && ctx.Err() == nil; i++ {
		at := arrival(start, i, interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		select {
		case jobs <- at:
			res.sent++
		default:
			res.dropped++
		}
	}
	close(jobs)
	wg.Wait()
	res.elapsed = time.Since(start)
	res.rec = mergeWorkers(workers)
	return res
}
