package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"shop/cart"
	"shop/checkout"
	"shop/payment/cmcic/sandbox"
	"shop/static"
	"shop/store"
)

// app is the wired shop: database, packages, routes and background jobs.
type app struct {
	cfg      *config
	log      *slog.Logger
	db       *store.DB
	echo     *echo.Echo
	cart     *cart.Cart
	orders   *checkout.Service
	outbox   *checkout.Outbox
	sandbox  *sandbox.Bank
	now      func() time.Time
	jobs     sync.WaitGroup
	cancel   context.CancelFunc
	mailPoll time.Duration
	// pprofLn is SHOP_PPROF_ADDR bound by run, which refuses to start when it cannot be;
	// nil: servePprof binds it itself.
	pprofLn net.Listener
	// adminNotice is printed at start, e.g. the demo admin's credentials.
	adminNotice string
}

// newApp opens the database, applies migrations, seeds the demo and wires every route.
// Options adjust the app before wiring (tests inject a clock or a faster mail poll).
func newApp(ctx context.Context, cfg *config, logger *slog.Logger, opts ...func(*app)) (*app, error) {
	db, err := store.Open(ctx, filepath.Join(cfg.DataDir, "shop.db"), cart.Migrations, checkout.Migrations)
	if err != nil {
		return nil, fmt.Errorf("SHOP_DATA_DIR=%q: %w", cfg.DataDir, err)
	}
	a := &app{cfg: cfg, log: logger, db: db, now: time.Now, mailPoll: 10 * time.Second}
	for _, opt := range opts {
		opt(a)
	}
	db.Now = a.now
	if err := a.wire(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

func (a *app) wire(ctx context.Context) error {
	if a.cfg.Demo {
		seeded, err := a.db.SeedDemo(ctx)
		if err != nil {
			return fmt.Errorf("seed demo catalogue: %w", err)
		}
		if seeded {
			a.log.Info("demo catalogue seeded")
		}
	}
	hashKey, blockKey, err := a.db.SessionKeys(ctx, a.cfg.SessionSecret)
	if err != nil {
		return fmt.Errorf("session keys: %w", err)
	}
	assets, err := static.New("/static/")
	if err != nil {
		return err
	}
	secure := a.cfg.BaseURL.Scheme == "https"
	a.cart = &cart.Cart{DB: a.db, Now: a.now}
	site := &store.Site{
		DB:       a.db,
		Sessions: store.NewSessions(hashKey, blockKey, secure, 90*24*3600),
		Assets:   assets,
		Cart:     a.cart,
		Name:     a.cfg.Name,
		Zone:     a.cfg.Zone,
		Logger:   a.log,
	}
	bank, err := a.bank()
	if err != nil {
		return err
	}
	a.sandbox = bank.sandbox
	if a.outbox, err = a.newOutbox(); err != nil {
		return err
	}
	base := a.cfg.BaseURL.String()
	a.orders = &checkout.Service{DB: a.db, Now: a.now, PaymentWindow: a.cfg.PaymentWindow, BankWindow: a.cfg.BankWindow,
		Zone: a.cfg.Zone, Mails: &checkout.Mails{ShopName: a.cfg.Name, BaseURL: base, Merchant: a.cfg.Merchant,
			Location: a.cfg.Zone.Location()}}

	var formActions []string
	if o := bank.origin(); o != "" && o != base {
		formActions = append(formActions, o)
	}
	e, routes := newEcho(a.cfg, a.log, site, formActions...)
	e.GET("/healthz", a.healthz)
	e.GET("/static/*", func(c echo.Context) error {
		// A missing file gets the shop's error page, not net/http's bare text.
		if !assets.Has(strings.TrimPrefix(c.Request().URL.Path, "/static/")) { // decoded, as served
			return store.Errorf(store.NotFound, "We could not find this file.")
		}
		assets.ServeHTTP(c.Response(), c.Request())
		return nil
	})

	shop := e.Group("", site.Sessions.Visitor)
	catalogue := &store.Catalogue{DB: a.db, Site: site, PageSize: 24}
	catalogue.Routes(shop)
	orders := &checkout.Handler{Service: a.orders, Cart: a.cart, Site: site}
	(&cart.Handler{Cart: a.cart, Site: site, Catalogue: catalogue, CheckoutURL: "/checkout", Pending: orders}).Routes(shop)
	orders.Routes(shop)
	if a.cfg.CardPayments || a.cfg.CardKey != "" {
		// With the form off, a configured key still opens merchant mails queued before.
		key, err := a.cardKey()
		if err != nil {
			return err
		}
		a.outbox.Digits = key
	}
	if a.cfg.CardPayments {
		key, err := a.cardKey()
		if err != nil {
			return err
		}
		m := &checkout.CardPayments{Orders: orders, Key: key, Secure: a.secureRequest, Wake: a.outbox.Wake}
		m.Routes(shop)
		orders.Methods = append(orders.Methods, m)
	}
	if bank.offered {
		m := &checkout.BankPayments{Orders: orders, Bank: bank.config, BaseURL: base, Sandbox: bank.sandbox != nil,
			Logger: a.log, Wake: a.outbox.Wake}
		m.Routes(shop)
		m.NotifyRoutes(e)
		orders.Methods = append(orders.Methods, m)
	}
	staff := &store.Staff{DB: a.db, Now: a.now}
	if a.adminNotice, err = setUpAdmins(ctx, staff, a.cfg.AdminEmail, a.cfg.AdminPassword, a.cfg.Demo, base+"/admin/login"); err != nil {
		return err
	}
	admin := &store.Admin{DB: a.db, Site: site, Staff: staff, DataDir: a.cfg.DataDir, Idle: a.cfg.AdminIdle, Now: a.now,
		Orders: a.orders, Dashboard: a.orders, OrderMoves: a.orders}
	guarded := mountAdmin(e, admin, routes.notFound, uploadChecks(a.cfg)...)
	(&checkout.AdminPages{Service: a.orders, Outbox: a.outbox, Frame: admin, Site: site, Logger: a.log}).Routes(guarded)
	if len(orders.Methods) == 0 {
		a.log.Warn("no payment method is configured: orders can be placed but not paid; set SHOP_CARD_KEY or SHOP_CMCIC_URL")
	}
	if bank.sandbox != nil {
		e.Any("/_bank/*", echo.WrapHandler(http.StripPrefix("/_bank", bank.sandbox)))
	}
	e.RouteNotFound("/*", routes.notFound, site.Sessions.Visitor)
	a.echo = e
	return nil
}

func (a *app) healthz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := a.db.Ping(ctx); err != nil {
		return c.String(http.StatusServiceUnavailable, "database unavailable\n")
	}
	return c.String(http.StatusOK, "ok\n")
}

// startJobs runs the background work until ctx ends: the periodic jobs, the mail
// worker, the search index's merges, and once, the product slug hints' warm-up.
func (a *app) startJobs(ctx context.Context) {
	ctx, a.cancel = context.WithCancel(ctx)
	a.servePprof(ctx)
	a.every(ctx, time.Hour, "cart clean-up", func(ctx context.Context) error {
		n, err := a.cart.DeleteIdle(ctx, a.now().Add(-a.cfg.CartIdle))
		if n > 0 {
			a.log.Info("idle carts deleted", "count", n)
		}
		return err
	})
	a.every(ctx, time.Hour, "sent mail clean-up", func(ctx context.Context) error {
		n, err := a.outbox.ForgetSentBodies(ctx, a.now().Add(-checkout.SentBodiesKept))
		if n > 0 {
			a.log.Info("texts of old sent mails deleted", "count", n)
		}
		return err
	})
	a.every(ctx, time.Minute, "order expiry", func(ctx context.Context) error {
		n, err := a.orders.ExpireDue(ctx)
		if n > 0 {
			a.log.Info("unpaid orders expired", "count", n)
			a.outbox.Wake()
		}
		return err
	})
	a.jobs.Add(1)
	go func() {
		defer a.jobs.Done()
		start := time.Now()
		n, err := a.db.WarmSlugHints(ctx)
		switch {
		case ctx.Err() != nil: // stopping: a partial count would read as done
		case err != nil:
			// Only slower first views: each product page then finds its own hint.
			a.log.Error("background job failed", "job", "product slug hints", "err", err)
		default:
			a.log.Debug("product slug hints read", "count", n, "took", time.Since(start))
		}
	}()
	a.jobs.Add(1)
	go func() {
		defer a.jobs.Done()
		a.outbox.Run(ctx, a.mailPoll)
	}()
	a.jobs.Add(1)
	go func() {
		defer a.jobs.Done()
		a.db.KeepSearchIndexMerged(ctx, time.Hour, func(err error) {
			a.log.Error("background job failed", "job", "search index merge", "err", err)
		})
	}()
}

func (a *app) every(ctx context.Context, d time.Duration, name string, job func(context.Context) error) {
	a.jobs.Add(1)
	go func() {
		defer a.jobs.Done()
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			if err := job(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("background job failed", "job", name, "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// serve answers on ln until ctx ends, then lets in-flight requests finish, stops the
// jobs and closes the database.
func (a *app) serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           headAsGet(a.echo),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	a.startJobs(ctx)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		a.log.Info("shutting down")
		// The sandbox bank may still owe the shop a late notification: let it call while
		// the server still answers.
		if a.sandbox != nil {
			a.sandbox.Close()
		}
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
	}
	a.close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func (a *app) close() {
	if a.cancel != nil {
		a.cancel()
	}
	a.jobs.Wait()
	if err := a.db.Close(); err != nil {
		a.log.Error("close database", "err", err)
	}
}

// announceAndServe says where the shop is, then serves on ln until ctx ends.
func (a *app) announceAndServe(ctx context.Context, ln net.Listener, stdout io.Writer) error {
	fmt.Fprintf(stdout, "shop: serving %s on http://%s (public URL %s, GOMAXPROCS %d)\n",
		a.cfg.Name, ln.Addr(), a.cfg.BaseURL, runtime.GOMAXPROCS(0))
	if a.adminNotice != "" {
		fmt.Fprintln(stdout, "shop: "+a.adminNotice)
	}
	return a.serve(ctx, ln)
}
