// Command bank runs the sandbox bank on its own: the bank's side of the
// CM-CIC p@iement / Monetico redirect protocol, for developing and testing
// the shop's card payments without a real bank. The shop's own `make run`
// mounts the same sandbox under /_bank/; this binary is for running it
// apart (another port, another terminal, another seal format).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"shop/payment/cmcic"
	"shop/payment/cmcic/sandbox"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bank: %v\n", err)
		os.Exit(1)
	}
}

// shutdownTimeout bounds the wait for requests in flight at shutdown.
const shutdownTimeout = 10 * time.Second

// run serves the sandbox bank until ctx is done. Every flag falls back to an
// environment variable, then to a default that matches the shop's defaults,
// so `go run ./cmd/bank` next to `make run` needs no settings.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("bank", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", env("BANK_ADDR", "127.0.0.1:8081"), "listen address (BANK_ADDR)")
	tpe := fs.String("tpe", env("SHOP_CMCIC_TPE", "1234567"), "terminal number, 7 letters or digits (SHOP_CMCIC_TPE)")
	keyText := fs.String("key", env("SHOP_CMCIC_KEY", "12345678901234567890123456789012345678P0"), "the terminal's 40-character key; default the bank kits' demo key (SHOP_CMCIC_KEY)")
	seal := fs.String("seal", env("SHOP_CMCIC_SEAL", "current"), "seal format: current or legacy (SHOP_CMCIC_SEAL)")
	notify := fs.String("notify", env("BANK_NOTIFY_URL", "http://127.0.0.1:8080/payment/cmcic/notify"), "the shop's notification URL (BANK_NOTIFY_URL)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}

	key, err := cmcic.ParseKey(*keyText)
	if err != nil {
		return fmt.Errorf("-key / SHOP_CMCIC_KEY: %w", err)
	}
	format, err := cmcic.ParseFormat(*seal)
	if err != nil {
		return fmt.Errorf("-seal / SHOP_CMCIC_SEAL: %w", err)
	}
	cfg := sandbox.Config{
		Bank:      cmcic.Config{TPE: *tpe, Key: key, Format: format},
		NotifyURL: *notify,
		Logger:    slog.New(slog.NewTextHandler(stdout, nil)),
	}
	if err := cfg.Validate(); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	bank := sandbox.New(cfg)
	srv := &http.Server{
		Handler:           bank,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second, // a page waits for the notification call
		IdleTimeout:       2 * time.Minute,
	}
	fmt.Fprintf(stdout, "sandbox bank: payment page http://%s/paiement.cgi, terminal %s, %v seal, notifying %s\n",
		ln.Addr(), cfg.Bank.TPE, format, cfg.NotifyURL)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		bank.Close()
		return err
	case <-ctx.Done():
	}

	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	bank.Close() // after the server: no new payment can start a notification
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
