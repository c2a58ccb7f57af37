package main

import (
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func closedRow(name string, reqPerSec, p50 float64) Scenario {
	return Scenario{Name: name, Loop: "closed", Status: statusOK, ReqPerSec: reqPerSec, Throughput: reqPerSec,
		Latency: Latency{Count: 1000, P50MS: p50, P95MS: 2 * p50, P99MS: 3 * p50}}
}

func TestApplyRatiosPrefersHelloBeside(t *testing.T) {
	res := &Result{Baselines: []Measured{
		{Label: "before", Closed: closedRow("hello/closed", 40000, 1)},
		{Label: "after", Closed: closedRow("hello/closed", 30000, 2)},
	}}
	sliced := closedRow("capacity/product", 18000, 3)
	beside := closedRow("hello/beside-product", 45000, 1.5)
	sliced.Beside = &beside
	res.Runs = []Run{{Size: 100, Before: 0, After: 1, Scenarios: []Scenario{
		sliced,
		closedRow("add-to-cart", 7000, 6),
	}}}
	applyRatios(res)

	got := res.Runs[0].Scenarios
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	// The capacity row is divided by the hello measured beside it…
	near("sliced throughput ratio", got[0].Ratio.Throughput, 18000.0/45000)
	near("sliced p50 ratio", got[0].Ratio.P50, 3/1.5)
	// …another closed row by the mean of hello before and after the shop.
	near("add-to-cart throughput ratio", got[1].Ratio.Throughput, 7000.0/35000)
	near("add-to-cart p99 ratio", got[1].Ratio.P99, 18/4.5)
}

func TestCPUTimesPlusAddsIntervals(t *testing.T) {
	a0 := cpuTimes{busy: 10, total: 100, server: 4, driver: 3}
	a1 := cpuTimes{busy: 30, total: 120, server: 14, driver: 8}
	b0 := cpuTimes{busy: 50, total: 200, server: 20, driver: 10}
	b1 := cpuTimes{busy: 60, total: 220, server: 22, driver: 15}
	sum := cpuTimes{}.plus(a0, a1).plus(b0, b1)
	want := cpuTimes{busy: 30, total: 40, server: 12, driver: 10}
	if sum != want {
		t.Errorf("plus = %+v, want %+v", sum, want)
	}
}

func TestCompareLeavesOutHelloRatiosOfDifferentKinds(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, sliced bool, product float64) string {
		row := closedRow("capacity/product", product, 3)
		row.Title = "product page"
		if sliced {
			b := closedRow("hello/beside-product", 45000, 1.5)
			row.Beside = &b
		}
		res := &Result{Started: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), Baselines: []Measured{
			{Closed: closedRow("hello/closed", 40000, 1)}, {Closed: closedRow("hello/closed", 40000, 1)}}}
		res.Runs = []Run{{Size: 100, Before: 0, After: 1, Scenarios: []Scenario{row}}}
		applyRatios(res)
		path, err := res.write(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return path
	}
	oldPlain, oldSliced, newSliced := write("a", false, 18000), write("b", true, 18000), write("c", true, 19800)

	var out strings.Builder
	if err := compare(oldPlain, newSliced, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "is left out") {
		t.Errorf("mixed kinds: no note that vs hello is left out:\n%s", out.String())
	}
	if line := rowLine(out.String(), "product page"); strings.Count(line, "×") != 4 { // throughput, p50, p95, p99
		t.Errorf("mixed kinds: product row should have no vs-hello ratio: %q", line)
	}

	out.Reset()
	if err := compare(oldSliced, newSliced, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "is left out") {
		t.Errorf("same kind: vs hello left out:\n%s", out.String())
	}
	if line := rowLine(out.String(), "product page"); strings.Count(line, "×") != 6 {
		t.Errorf("same kind: product row should carry both vs-hello ratios: %q", line)
	}
}

func rowLine(out, title string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, title) {
			return l
		}
	}
	return ""
}

