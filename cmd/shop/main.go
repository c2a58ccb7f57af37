// Command shop serves the whole web shop: catalogue, cart, checkout, payments and the
// merchant's admin area, from one binary and one SQLite file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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
	logger := newLogger(cfg, stderr)
	for _, w := range cfg.warnings {
		logger.Warn(w)
	}
	a, err := newApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	return a.listenAndServe(ctx, stdout)
}
