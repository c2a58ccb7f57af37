package main

import (
	"crypto/rand"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"shop/checkout"
	"shop/payment/card"
	"shop/store"
)

func newLogger(cfg *config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	// A second line of defence: anything that looks like a card number is masked
	// before it reaches a log line.
	return slog.New(card.ScrubHandler(h))
}

// requestIDs gives the process's request ids: a random prefix drawn once, then a count.
// A request id only has to be unique, across processes and restarts too; echo's default
// asked the system for 32 random characters on every request, a hundredth of a page.
func requestIDs() func() string {
	prefix := rand.Text()[:16] + "-"
	var n atomic.Uint64
	return func() string { return prefix + strconv.FormatUint(n.Add(1), 36) }
}

// routeTable tells the shop's own routes from the catch-all ones echo's router falls
// back on: the not-found page, and the two echo adds to a group with middleware (the
// admin area). A request that reaches none of the shop's routes changes nothing, so it
// needs no CSRF token, and it answers 405 when its address takes other methods. The
// table follows every route echo adds, whenever it is added: a route it did not know
// would go without its CSRF check.
type routeTable struct {
	e    *echo.Echo
	mu   sync.Mutex                        // serialises adds
	real atomic.Pointer[map[routeKey]bool] // replaced whole on each add: requests read it without a lock
}

type routeKey struct{ method, path string }

func newRouteTable(e *echo.Echo) *routeTable {
	t := &routeTable{e: e}
	t.real.Store(&map[routeKey]bool{})
	e.OnAddRouteHandler = func(_ string, r echo.Route, _ echo.HandlerFunc, _ []echo.MiddlewareFunc) {
		if r.Method == echo.RouteNotFound {
			return
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		next := maps.Clone(*t.real.Load())
		next[routeKey{r.Method, r.Path}] = true
		t.real.Store(&next)
	}
	return t
}

func (t *routeTable) has(method, path string) bool {
	return (*t.real.Load())[routeKey{method, path}]
}

// allowed lists the methods that have a route at r's path ("" when none), for a 405
// and its Allow header. echo would answer 405 itself, but its router prefers the
// catch-all routes.
func (t *routeTable) allowed(r *http.Request) string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		c := t.e.NewContext(r, nil)
		t.e.Router().Find(m, echo.GetPath(r), c)
		if !t.has(m, c.Path()) {
			continue
		}
		allow = append(allow, m)
		if m == http.MethodGet && r.URL.Path != checkout.NotifyPath { // headAsGet answers it
			allow = append(allow, http.MethodHead)
		}
	}
	return strings.Join(allow, ", ")
}

// notFound answers a request no route of the shop's takes: 405 when its address takes
// other methods, the not-found page otherwise.
func (t *routeTable) notFound(c echo.Context) error {
	if allow := t.allowed(c.Request()); allow != "" {
		c.Response().Header().Set(echo.HeaderAllow, allow)
		return echo.ErrMethodNotAllowed
	}
	return store.Errorf(store.NotFound, "We could not find this page.")
}

// noCSRF lists the routes that other servers call, authenticated otherwise: the bank's
// notification (by its MAC) and the sandbox bank's own pages; and a request no route of
// the shop's takes.
func noCSRF(c echo.Context, routes *routeTable) bool {
	p := c.Request().URL.Path
	return !routes.has(c.Request().Method, c.Path()) || p == checkout.NotifyPath || strings.HasPrefix(p, "/_bank/") ||
		strings.HasPrefix(p, "/static/") || strings.HasPrefix(p, "/media/") || p == "/healthz"
}