// The catalogue sizes' medians are compared relative to the hello beside each: a machine
// that slowed down between the two loops is not the catalogue's doing, a shop that
// slowed down on its own is; without hello beside, the milliseconds are compared.
func TestJudgeScalingAgainstHelloBeside(t *testing.T) {
	run := func(size int, p50, helloP50 float64) Run {
		row := closedRow("capacity/product", 64/p50*1000, p50)
		if helloP50 > 0 {
			b := closedRow("hello/beside-product", 64/helloP50*1000, helloP50)
			row.Beside = &b
		}
		return Run{Size: size, Before: 0, After: 1, Scenarios: []Scenario{row}}
	}
	silentBeside := func(r Run) Run {
		r.Scenarios[0].Beside.Latency = Latency{}
		r.Scenarios[0].Beside.Errors = 10
		return r
	}
	tests := []struct {
		name         string
		small, large Run
		want         string
		value        float64
		relative     bool // judged relative to hello beside
	}{
		{"machine slowed, shop with it", run(100, 3.05, 1.28), run(100000, 3.90, 1.64), "PASS", (3.90 / 1.64) / (3.05 / 1.28), true},
		{"shop slowed, machine did not", run(100, 3.05, 1.28), run(100000, 3.90, 1.28), "FAIL", 3.90 / 3.05, true},
		{"no hello beside", run(100, 3.05, 0), run(100000, 3.90, 0), "FAIL", 3.90 / 3.05, false},
		{"no hello beside, within", run(100, 3.05, 0), run(100000, 3.40, 0), "PASS", 3.40 / 3.05, false},
		{"hello beside on one side only", run(100, 3.05, 1.28), run(100000, 3.90, 0), "FAIL", 3.90 / 3.05, false},
		{"hello beside answered nothing", run(100, 3.05, 1.28), silentBeside(run(100000, 3.90, 1.64)), "FAIL", 3.90 / 3.05, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := productScaling(t, tt.large, tt.small)
			if got.Status != tt.want || math.Abs(got.Value-tt.value) > 1e-9 {
				t.Errorf("%s %v (%s), want %s %v", got.Status, got.Value, got.Got, tt.want, tt.value)
			}
			if relative := strings.Contains(got.Got, "relative to hello beside"); relative != tt.relative {
				t.Errorf("%q: relative to hello beside: %v, want %v", got.Got, relative, tt.relative)
			}
		})
	}
}

// With the reference shop beside the large one, the sizes compare as measured, slice by
// slice, whatever hello did; the run of the small catalogue, if any, is not needed.
func TestJudgeScalingAgainstReferenceBeside(t *testing.T) {
	large := func(p50, refP50, helloP50 float64) Run {
		row := closedRow("capacity/product", 64/p50*1000, p50)
		b := closedRow("hello/beside-product", 64/helloP50*1000, helloP50)
		row.Beside = &b
		if refP50 > 0 {
			ref := closedRow("reference/product", 64/refP50*1000, refP50)
			row.Reference = &ref
		}
		return Run{Size: 100000, Before: 0, After: 1, Scenarios: []Scenario{row}, Reference: 100}
	}
	small := func(p50, helloP50 float64) Run {
		row := closedRow("capacity/product", 64/p50*1000, p50)
		b := closedRow("hello/beside-product", 64/helloP50*1000, helloP50)
		row.Beside = &b
		return Run{Size: 100, Before: 0, After: 1, Scenarios: []Scenario{row}}
	}
	tests := []struct {
		name   string
		runs   []Run
		want   string
		value  float64
		beside bool
	}{
		// Hello beside the small run was slow: relative to it, the large one would fail.
		{"within, hello noisy", []Run{small(3.09, 1.44), large(3.06, 2.90, 1.10)}, "PASS", 3.06 / 2.90, true},
		{"slower than the reference", []Run{small(3.09, 1.44), large(3.90, 3.05, 1.44)}, "FAIL", 3.90 / 3.05, true},
		{"large run alone", []Run{large(3.30, 3.05, 1.2)}, "PASS", 3.30 / 3.05, true},
		{"reference row missing: across runs", []Run{small(3.05, 1.28), large(3.90, 0, 1.64)}, "PASS", (3.90 / 1.64) / (3.05 / 1.28), false},
		{"reference answered nothing: across runs", []Run{small(3.05, 1.28), silentReference(large(3.90, 2.0, 1.64))}, "PASS", (3.90 / 1.64) / (3.05 / 1.28), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := productScaling(t, tt.runs...)
			if got.Status != tt.want || math.Abs(got.Value-tt.value) > 1e-9 {
				t.Errorf("%s %v (%s), want %s %v", got.Status, got.Value, got.Got, tt.want, tt.value)
			}
			if beside := strings.Contains(got.Got, "the 100 products beside"); beside != tt.beside {
				t.Errorf("%q: against the reference beside: %v, want %v", got.Got, beside, tt.beside)
			}
			if !strings.HasSuffix(got.Name, "with 100000 vs 100 products") {
				t.Errorf("target %q", got.Name)
			}
		})
	}
	// Alone, a large run without its reference row has nothing to be compared with.
	for _, r := range []Run{large(3.30, 0, 1.2), silentReference(large(3.30, 3.0, 1.2))} {
		if got := productScaling(t, r); got.Status != "n/a" || !strings.HasSuffix(got.Name, "with 100000 vs 100 products") {
			t.Errorf("large run alone without a reference answer: %s %q (%s), want n/a against 100 products", got.Status, got.Name, got.Got)
		}
	}
}

