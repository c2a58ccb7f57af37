// Command loadtest is the shop's benchmark (`make bench`): it builds the shop and a bare
// net/http "hello" server, seeds a deterministic catalogue into a fresh data directory,
// starts both on 127.0.0.1, drives them with virtual shoppers (plain net/http, one cookie
// jar each), and prints a table of throughput and latency, each figure also as a ratio
// to hello measured in the same run, with the targets beside them. It writes the
// same figures as JSON for `loadtest compare a.json b.json`.
//
// Every scenario is bounded in time and in operations, and nothing is sent anywhere but
// 127.0.0.1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "compare" {
		if len(args) != 3 {
			return errors.New("usage: loadtest compare OLD.json NEW.json")
		}
		return compare(args[1], args[2], stdout)
	}
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	gogc := tuneDriverGC()
	if o.driverPprof != "" {
		// The driver shares the machine with the shop: its own cost is worth seeing.
		f, err := os.Create(o.driverPprof)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	return runBench(ctx, o, gogc, stdout, stderr)
}
