package main

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// printReport writes the human table: context, hello, each catalogue size, the targets
// and the Go benchmarks.
func printReport(w io.Writer, res *Result) {
	commit := shortCommit(res.Commit)
	if res.Modified {
		commit += " + uncommitted changes"
	}
	fmt.Fprintf(w, "\nShop benchmark %s — commit %s, %s %s/%s, GOMAXPROCS %d (driver, hello)%s, %d CPUs (%s), %s\n",
		res.Started.Format("2006-01-02 15:04 UTC"), commit, res.GoVersion, res.GOOS, res.GOARCH, res.GOMAXPROCS,
		driverGOGC(res.DriverGOGC), res.NumCPU, res.CPU, (time.Duration(res.Seconds) * time.Second).String())
	fmt.Fprintf(w, "Note: %s. Load average at start: %s.\n", res.Note, res.LoadAvg)
	fmt.Fprintf(w, "Binaries: shop %.1f MB, hello %.1f MB. Shop log level %s (to a file). Closed loops: %d connections, %s each.\n",
		float64(res.ShopBytes)/1e6, float64(res.HelloBytes)/1e6, res.Settings.ShopLogLevel, res.Settings.Connections,
		time.Duration(res.Settings.ScenarioSeconds*float64(time.Second)))
	if n := res.Settings.CapacitySlices; n > 0 && anySliced(res) {
		slice := time.Duration(res.Settings.ScenarioSeconds * float64(time.Second) / float64(n))
		fmt.Fprintf(w, "Capacity rows run in %d slices of %s between %d slices of %s of hello (the row's \"hello beside\").\n",
			n, slice, n+1, slice/2)
		if ref := anyReference(res); ref > 0 {
			fmt.Fprintf(w, "A larger catalogue's capacity rows also alternate with %d slices of %s of a %d-product shop run beside it (\"%d products beside\"), which the scaling targets compare it with.\n",
				n, slice/2, ref, ref)
		}
		fmt.Fprintln(w, "×hello: a capacity row's requests/s and latency divided by its hello beside; another closed row's by hello's closed loop before and after the shop; an open row's achieved rate and latency by hello's at the same rate.")
	} else {
		fmt.Fprintln(w, "×hello: a closed row's requests/s and latency divided by hello's closed loop; an open row's achieved rate and latency by hello's at the same rate.")
	}

	fmt.Fprintln(w, "\nBaseline: bare net/http hello, same toolchain, same machine")
	t := &table{left: 1}
	t.add(append([]string{"measured", "closed req/s", "p50", "p95", "p99", "CPU hello/driver/other"}, openHeads(res)...)...)
	for _, b := range res.Baselines {
		c := b.Closed
		row := []string{b.Label, count(c.ReqPerSec), fmtMS(c.Latency.P50MS), fmtMS(c.Latency.P95MS), fmtMS(c.Latency.P99MS),
			fmtCPU(c.CPU)}
		for _, o := range b.Open {
			row = append(row, fmtMS(o.Latency.P99MS))
		}
		t.add(row...)
	}
	t.write(w, "  ")
	if other := busiestNeighbour(res); other > noisyCores {
		fmt.Fprintf(w, "WARNING: other processes on this machine used up to %.1f of its %d CPUs during the run (rows marked !): "+
			"those figures are disturbed; rerun on a quiet machine before trusting them.\n", other, res.NumCPU)
	}

	for i := range res.Runs {
		printRun(w, res, &res.Runs[i])
	}

	fmt.Fprintln(w, "\nTargets (reported, never failing the run)")
	t = &table{left: 5}
	for _, tg := range res.Targets {
		size := ""
		if tg.Size > 0 {
			size = fmt.Sprintf("%d products", tg.Size)
		}
		t.add(tg.Status, tg.Name, size, tg.Want, tg.Got)
	}
	t.write(w, "  ")

	fmt.Fprintln(w, "\nGo benchmarks (go test -bench -benchmem -benchtime "+res.Settings.GoBenchtime+")")
	if res.GoBenchErr != "" {
		fmt.Fprintln(w, "  problem:", firstLine(res.GoBenchErr))
	}
	t = &table{left: 2}
	t.add("package", "benchmark", "ns/op", "B/op", "allocs/op", "own figures")
	for _, b := range res.GoBench {
		t.add(b.Package, b.Name, fmtNs(b.NsPerOp), count(float64(b.BytesPerOp)), count(float64(b.AllocsPerOp)), ownMetrics(b.Metrics))
	}
	t.write(w, "  ")
	for _, p := range res.Problems {
		fmt.Fprintln(w, "PROBLEM:", p)
	}
}