// silentReference is r whose reference shop answered nothing in its product row.
func silentReference(r Run) Run {
	ref := *r.Scenarios[0].Reference
	ref.Latency, ref.Errors = Latency{}, 10
	r.Scenarios[0].Reference = &ref
	return r
}

// The table shows the reference shop's slices under the row, and says what they are.
func TestReportShowsReferenceBeside(t *testing.T) {
	row := closedRow("capacity/product", 18000, 3.1)
	row.Title = "product page"
	b := closedRow("hello/beside-product", 45000, 1.2)
	ref := closedRow("reference/product", 20500, 2.9)
	ref.Title = "100 products"
	row.Beside, row.Reference = &b, &ref
	res := &Result{Started: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC),
		Settings:  Settings{ScenarioSeconds: 5, CapacitySlices: 5},
		Baselines: []Measured{{Closed: closedRow("hello/closed", 40000, 1)}, {Closed: closedRow("hello/closed", 40000, 1)}},
		Runs:      []Run{{Size: 100000, Before: 0, After: 1, Scenarios: []Scenario{row}, Reference: 100}}}
	applyRatios(res)
	res.Targets = judge(res)
	var out strings.Builder
	printReport(&out, res)
	if line := rowLine(out.String(), "· 100 products beside"); !strings.Contains(line, "20,500 req/s") || !strings.Contains(line, "2.90 ms") {
		t.Errorf("reference line %q, want its req/s and p50:\n%s", line, out.String())
	}
	if !strings.Contains(out.String(), "5 slices of 500ms of a 100-product shop run beside it") {
		t.Errorf("no note on the shop beside:\n%s", out.String())
	}
	if line := rowLine(out.String(), "capacity/product p50 with 100000 vs 100 products"); !strings.Contains(line, "PASS") ||
		!strings.Contains(line, "1.07× (3.10 ms vs 2.90 ms, the 100 products beside)") {
		t.Errorf("scaling target %q", line)
	}
}

// productScaling is the product page's scaling target judged on these runs.
func productScaling(t *testing.T, runs ...Run) Target {
	t.Helper()
	res := &Result{Baselines: []Measured{{Closed: closedRow("hello/closed", 40000, 1)}, {Closed: closedRow("hello/closed", 40000, 1)}},
		Runs: runs}
	applyRatios(res)
	for _, tg := range judgeScaling(res) {
		if strings.HasPrefix(tg.Name, "capacity/product") {
			return tg
		}
	}
	t.Fatal("no product page scaling target")
	return Target{}
}
