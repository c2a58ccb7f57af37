// Command shop serves the whole web shop: catalogue, cart, checkout, payments and the
// merchant's admin area, from one binary and one SQLite file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	_ "time/tzdata" // SHOP_TIMEZONE works on a machine without a zone database
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tuneGC(os.Getenv)
	tuneProcs(os.Getenv)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return
	case err != nil:
		fmt.Fprintln(os.Stderr, "shop:", err)
		os.Exit(1)
	}
}

// run is the whole program; main only gives it the process's arguments and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "admin" {
		return adminCommand(ctx, args[1:], getenv, stdin, stdout)
	}
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	logs := newLogBuffer(stderr)
	defer logs.Close()
	logger := slog.New(flushingHandler{newLogger(cfg, logs).Handler(), logs})
	for _, w := range cfg.warnings {
		logger.Warn(w)
	}
	// Bound first: a bad or busy address stops the shop before its data directory is
	// touched, and port 0's port is known for the default public URL.
	ln, err := listen("SHOP_ADDR", cfg.Addr)
	if err != nil {
		return err
	}
	var pprofLn net.Listener
	if cfg.PprofAddr != "" {
		if pprofLn, err = listen("SHOP_PPROF_ADDR", cfg.PprofAddr); err != nil {
			ln.Close()
			return err
		}
	}
	cfg.listening(ln.Addr())
	a, err := newApp(ctx, cfg, logger, func(a *app) { a.pprofLn = pprofLn })
	if err != nil {
		ln.Close()
		if pprofLn != nil {
			pprofLn.Close()
		}
		return err
	}
	return a.announceAndServe(ctx, ln, stdout)
}

// listen binds the address of setting env, or says in one line why it cannot.
func listen(env, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) {
			err = op.Err // without net's own "listen tcp <addr>:" prefix
		}
		return nil, fmt.Errorf("%s=%q: cannot listen: %w", env, addr, err)
	}
	return ln, nil
}

// gcPercent is the shop's default GOGC. Its live heap is a few MiB, so at Go's 100 the
// collector ran every few milliseconds under load, each cycle scanning the stack of every
// connection's goroutine: at 300 the product page served 25 % more in `make bench` and
// its p99 at 5,000 requests/s fell from ~5.8 to ~4 ms. A checkout allocates ~270 KB, so
// at 1,000 orders/s even 300 meant a cycle every ~50 ms; at 1,000 the soft memory limit
// below decides alone when to collect, and card orders/s rose ~9 % (three alternated
// pairs of runs: 944 on average at 300, 1,033 at 1,000).
const gcPercent = 1000

// memoryLimit is the shop's default soft memory limit (GOMEMLIMIT), and with
// gcPercent as high as it is, what decides when the collector runs: a burst that
// doubled the live heap (the bank's payments in `make bench`) grew the process to
// 91–98 MiB when the heap could grow fourfold. Near the limit the collector runs sooner
// instead: those peaks fell to 78 MiB. A shop whose live heap outgrows it only collects
// more. The runtime holds about 18 MB besides the heap, so at 48 MiB the heap's goal was
// about 30 MB; with 100,000 products and the live heap at 10–13 MB after make bench's
// checkouts, the collector ran every ~100 ms, its marks slowing the slowest requests. At
// 56 MiB the product page's p99 at 5,000/s there was 2.9–4.5 ms in three runs (2.7–11.9
// in five at 48), for a peak of 91 MiB instead of 84; at 64 MiB the peak reached 99 MiB.
const memoryLimit = 56 << 20

// procsPerCPU is how many of the scheduler's Ps (GOMAXPROCS) the shop runs per CPU Go
// finds it may use. The one writer goroutine, which every order waits for, blocks in a
// disk sync at each commit; with a P per CPU, the P was given to a request's goroutine
// meanwhile, and the writer, back from its sync, queued behind them: a tenth of its time
// under checkout load (about 0.25 ms after each sync, in an execution trace at 100,000
// products). With two per CPU it finds a free P (2 % of its time), and the machine's
// scheduler shares the CPUs among the threads. In three alternated pairs of make bench's
// checkout rows, card orders/s rose 1, 18 and 8 % and bank orders/s 4, 11 and 7 %; the
// page rows did not slow down. In six pairs of its open-loop rows, the checkout's p99 at
// 100 orders/s fell from 10–233 ms (half the runs over 100) to 9–20 ms, and the product
// page's p99 at 5,000/s did not grow (3.5–8.7 ms against 3.5–34.5).
const procsPerCPU = 2

// tuneProcs sets GOMAXPROCS to procsPerCPU times the CPUs unless GOMAXPROCS is set,
// which then wins, or Go found a CPU limit below them (a container's quota): there, more
// threads than the quota would only spend it sooner and wait for the next period, so
// Go's own choice stands, and keeps following the limit.
func tuneProcs(getenv func(string) string) {
	if getenv("GOMAXPROCS") == "" && runtime.GOMAXPROCS(0) == runtime.NumCPU() {
		runtime.GOMAXPROCS(procsPerCPU * runtime.NumCPU())
	}
}

// tuneGC sets the collector's target and soft memory limit unless GOGC or GOMEMLIMIT
// says otherwise.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}
