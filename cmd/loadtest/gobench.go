package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// benchLineRe reads the start of one result line of `go test -bench`: the name without
// its -GOMAXPROCS suffix, the iterations, and then "value unit" pairs (see metrics).
var benchLineRe = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

// goBench runs the hot paths' Go benchmarks (no tests) and reads their results. A
// package that fails to build does not hide the others' results: they are returned
// with the error.
func goBench(ctx context.Context, o *options) ([]GoBench, error) {
	args := append([]string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-benchtime", o.benchtime, "-count", "1"},
		o.benchPkgs...)
	out, err := exec.CommandContext(ctx, o.goCmd, args...).CombinedOutput()
	list := parseGoBench(out)
	if err != nil {
		tail := strings.TrimSpace(string(out))
		if len(tail) > 800 {
			tail = "…" + tail[len(tail)-800:]
		}
		return list, fmt.Errorf("go test -bench: %w\n%s", err, tail)
	}
	return list, nil
}

func parseGoBench(out []byte) []GoBench {
	var list []GoBench
	pkg := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		m := benchLineRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		b := GoBench{Package: pkg, Name: m[1]}
		b.Iterations, _ = strconv.ParseInt(m[2], 10, 64)
		fields := strings.Fields(m[3])
		for i := 0; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				break
			}
			switch unit := fields[i+1]; unit {
			case "ns/op":
				b.NsPerOp = v
			case "B/op":
				b.BytesPerOp = int64(v)
			case "allocs/op":
				b.AllocsPerOp = int64(v)
			default: // a benchmark's own figure (b.ReportMetric), e.g. cpu-µs/op
				if b.Metrics == nil {
					b.Metrics = map[string]float64{}
				}
				b.Metrics[unit] = v
			}
		}
		list = append(list, b)
	}
	return list
}