// newEcho builds the server with the shop's middleware; formActions are extra origins
// that forms may post to (the bank's payment page). Its routes table answers what no
// route takes (see routeTable).
func newEcho(cfg *config, logger *slog.Logger, site *store.Site, formActions ...string) (*echo.Echo, *routeTable) {
	e := echo.New()
	routes := newRouteTable(e) // before any route is added
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = site.HandleError
	e.IPExtractor = echo.ExtractIPDirect()
	if len(cfg.TrustedProxies) > 0 {
		var opts []echo.TrustOption
		for _, p := range cfg.TrustedProxies {
			_, n, _ := net.ParseCIDR(p.String())
			opts = append(opts, echo.TrustIPRange(n))
		}
		e.IPExtractor = echo.ExtractIPFromXFFHeader(append(opts, echo.TrustLoopback(false),
			echo.TrustLinkLocal(false), echo.TrustPrivateNet(false))...)
	}
	secure := cfg.BaseURL.Scheme == "https"

	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{Generator: requestIDs()}))
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisablePrintStack: true,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			logger.ErrorContext(c.Request().Context(), "panic", "err", err,
				"request_id", c.Response().Header().Get(echo.HeaderXRequestID), "stack", string(stack))
			return err
		}}))
	e.Use(middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURIPath: true, LogMethod: true, LogLatency: true, LogRequestID: true, LogError: true,
		HandleError: true,
		Skipper:     func(c echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/static/") },
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			ctx := c.Request().Context()
			if !logger.Enabled(ctx, slog.LevelInfo) {
				return nil
			}
			// A record without the caller's address: Logger.LogAttrs asks the runtime for
			// it on every line, a third of this line's cost, and no handler shows it.
			r := slog.NewRecord(v.StartTime.Add(v.Latency), slog.LevelInfo, "request", 0)
			// The path only: query strings may carry tokens and must not reach the logs.
			r.AddAttrs(slog.String("method", store.RequestMethod(c.Request())), slog.String("path", logPath(v.URIPath)), slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency), slog.String("request_id", v.RequestID))
			_ = logger.Handler().Handle(ctx, r)
			return nil
		},
	}))
	// The image upload is checked later, after the admin guard (see uploadChecks). A
	// request without a body (a page view) has nothing to limit, and is spared the
	// counting reader around its empty body.
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "64K",
		Skipper: func(c echo.Context) bool {
			// The bank's notification limits its own body, to answer in the protocol.
			return c.Request().Body == http.NoBody || isUpload(c) || c.Request().URL.Path == checkout.NotifyPath
		}}))
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		// The sandbox bank is another site in spirit: it sets its own headers.
		Skipper:               func(c echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/_bank/") },
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		HSTSMaxAge:            hstsAge(secure),
		ReferrerPolicy:        "same-origin",
		ContentSecurityPolicy: contentSecurityPolicy(formActions),
	}))
	e.Use(middleware.CSRFWithConfig(csrfConfig(secure,
		func(c echo.Context) bool { return noCSRF(c, routes) || isUpload(c) })))
	return e, routes
}

// logPathLimit bounds the path a request log line shows: the shop's own addresses are
// far shorter, and a 100 KB address (a probe, a broken client) must not make a 100 KB
// line.
const logPathLimit = 300

// logPath is the path as the request log shows it: cut to logPathLimit bytes, saying
// how long it was.
func logPath(p string) string {
	if len(p) <= logPathLimit {
		return p
	}
	return strings.ToValidUTF8(p[:logPathLimit], "") + "…(" + strconv.Itoa(len(p)) + " bytes)"
}

func csrfConfig(secure bool, skip middleware.Skipper) middleware.CSRFConfig {
	return middleware.CSRFConfig{
		TokenLookup:    "form:_csrf",
		CookieName:     "shop_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   secure,
		CookieSameSite: http.SameSiteLaxMode,
		Skipper:        skip,
	}
}

// uploadPath is the one route that takes a large body: a product image.
var uploadPath = regexp.MustCompile(`^/admin/products/[0-9]+/image$`)

func isUpload(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && uploadPath.MatchString(c.Request().URL.Path)
}

// uploadChecks are the body limit and CSRF check of the image upload, run inside the
// admin guard: reading a 24 MB body (the CSRF check parses the form) is only for admins.
func uploadChecks(cfg *config) []echo.MiddlewareFunc {
	only := func(c echo.Context) bool { return !isUpload(c) }
	return []echo.MiddlewareFunc{
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "24M", Skipper: only}),
		middleware.CSRFWithConfig(csrfConfig(cfg.BaseURL.Scheme == "https", only)),
	}
}

func hstsAge(secure bool) int {
	if secure {
		return 31536000
	}
	return 0
}

func contentSecurityPolicy(formActions []string) string {
	return "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
		"form-action " + strings.Join(append([]string{"'self'"}, formActions...), " ") +
		"; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
}

// headAsGet answers a HEAD request as the GET of the same address (echo routes HEAD
// nowhere by itself, and uptime checks use it). echo routes the copy it is handed, which
// says GET; net/http keeps the original, which says HEAD, so it sends the GET's headers
// without the body and keeps the connection open.
func headAsGet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Not the bank's notification URL: its GET changes an order, which a HEAD must not.
		if r.Method == http.MethodHead && r.URL.Path != checkout.NotifyPath {
			r = store.AsGet(r) // the logs still say HEAD
		}
		next.ServeHTTP(w, r)
	})
}
