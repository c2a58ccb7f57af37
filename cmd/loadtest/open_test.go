package main

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func sleeper(n int, d time.Duration, fail *atomic.Int64) []worker {
	ws := make([]worker, n)
	for i := range ws {
		ws[i] = worker{rec: newRecorder(), op: func(context.Context) error {
			time.Sleep(d)
			if fail != nil && fail.Add(-1) >= 0 {
				return errors.New("boom")
			}
			return nil
		}}
	}
	return ws
}

func TestRunOpen_SendsEveryArrivalWhenWorkersKeepUp(t *testing.T) {
	var fail atomic.Int64
	fail.Store(3)
	res := runOpen(context.Background(), sleeper(16, time.Millisecond, &fail), 1000, 200*time.Millisecond)
	op := summarize(res.rec.steps[opStep])
	if res.scheduled != 200 || res.sent != 200 || res.dropped != 0 {
		t.Fatalf("scheduled %d, sent %d, dropped %d; want 200 sent, none dropped", res.scheduled, res.sent, res.dropped)
	}
	if op.Count+op.Errors != res.sent || op.Errors != 3 {
		t.Errorf("%d done + %d failed, want %d operations with 3 failures", op.Count, op.Errors, res.sent)
	}
	if lag := summarize(res.rec.steps[lagStep]); lag.Count != res.sent {
		t.Errorf("send lag recorded %d times, want once per arrival", lag.Count)
	}
	// The schedule lasts 200 ms whatever the workers do; the run ends soon after.
	if res.elapsed < 190*time.Millisecond || res.elapsed > time.Second {
		t.Errorf("elapsed %v, want about 200 ms", res.elapsed)
	}
}

func TestRunOpen_DropsWhatNoWorkerCanTakeAndCountsFromSchedule(t *testing.T) {
	// One worker, 20 ms per operation, an arrival every 2 ms: about one in ten is taken.
	res := runOpen(context.Background(), sleeper(1, 20*time.Millisecond, nil), 500, 200*time.Millisecond)
	op := summarize(res.rec.steps[opStep])
	if res.sent+res.dropped != res.scheduled || res.scheduled != 100 {
		t.Fatalf("scheduled %d = sent %d + dropped %d? want 100 scheduled, all accounted for", res.scheduled, res.sent, res.dropped)
	}
	if res.dropped < 70 || res.sent < 5 {
		t.Errorf("sent %d, dropped %d; want most dropped, some sent", res.sent, res.dropped)
	}
	if op.Count != res.sent {
		t.Errorf("%d operations done, want one per sent arrival (%d)", op.Count, res.sent)
	}
	// Latency runs from the scheduled instant, so it is never less than the work.
	if op.P50MS < 20 {
		t.Errorf("p50 %.2f ms, want at least the 20 ms of work", op.P50MS)
	}
}

func TestArrival_BatchesPerTick(t *testing.T) {
	start := time.Unix(0, 0)
	interval := 200 * time.Microsecond // 5,000/s: five per millisecond
	for i, want := range []time.Duration{0, 0, 0, 0, 0, time.Millisecond, time.Millisecond} {
		if got := arrival(start, i, interval).Sub(start); got != want {
			t.Errorf("arrival %d at %v, want %v", i, got, want)
		}
	}
	if got := arrival(start, 3, 10*time.Millisecond).Sub(start); got != 30*time.Millisecond {
		t.Errorf("at 100/s arrival 3 at %v, want 30 ms (no batching above a tick)", got)
	}
}

func TestRunClosed_StopsAtTheOperationBound(t *testing.T) {
	res := runClosed(context.Background(), sleeper(4, 0, nil), time.Minute, 50)
	if op := summarize(res.rec.steps[opStep]); op.Count != 50 {
		t.Errorf("%d operations, want exactly the bound of 50", op.Count)
	}
}
