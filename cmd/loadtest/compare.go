package main

import (
	"fmt"
	"io"
)

// compare prints NEW against OLD: for each row both have, the throughput and latency
// ratios (new ÷ old), and the same for the ratios to hello, which cancel out most of a
// difference in machine or load between the two runs.
func compare(oldPath, newPath string, w io.Writer) error {
	a, err := readResult(oldPath)
	if err != nil {
		return err
	}
	b, err := readResult(newPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "old: %s  commit %s%s  %s  GOMAXPROCS %d%s\n", oldPath, shortCommit(a.Commit), dirty(a), a.GoVersion,
		a.GOMAXPROCS, driverGOGC(a.DriverGOGC))
	fmt.Fprintf(w, "new: %s  commit %s%s  %s  GOMAXPROCS %d%s\n", newPath, shortCommit(b.Commit), dirty(b), b.GoVersion,
		b.GOMAXPROCS, driverGOGC(b.DriverGOGC))
	for _, r := range []struct {
		name string
		res  *Result
	}{{"old", a}, {"new", b}} {
		if other := busiestNeighbour(r.res); other > noisyCores {
			fmt.Fprintf(w, "WARNING: during the %s run other processes used up to %.1f CPUs: its figures are disturbed\n", r.name, other)
		}
	}
	fmt.Fprintln(w, "ratios are new ÷ old: above 1 is more throughput or more latency; \"vs hello\" compares each run's ratio to its own hello baseline")
	if anySliced(a) != anySliced(b) {
		// Against hello beside a row or against hello before and after: not the same
		// measure, so their change would say nothing about the code.
		fmt.Fprintln(w, "note: one run divided its capacity rows by hello beside them (-slices), the other by hello before and after: their \"vs hello\" is left out")
	}
	for i := range b.Runs {
		nb := &b.Runs[i]
		var oa *Run
		for j := range a.Runs {
			if a.Runs[j].Size == nb.Size {
				oa = &a.Runs[j]
			}
		}
		if oa == nil {
			fmt.Fprintf(w, "\n%d products: not in the old file\n", nb.Size)
			continue
		}
		fmt.Fprintf(w, "\n%d products: start→healthz %s, peak RSS %s%s\n", nb.Size, ratio(oa.StartupMS, nb.StartupMS),
			ratio(float64(oa.PeakRSS), float64(nb.PeakRSS)), procsChange(oa.GOMAXPROCS, nb.GOMAXPROCS))
		t := &table{left: 1}
		t.add("scenario", "old", "new", "throughput", "vs hello", "p50", "p95", "p99", "p99 vs hello")
		for k := range nb.Scenarios {
			n := &nb.Scenarios[k]
			o := oa.find(n.Name)
			if o == nil || o.Latency.Count == 0 || n.Latency.Count == 0 {
				continue
			}
			var thrHello, p99Hello string
			if o.Ratio != nil && n.Ratio != nil && (o.Beside == nil) == (n.Beside == nil) {
				thrHello, p99Hello = ratio(o.Ratio.Throughput, n.Ratio.Throughput), ratio(o.Ratio.P99, n.Ratio.P99)
			}
			t.add(n.Title, count(o.Throughput)+" "+o.Unit, count(n.Throughput)+" "+n.Unit,
				ratio(o.Throughput, n.Throughput), thrHello, ratio(o.Latency.P50MS, n.Latency.P50MS),
				ratio(o.Latency.P95MS, n.Latency.P95MS), ratio(o.Latency.P99MS, n.Latency.P99MS), p99Hello)
		}
		t.write(w, "  ")
	}
	fmt.Fprintf(w, "\nbinary size %s\n", ratio(float64(a.ShopBytes), float64(b.ShopBytes)))
	if len(a.GoBench) == 0 || len(b.GoBench) == 0 {
		fmt.Fprintln(w, "no Go benchmarks to compare")
		return nil
	}
	t := &table{left: 2}
	t.add("package", "Go benchmark", "old ns/op", "new ns/op", "ns/op", "B/op", "allocs/op")
	for _, nbench := range b.GoBench {
		for _, obench := range a.GoBench {
			if obench.Package == nbench.Package && obench.Name == nbench.Name {
				t.add(nbench.Package, nbench.Name, fmtNs(obench.NsPerOp),
					fmtNs(nbench.NsPerOp), ratio(obench.NsPerOp, nbench.NsPerOp),
					ratio(float64(obench.BytesPerOp), float64(nbench.BytesPerOp)),
					ratio(float64(obench.AllocsPerOp), float64(nbench.AllocsPerOp)))
			}
		}
	}
	t.write(w, "  ")
	return nil
}

func ratio(old, new float64) string {
	switch {
	case old == 0 && new == 0:
		return "="
	case old == 0:
		return "new"
	}
	return fmt.Sprintf("%.2f×", new/old)
}

func dirty(r *Result) string {
	if r.Modified {
		return "+changes"
	}
	return ""
}

// procsChange says how the shop's GOMAXPROCS changed between two runs, if it did and
// both files know it.
func procsChange(old, new int) string {
	if old == 0 || new == 0 || old == new {
		return ""
	}
	return fmt.Sprintf(", shop GOMAXPROCS %d → %d", old, new)
}
