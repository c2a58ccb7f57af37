package main

import (
	"errors"
	"testing"
	"time"
)

func TestPercentile_NearestRank(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond // 1 ms … 100 ms
	}
	tests := []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one sample is every percentile", []time.Duration{7}, 99, 7},
		{"p50 of 1..100", hundred, 50, 50 * time.Millisecond},
		{"p95 of 1..100", hundred, 95, 95 * time.Millisecond},
		{"p99 of 1..100", hundred, 99, 99 * time.Millisecond},
		{"p100 is the max", hundred, 100, 100 * time.Millisecond},
		{"p0 is the min", hundred, 0, time.Millisecond},
		// Nearest rank never interpolates: p50 of four samples is the second.
		{"p50 of four", []time.Duration{10, 20, 30, 40}, 50, 20},
		{"p99 of four is the max", []time.Duration{10, 20, 30, 40}, 99, 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.samples, tt.p); got != tt.want {
				t.Errorf("percentile(%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarize_SortsAndCountsFailures(t *testing.T) {
	r := newRecorder()
	for _, ms := range []int{5, 1, 4, 2, 3} {
		r.ok("page", time.Duration(ms)*time.Millisecond)
	}
	r.fail("page", errors.New("status 500"))
	r.fail("page", errors.New("status 500"))
	l := summarize(merge([]*recorder{r, newRecorder()}).steps["page"])
	if l.Count != 5 || l.Errors != 2 || l.P50MS != 3 || l.MaxMS != 5 || l.MeanMS != 3 {
		t.Errorf("summary = %+v, want 5 samples, 2 errors, p50 3 ms, max 5 ms, mean 3 ms", l)
	}
	if len(l.Examples) != 1 {
		t.Errorf("examples = %q, want the one distinct message", l.Examples)
	}
}
