package main

import (
	"math"
	"slices"
	"sort"
	"time"
)

// recorder keeps the latencies and failures of one worker, by step ("product page",
// "place order", …). Each worker owns one, so recording takes no lock; merge joins them
// once the workers are done. Memory is bounded by the scenario's request bound.
type recorder struct {
	steps    map[string]*stepSamples
	requests int // HTTP requests sent, whatever their step or outcome
}

type stepSamples struct {
	lat      []time.Duration // successful requests only
	failures int
	examples []string // the first few distinct failure messages
}

const maxExamples = 3

func newRecorder() *recorder { return &recorder{steps: map[string]*stepSamples{}} }

func (r *recorder) step(name string) *stepSamples {
	s := r.steps[name]
	if s == nil {
		s = &stepSamples{}
		r.steps[name] = s
	}
	return s
}

func (r *recorder) ok(name string, d time.Duration) {
	s := r.step(name)
	s.lat = append(s.lat, d)
}

func (r *recorder) fail(name string, err error) {
	s := r.step(name)
	s.failures++
	s.note(err.Error())
}

func (s *stepSamples) note(msg string) {
	if len(s.examples) < maxExamples && !slices.Contains(s.examples, msg) {
		s.examples = append(s.examples, msg)
	}
}

// merge joins the recorders of every worker of a scenario.
func merge(recs []*recorder) *recorder {
	out := newRecorder()
	for _, r := range recs {
		out.requests += r.requests
		for name, s := range r.steps {
			o := out.step(name)
			o.lat = append(o.lat, s.lat...)
			o.failures += s.failures
			for _, e := range s.examples {
				o.note(e)
			}
		}
	}
	return out
}

// Latency is the distribution of one step, in milliseconds for the JSON file.
type Latency struct {
	Count    int      `json:"count"`
	Errors   int      `json:"errors"`
	MeanMS   float64  `json:"mean_ms"`
	P50MS    float64  `json:"p50_ms"`
	P95MS    float64  `json:"p95_ms"`
	P99MS    float64  `json:"p99_ms"`
	MaxMS    float64  `json:"max_ms"`
	Examples []string `json:"error_examples,omitempty"`
}

// summarize sorts the samples in place and reads their percentiles.
func summarize(s *stepSamples) Latency {
	if s == nil {
		return Latency{}
	}
	sort.Slice(s.lat, func(i, j int) bool { return s.lat[i] < s.lat[j] })
	l := Latency{Count: len(s.lat), Errors: s.failures, Examples: s.examples}
	if len(s.lat) == 0 {
		return l
	}
	var sum time.Duration
	for _, d := range s.lat {
		sum += d
	}
	l.MeanMS = ms(sum / time.Duration(len(s.lat)))
	l.P50MS = ms(percentile(s.lat, 50))
	l.P95MS = ms(percentile(s.lat, 95))
	l.P99MS = ms(percentile(s.lat, 99))
	l.MaxMS = ms(s.lat[len(s.lat)-1])
	return l
}

// percentile is the nearest-rank percentile of sorted samples: the smallest sample such
// that at least p % of all samples are at or below it. No interpolation, so the figure
// is always a latency that some request really had.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}