func printRun(w io.Writer, res *Result, run *Run) {
	mails := "mails written as .eml files"
	if res.Settings.Mail == "smtp" {
		mails = fmt.Sprintf("%d mails received over SMTP", run.Mails)
	}
	procs := ""
	if run.GOMAXPROCS > 0 {
		procs = fmt.Sprintf(", GOMAXPROCS %d", run.GOMAXPROCS)
	}
	fmt.Fprintf(w, "\nCatalogue of %d products: seeded in %.1f s, first 200 on /healthz %.0f ms after start%s, peak RSS %.1f MiB; %s; %s\n",
		run.Size, run.SeedSeconds, run.StartupMS, procs, float64(run.PeakRSS)/mib, run.Checkout, mails)
	t := &table{left: 2}
	t.add("scenario", "loop", "throughput", "×hello", "p50", "p95", "p99", "×hello p99", "errors", "peak RSS",
		"CPU shop/driver/other")
	for i := range run.Scenarios {
		sc := &run.Scenarios[i]
		if sc.Status == statusNA || sc.Status == statusError || sc.Latency.Count == 0 && sc.Errors == 0 {
			t.add(sc.Title, loopOf(sc), sc.Status)
			continue
		}
		thr, p99 := "", ""
		if sc.Ratio != nil {
			thr, p99 = fmt.Sprintf("%.2f", sc.Ratio.Throughput), fmt.Sprintf("%.1f", sc.Ratio.P99)
		}
		errs := strconv.Itoa(sc.Errors)
		if sc.Dropped > 0 {
			errs += fmt.Sprintf(" +%d dropped", sc.Dropped)
		}
		rss := ""
		if sc.PeakRSS > 0 {
			rss = fmt.Sprintf("%.1f MiB", float64(sc.PeakRSS)/mib)
		}
		t.add(sc.Title, loopOf(sc), count(sc.Throughput)+" "+sc.Unit, thr, fmtMS(sc.Latency.P50MS),
			fmtMS(sc.Latency.P95MS), fmtMS(sc.Latency.P99MS), p99, errs, rss, fmtCPU(sc.CPU))
		if b := sc.Beside; b != nil {
			t.add("  · hello beside", "", count(b.ReqPerSec)+" req/s", "", fmtMS(b.Latency.P50MS), fmtMS(b.Latency.P95MS),
				fmtMS(b.Latency.P99MS), "", strconv.Itoa(b.Errors), "", fmtCPU(b.CPU))
		}
		if b := sc.Reference; b != nil {
			t.add("  · "+b.Title+" beside", "", count(b.ReqPerSec)+" req/s", "", fmtMS(b.Latency.P50MS), fmtMS(b.Latency.P95MS),
				fmtMS(b.Latency.P99MS), "", strconv.Itoa(b.Errors), "", fmtCPU(b.CPU))
		}
		if len(sc.Steps) > 1 {
			for _, name := range stepOrder(sc) {
				l := sc.Steps[name]
				t.add("  · "+name, "", count(float64(l.Count)/sc.Seconds)+" /s", "", fmtMS(l.P50MS), fmtMS(l.P95MS),
					fmtMS(l.P99MS), "", strconv.Itoa(l.Errors))
			}
		}
	}
	t.write(w, "  ")
	for i := range run.Scenarios {
		sc := &run.Scenarios[i]
		if sc.Note != "" {
			fmt.Fprintf(w, "  %s: %s\n", sc.Title, sc.Note)
		}
		for name, l := range sc.Steps {
			if len(l.Examples) > 0 {
				fmt.Fprintf(w, "  %s, %s failed: %s\n", sc.Title, name, strings.Join(l.Examples, " | "))
			}
		}
	}
}

