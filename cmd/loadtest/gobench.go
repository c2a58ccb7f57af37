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

// benchLineRe reads one result line of `go test -bench -benchmem`.
var benchLineRe = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+([\d.]+) ns/op(?:\s+(\d+) B/op)?(?:\s+(\d+) allocs/op)?`)

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
		b.NsPerOp, _ = strconv.ParseFloat(m[3], 64)
		b.BytesPerOp, _ = strconv.ParseInt(m[4], 10, 64)
		b.AllocsPerOp, _ = strconv.ParseInt(m[5], 10, 64)
		list = append(list, b)
	}
	return list
}