// noisyCores is how much CPU other processes may use before a row is marked disturbed.
const noisyCores = 0.2

func fmtCPU(c *CPUUse) string {
	if c == nil {
		return ""
	}
	s := fmt.Sprintf("%.2f/%.2f/%.2f", c.Server, c.Driver, c.Other)
	if c.Other > noisyCores {
		s += " !"
	}
	return s
}

// busiestNeighbour is the most CPU other processes used during any measurement.
func busiestNeighbour(res *Result) float64 {
	most := 0.0
	note := func(c *CPUUse) {
		if c != nil {
			most = max(most, c.Other)
		}
	}
	for _, b := range res.Baselines {
		note(b.Closed.CPU)
		for i := range b.Open {
			note(b.Open[i].CPU)
		}
	}
	for _, r := range res.Runs {
		for i := range r.Scenarios {
			note(r.Scenarios[i].CPU)
			if b := r.Scenarios[i].Beside; b != nil {
				note(b.CPU) // the shop's own work spilling into hello's slices counts too
			}
		}
	}
	return most
}

// anySliced says whether a capacity row ran in slices beside hello.
func anySliced(res *Result) bool {
	for _, r := range res.Runs {
		for i := range r.Scenarios {
			if r.Scenarios[i].Beside != nil {
				return true
			}
		}
	}
	return false
}

// anyReference is the catalogue size of the shop run beside a larger one, 0 if none was.
func anyReference(res *Result) int {
	for _, r := range res.Runs {
		if r.Reference > 0 {
			return r.Reference
		}
	}
	return 0
}

// stepOrder lists a row's steps in the order a shopper meets them.
func stepOrder(sc *Scenario) []string {
	order := []string{pageHome, pageCategory, pageProduct, pageSearch, pageCart, "add to cart", "order form", "place order",
		"payment page", "card form", "pay by card", "bank hand-off", "bank card page", "bank pays", "order page", "browse", "buy", lagStep}
	var out []string
	for _, n := range order {
		if _, ok := sc.Steps[n]; ok {
			out = append(out, n)
		}
	}
	for n := range sc.Steps {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func loopOf(sc *Scenario) string {
	switch sc.Loop {
	case "closed":
		return fmt.Sprintf("closed %d", sc.Workers)
	case "open":
		return fmt.Sprintf("open %s/s", count(sc.Rate))
	}
	return sc.Loop
}

func openHeads(res *Result) []string {
	var heads []string
	for _, r := range append(append([]float64{}, res.Settings.ProductRates...), res.Settings.OrderRate) {
		heads = append(heads, "open "+count(r)+"/s p99")
	}
	return heads
}

// progressLine is the one line printed as each scenario ends.
func progressLine(sc Scenario) string {
	if sc.Status == statusNA || sc.Status == statusError {
		return sc.Status + ": " + sc.Note
	}
	line := fmt.Sprintf("%s %s, p50 %s, p99 %s, %d errors", count(sc.Throughput), sc.Unit, fmtMS(sc.Latency.P50MS),
		fmtMS(sc.Latency.P99MS), sc.Errors)
	if sc.BusyAfter >= 1 {
		line += fmt.Sprintf("; then busy %.1f s more (%.1f cores)", sc.BusyAfter, sc.BusyCores)
	}
	return line
}

// fmtMS prints milliseconds with three significant digits or so.
func fmtMS(v float64) string {
	switch {
	case v == 0:
		return "–"
	case v < 10:
		return fmt.Sprintf("%.2f ms", v)
	case v < 100:
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.0f ms", v)
}

func fmtNs(v float64) string {
	if v < 100 {
		return fmt.Sprintf("%.1f", v)
	}
	return count(v)
}

// count prints a whole number with thousands separated: 12,345.
func count(v float64) string {
	n := int64(math.Round(v))
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// ownMetrics writes a benchmark's own figures as go test does, units in order.
func ownMetrics(m map[string]float64) string {
	units := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(units))
	for i, u := range units {
		parts[i] = strconv.FormatFloat(m[u], 'f', -1, 64) + " " + u
	}
	return strings.Join(parts, ", ")
}
