package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"math"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"golang.org/x/net/html"

	"shop/checkout"
)

func TestHealthz_AnswersWhenTheDatabaseDoes(t *testing.T) {
	shop := startShop(t)
	p := shop.newShopper(t).getPage("/healthz")
	if p.Status != http.StatusOK {
		t.Fatalf("GET /healthz: %d, want 200", p.Status)
	}
	if strings.TrimSpace(string(p.Body)) != "ok" {
		t.Errorf("body = %q, want ok", p.Body)
	}
	if p.cookie("shop_visitor") != nil {
		t.Errorf("a health check should not create a visitor")
	}
}

func TestStatic_CachesVersionedAssetsForAYear(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	_, doc := sh.get("/")
	links := findAll(doc, func(n *html.Node) bool { return isElem(n, "link") && attrIs(n, "rel", "stylesheet") })
	if len(links) != 1 {
		t.Fatalf("want one stylesheet link, found %d", len(links))
	}
	css, _ := attr(links[0], "href")
	path, version, ok := strings.Cut(css, "?v=")
	if !ok || version == "" {
		t.Fatalf("stylesheet URL %q carries no version", css)
	}
	scripts := findAll(doc, func(n *html.Node) bool { return isElem(n, "script") })
	if len(scripts) != 1 {
		t.Fatalf("want one script, found %d", len(scripts))
	}
	js, _ := attr(scripts[0], "src")

	tests := []struct {
		name, url   string
		status      int
		contentType string
		long        bool
	}{
		{"current css version", css, 200, "text/css", true},
		{"current js version", js, 200, "javascript", true},
		{"no version", path, 200, "text/css", false},
		{"old version", path + "?v=0000", 200, "text/css", false},
		{"missing file", "/static/css/none.css?v=" + version, 404, "text/html", false},
		{"directory", "/static/css/", 404, "text/html", false},
		{"root", "/static/", 404, "text/html", false},
		{"escaped name", "/static/css/shop%2Ecss", 200, "text/css", false},
		{"not embedded", "/static/static.go", 404, "text/html", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := sh.getPage(tt.url)
			if p.Status != tt.status {
				t.Fatalf("GET %s: %d, want %d", tt.url, p.Status, tt.status)
			}
			if !strings.Contains(p.Header.Get("Content-Type"), tt.contentType) {
				t.Errorf("Content-Type = %q, want %q", p.Header.Get("Content-Type"), tt.contentType)
			}
			cc := p.Header.Get("Cache-Control")
			if tt.long {
				if cc != "public, max-age=31536000, immutable" {
					t.Errorf("Cache-Control = %q, want a year, immutable", cc)
				}
				return
			}
			if tt.status != 200 {
				// The shop's own error page, as for any other missing address.
				if len(byTestID(p.Doc, "error-page")) != 1 {
					t.Errorf("GET %s: not the shop's error page: %.300s", tt.url, p.Body)
				}
				return
			}
			if strings.Contains(cc, "immutable") || maxAge(cc) < 0 || maxAge(cc) > 3600 {
				t.Errorf("Cache-Control = %q, want a short max-age", cc)
			}
		})
	}
	if p := sh.getPage(css); p.cookie("shop_visitor") != nil {
		t.Errorf("static files should not create visitors")
	}
}

var maxAgeRe = regexp.MustCompile(`max-age=(\d+)`)

func maxAge(cc string) int {
	m := maxAgeRe.FindStringSubmatch(cc)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestSecurityHeaders_OnEveryKindOfResponse(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	for _, path := range []string{"/", "/products/honey", "/cart", "/no-such-page", "/healthz"} {
		t.Run(path, func(t *testing.T) {
			p := sh.getPage(path)
			csp := p.Header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "form-action 'self'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
				}
			}
			if got := p.Header.Get("X-Frame-Options"); got != "DENY" {
				t.Errorf("X-Frame-Options = %q, want DENY", got)
			}
			if got := p.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
			}
			if p.Header.Get("X-Request-Id") == "" {
				t.Errorf("no X-Request-Id")
			}
		})
	}
}

func TestRun_ConfigErrorsAreOneLineNamingTheVariable(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	bank := map[string]string{"SHOP_CMCIC_TPE": "1234567", "SHOP_CMCIC_KEY": "12345678901234567890123456789012345678P0",
		"SHOP_CMCIC_SOCIETE": "demoshop"}
	smtp := map[string]string{"SHOP_SMTP_HOST": "localhost", "SHOP_MAIL_FROM": "shop@example.com",
		"SHOP_MERCHANT_EMAIL": "merchant@example.com"}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := maps.Clone(base)
		if m == nil {
			m = map[string]string{}
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		env, value string
		extra      map[string]string // other settings, over the defaults below
	}{
		{"SHOP_ADDR", busy.Addr().String(), nil}, // in use: refused before the data directory is made
		{"SHOP_ADDR", "127.0.0.1:+80", nil},
		{"SHOP_DATA_DIR", notADir, nil},
		{"SHOP_BASE_URL", "http://:8080", nil},
		{"SHOP_BASE_URL", "http://shop.example.com?", nil},
		{"SHOP_BASE_URL", "http://shop.example.com:99999", nil},
		{"SHOP_NAME", "two\nlines", nil},
		{"SHOP_NAME", strings.Repeat("é", 81), nil},
		{"SHOP_SESSION_SECRET", strings.Repeat("é", 16), nil}, // 32 bytes, 16 characters
		{"SHOP_LOG_LEVEL", "INFO+3", nil},
		{"SHOP_CART_IDLE_DAYS", "+7", nil},
		{"SHOP_PAYMENT_MINUTES", " 30", nil},
		{"SHOP_CMCIC_TPE", "12", nil},
		{"SHOP_CMCIC_SOCIETE", "my shop", nil},
		{"SHOP_CMCIC_URL", "notaurl", nil},
		{"SHOP_CMCIC_KEY", strings.Repeat("0", 40), nil},
		{"SHOP_CMCIC_TPE", "7654321", map[string]string{"SHOP_DEMO": "0"}}, // no bank URL, no sandbox
		{"SHOP_CMCIC_SEAL", "legacy", map[string]string{"SHOP_DEMO": "0"}},
		{"SHOP_SMTP_PORT", "25", nil}, // without a host
		{"SHOP_SMTP_TLS", "none", nil},
		{"SHOP_SMTP_PASSWORD", "secret", smtp}, // without a user
		{"SHOP_SMTP_USER", "mailer", with(smtp, "SHOP_SMTP_PASSWORD", "secret", "SHOP_SMTP_TLS", "none")},
		{"SHOP_SMTP_CA_FILE", notADir, smtp}, // not a certificate
		{"SHOP_PPROF_ADDR", "127.0.0.1:18999", map[string]string{"SHOP_ADDR": "127.0.0.1:18999"}},
		{"SHOP_ADDR", "nonsense", nil},
		{"SHOP_ADDR", "127.0.0.1:99999", nil},
		{"SHOP_ADDR", ":", nil},
		{"SHOP_CARD_KEY", "short", nil},
		{"SHOP_CMCIC_KEY", "short", nil},
		{"SHOP_BASE_URL", "ftp://x", nil},
		{"SHOP_BASE_URL", "not a url", nil},
		{"SHOP_DEMO", "maybe", nil},
		{"SHOP_CART_IDLE_DAYS", "0", nil},
		{"SHOP_CART_IDLE_DAYS", "many", nil},
		{"SHOP_LOG_FORMAT", "xml", nil},
		{"SHOP_SESSION_SECRET", "short-secret", nil},
		{"SHOP_TRUSTED_PROXIES", "10.0.0.0/8,nope", nil},
		{"SHOP_BASE_URL", "http://127.0.0.1:8080/shop", nil},
		{"SHOP_BASE_URL", "http://127.0.0.1:8080/#top", nil},
		{"SHOP_BASE_URL", "https://user:pw@shop.example.com", nil},
		{"SHOP_SMTP_HOST", "127.0.0.1:25", nil},
		{"SHOP_SMTP_HOST", "bad_host!!", nil},
		{"SHOP_SMTP_USER", "mailer", nil}, // without a host
		{"SHOP_SMTP_CA_FILE", "/etc/ssl/certs/none.pem", nil},
		{"SHOP_PPROF_ADDR", "127.0.0.1:abc", nil},
		{"SHOP_PPROF_ADDR", "127.0.0.1:99999", nil},
		{"SHOP_LOG_LEVEL", "verbose", nil},
		{"SHOP_TIMEZONE", "Mars/Olympus_Mons", nil},
		{"SHOP_TIMEZONE", "Local", nil},
		// Hosts a mail address or a browser cannot use; the bank's page likewise.
		{"SHOP_BASE_URL", `http://sh"op*x.example.com:8080`, nil},
		{"SHOP_BASE_URL", "http://[::1%25lo]:8080", nil},
		{"SHOP_CMCIC_URL", "https://:443/paiement.cgi", bank},
		{"SHOP_CMCIC_URL", "https://bank.example:99999/x", bank},
		{"SHOP_CMCIC_URL", `https://ba"nk.example/x`, bank},
		{"SHOP_CMCIC_URL", "https://u:p@bank.example/x", bank},
		{"SHOP_PPROF_ADDR", busy.Addr().String(), nil}, // in use, like SHOP_ADDR
		{"SHOP_ADMIN_PASSWORD", "short", map[string]string{"SHOP_ADMIN_EMAIL": "boss@example.com"}},
		{"SHOP_ADMIN_PASSWORD", strings.Repeat("p", 73), map[string]string{"SHOP_ADMIN_EMAIL": "boss@example.com"}},
		{"SHOP_NAME", "two\u2028lines", nil},
		{"SHOP_NAME", "\u200b\u200b", nil},
		{"SHOP_BANK_PAYMENT_MINUTES", "60", map[string]string{"SHOP_PAYMENT_MINUTES": "90"}},
	}
	for _, tt := range tests {
		t.Run(tt.env+"="+tt.value, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			env := with(tt.extra, "SHOP_DATA_DIR", dir, "SHOP_ADDR", "127.0.0.1:0", "SHOP_DEMO", "1")
			maps.Copy(env, tt.extra)
			env[tt.env] = tt.value
			var stdout, stderr strings.Builder
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			err := run(ctx, nil, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
			if err == nil {
				t.Fatalf("run accepted %s=%q", tt.env, tt.value)
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\r\n") {
				t.Errorf("error spans several lines: %q", msg)
			}
			if !strings.Contains(msg, tt.env) {
				t.Errorf("error %q does not name %s", msg, tt.env)
			}
			if (strings.Contains(tt.env, "SECRET") || strings.Contains(tt.env, "KEY")) && strings.Contains(msg, tt.value) {
				t.Errorf("error %q shows the secret", msg)
			}
			// Refused before anything is done: no data directory, no database, no demo.
			if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the data directory was created (%v) before the bad setting stopped the shop", err)
			}
			if stdout.Len() != 0 {
				t.Errorf("run printed %q on a bad configuration", stdout.String())
			}
		})
	}
}

func TestParseConfig_DefaultsAndPrecedence(t *testing.T) {
	// Outside the demo the card form needs a key: asked for explicitly without one, the
	// shop refuses to start; left at its default, the form is simply not offered.
	explicitOn := func(k string) string { return map[string]string{"SHOP_CARD_PAYMENTS": "on"}[k] }
	if _, err := parseConfig(nil, explicitOn, io.Discard); err == nil || !strings.Contains(err.Error(), "SHOP_CARD_KEY") {
		t.Errorf("SHOP_CARD_PAYMENTS=on without a key = %v, want an error asking for SHOP_CARD_KEY", err)
	}
	if cfg, err := parseConfig(nil, func(string) string { return "" }, io.Discard); err != nil || cfg.CardPayments ||
		len(cfg.warnings) != 1 || !strings.Contains(cfg.warnings[0], "SHOP_CARD_KEY") {
		t.Errorf("no configuration at all = %+v, %v; want the card form off with a warning naming SHOP_CARD_KEY", cfg, err)
	}
	cfg, err := parseConfig(nil, func(k string) string { return map[string]string{"SHOP_CARD_PAYMENTS": "off"}[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:8080" || cfg.BaseURL.String() != "http://localhost:8080" || cfg.DataDir != "./data" ||
		cfg.Demo || cfg.CartIdle != 30*24*time.Hour || cfg.Zone.Location().String() != "Europe/Paris" {
		t.Errorf("defaults = %+v", cfg)
	}
	env := map[string]string{"SHOP_ADDR": "127.0.0.1:9000", "SHOP_DEMO": "1", "SHOP_BASE_URL": "https://shop.example.com/",
		"SHOP_CARD_PAYMENTS": "off"}
	cfg, err = parseConfig([]string{"-addr", "127.0.0.1:9100"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:9100" {
		t.Errorf("Addr = %q, want the flag's value to win over SHOP_ADDR", cfg.Addr)
	}
	if !cfg.Demo || cfg.BaseURL.String() != "https://shop.example.com" {
		t.Errorf("environment not applied: demo %v base %s", cfg.Demo, cfg.BaseURL)
	}
	if _, err := parseConfig([]string{"extra"}, func(k string) string { return env[k] }, io.Discard); err == nil {
		t.Errorf("an unexpected argument was accepted")
	}
	// -h lists every setting; the base URL's default is the address served, not a
	// fixed one.
	var help strings.Builder
	if _, err := parseConfig([]string{"-h"}, func(string) string { return "" }, &help); !errors.Is(err, flag.ErrHelp) ||
		!strings.Contains(help.String(), "SHOP_CARD_PAYMENTS") || !strings.Contains(help.String(), "the address served") ||
		strings.Contains(help.String(), `default "http://localhost:8080"`) {
		t.Errorf("-h: %v, printed:\n%s", err, help.String())
	}

	// Words are read whatever their case; a bad flag is named as the flag it was.
	env = map[string]string{"SHOP_LOG_FORMAT": "JSON", "SHOP_LOG_LEVEL": "WARN", "SHOP_SMTP_TLS": "None",
		"SHOP_CARD_PAYMENTS": "off", "SHOP_SMTP_HOST": "mail.example.com", "SHOP_MAIL_FROM": "shop@example.com",
		"SHOP_MERCHANT_EMAIL": "boss@example.com"}
	cfg, err = parseConfig(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil || cfg.LogFormat != "json" || cfg.SMTPTLS != "none" || cfg.LogLevel != slog.LevelWarn {
		t.Errorf("upper-case words: %+v, %v", cfg, err)
	}
	// A payment window longer than the bank's default, set alone, lengthens the bank's.
	env = map[string]string{"SHOP_PAYMENT_MINUTES": "200", "SHOP_CARD_PAYMENTS": "off"}
	if cfg, err = parseConfig(nil, func(k string) string { return env[k] }, io.Discard); err != nil {
		t.Errorf("SHOP_PAYMENT_MINUTES=200 alone: %v", err)
	} else if cfg.BankWindow != 200*time.Minute {
		t.Errorf("SHOP_PAYMENT_MINUTES=200 alone: bank window %v, want 200 minutes", cfg.BankWindow)
	}
	_, err = parseConfig([]string{"-addr", "127.0.0.1:99999"}, func(string) string { return "" }, io.Discard)
	if err == nil || !strings.HasPrefix(err.Error(), `-addr="127.0.0.1:99999" (SHOP_ADDR): `) {
		t.Errorf("bad -addr flag: %v, want an error naming the flag first", err)
	}
}

// lineWriter hands each line written to it to a channel, so a test can wait for run to
// say where it listens.
type lineWriter struct {
	mu    sync.Mutex
	buf   strings.Builder
	lines chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		s := w.buf.String()
		line, rest, ok := strings.Cut(s, "\n")
		if !ok {
			break
		}
		w.buf.Reset()
		w.buf.WriteString(rest)
		select {
		case w.lines <- line:
		default:
		}
	}
	return len(p), nil
}

func TestRun_ServesAndReturnsNilOnCancel(t *testing.T) {
	env := map[string]string{"SHOP_DATA_DIR": t.TempDir(), "SHOP_ADDR": "127.0.0.1:0", "SHOP_DEMO": "1"}
	stdout := &lineWriter{lines: make(chan string, 10)}
	var stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, func(k string) string { return env[k] }, strings.NewReader(""), stdout, &stderr)
	}()

	var addr string
	select {
	case line := <-stdout.lines:
		m := regexp.MustCompile(`on http://(\S+) `).FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("run said %q, want the address it serves", line)
		}
		addr = m[1]
		// Without SHOP_BASE_URL, the public URL is the address served, port 0's port
		// included: links and the sandbox bank lead back to this shop.
		if want := "(public URL http://" + addr + ","; !strings.Contains(line, want) {
			t.Errorf("run said %q, want %q", line, want)
		}
		// make bench reads the shop's GOMAXPROCS there (cmd/loadtest's shopProcs).
		if want := fmt.Sprintf(", GOMAXPROCS %d)", runtime.GOMAXPROCS(0)); !strings.HasSuffix(line, want) {
			t.Errorf("run said %q, want it to end with %q", line, want)
		}
	case err := <-done:
		t.Fatalf("run returned before serving: %v\n%s", err, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("run did not start serving within 30s")
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel = %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return within 30s of cancel")
	}
	// The request log is buffered: whatever it held is written before run returns.
	if !strings.Contains(stderr.String(), "path=/healthz") {
		t.Errorf("the log lacks the /healthz request after run returned:\n%s", stderr.String())
	}
}

func TestServe_GracefulShutdownLetsInFlightRequestFinish(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SHOP_DATA_DIR": t.TempDir(), "SHOP_ADDR": ln.Addr().String(), "SHOP_DEMO": "1"}
	cfg, err := parseConfig(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	a, err := newApp(context.Background(), cfg, newLogger(cfg, &logs))
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	a.echo.GET("/test/slow", func(c echo.Context) error {
		close(started)
		<-release
		return c.String(http.StatusOK, "finished")
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- a.serve(ctx, ln) }()

	type result struct {
		status int
		body   string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/test/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{resp.StatusCode, string(b), err}
	}()
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the slow request never reached its handler")
	}

	cancel()
	// Shutdown has begun once the listener refuses new connections.
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts connections 30s after cancel")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-served:
		t.Fatalf("serve returned (%v) while a request was in flight", err)
	default:
	}

	close(release)
	r := <-got
	if r.err != nil || r.status != http.StatusOK || r.body != "finished" {
		t.Errorf("in-flight request: status %d body %q err %v; want 200 finished", r.status, r.body, r.err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("serve = %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return after the last request finished")
	}
	// The database is closed once serve returns.
	if err := a.db.Ping(context.Background()); err == nil || !strings.Contains(fmt.Sprint(err), "closed") {
		t.Errorf("database still open after serve returned: ping = %v", err)
	}
	if !strings.Contains(logs.String(), "shutting down") {
		t.Errorf("no shutdown log line")
	}
}

// A HEAD answers like the GET without its body, and the connection stays open for the
// next request.
func TestHead_AnswersLikeGetWithoutABody(t *testing.T) {
	ts := startShop(t)
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	defer client.CloseIdleConnections()
	first := true
	for path, status := range map[string]int{"/": 200, "/healthz": 200, "/products/honey": 200,
		"/static/css/shop.css": 200, "/no/such/page": 404} {
		req, err := http.NewRequest(http.MethodHead, ts.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		reused := false
		req = req.WithContext(httptrace.WithClientTrace(req.Context(),
			&httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused }}))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != status || len(body) != 0 {
			t.Errorf("HEAD %s: status %d, %d body bytes; want %d and none", path, resp.StatusCode, len(body), status)
		}
		if !reused && !first {
			t.Errorf("HEAD %s: a new connection, the previous request's was closed", path)
		}
		post, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(),
			&httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused }}),
			http.MethodPost, ts.URL+"/no/such/form", strings.NewReader("a=1"))
		if err != nil {
			t.Fatal(err)
		}
		post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if resp, err = client.Do(post); err != nil {
			t.Fatalf("POST after HEAD %s: %v", path, err)
		}
		if !reused {
			t.Errorf("POST after HEAD %s: a new connection, the HEAD's was closed", path)
		}
		io.Copy(io.Discard, resp.Body) // read to the end, so the connection can serve again
		resp.Body.Close()
		first = false
	}
	// The request log says what the client sent.
	logs := ts.logs.String()
	for _, want := range []string{"method=HEAD path=/products/honey status=200", "method=HEAD path=/no/such/page status=404",
		"method=POST path=/no/such/form"} {
		if !strings.Contains(logs, want) {
			t.Errorf("no %q in the request log:\n%.2000s", want, logs)
		}
	}
	if strings.Contains(logs, "method=GET path=/products/honey") {
		t.Errorf("a HEAD logged as a GET:\n%.2000s", logs)
	}
}

// A very long address is answered (404) and logged on a line of bounded length that
// says how long the path was.
func TestRequestLog_CutsAVeryLongPath(t *testing.T) {
	ts := startShop(t)
	sh := ts.newShopper(t)
	long := "/products/" + strings.Repeat("é", 50_000)
	if p := sh.getPage(long); p.Status != http.StatusNotFound {
		t.Fatalf("status %d, want 404", p.Status)
	}
	var line string
	for _, l := range strings.Split(ts.logs.String(), "\n") {
		if strings.Contains(l, `path="/products/é`) {
			line = l
		}
	}
	if line == "" {
		t.Fatalf("no request line for the long path in the logs: %.600s", ts.logs.String())
	}
	if len(line) > 1000 || !strings.Contains(line, "(100010 bytes)") || !utf8.ValidString(line) {
		t.Errorf("log line of %d bytes (valid UTF-8: %v), want under 1000 saying the path's 100010 bytes: %.200s",
			len(line), utf8.ValidString(line), line)
	}
}

func TestBodyLimit_OnlyAdminsMaySendALargeImage(t *testing.T) {
	ts := startShop(t)
	big := strings.NewReader(strings.Repeat("x", 200<<10))
	for path, want := range map[string]int{
		"/cart/image":              http.StatusRequestEntityTooLarge, // looks like an upload, is not one
		"/admin/products/1/image":  http.StatusForbidden,             // the guard answers before the body is read
		"/admin/products/1/image2": http.StatusRequestEntityTooLarge,
	} {
		big.Seek(0, io.SeekStart)
		resp, err := http.Post(ts.URL+path, "application/x-www-form-urlencoded", big)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("POST 200 KB to %s: status %d, want %d", path, resp.StatusCode, want)
		}
	}
}

// TestBodyLimit_AnyRequestWithABody: a page view carries no body and skips the limit; a
// request that does carry one is held to it, whatever its method.
func TestBodyLimit_AnyRequestWithABody(t *testing.T) {
	ts := startShop(t)
	for _, tc := range []struct {
		body io.Reader
		want int
	}{
		{nil, http.StatusOK},
		{strings.NewReader(strings.Repeat("x", 200<<10)), http.StatusRequestEntityTooLarge},
	} {
		req, err := http.NewRequest(http.MethodGet, ts.URL+"/products/honey", tc.body)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET with body %v: status %d, want %d", tc.body != nil, resp.StatusCode, tc.want)
		}
	}
}

// TestTuneGC: the shop's default GOGC and soft memory limit apply unless GOGC or
// GOMEMLIMIT is set, which then wins.
func TestTuneGC(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	prevLimit := debug.SetMemoryLimit(math.MaxInt64)
	defer debug.SetMemoryLimit(prevLimit)
	tuneGC(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("without GOGC the collector's target is %d, want %d", got, gcPercent)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != memoryLimit {
		t.Errorf("without GOMEMLIMIT the soft memory limit is %d, want %d", got, memoryLimit)
	}
	tuneGC(func(k string) string {
		switch k {
		case "GOGC":
			return "50"
		case "GOMEMLIMIT":
			return "1GiB"
		}
		return ""
	})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set the shop changed the target to %d", got)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != math.MaxInt64 {
		t.Errorf("with GOMEMLIMIT set the shop changed the limit to %d", got)
	}
}

// TestTuneProcs: the shop runs procsPerCPU Ps per CPU unless GOMAXPROCS is set or Go
// found a CPU limit below the CPUs.
func TestTuneProcs(t *testing.T) {
	defer runtime.SetDefaultGOMAXPROCS()
	cpus := runtime.NumCPU()
	runtime.GOMAXPROCS(cpus) // Go's choice on a machine without a limit
	tuneProcs(func(string) string { return "" })
	if got := runtime.GOMAXPROCS(0); got != cpus*procsPerCPU {
		t.Errorf("without GOMAXPROCS the shop runs %d Ps on %d CPUs, want %d", got, cpus, cpus*procsPerCPU)
	}
	runtime.GOMAXPROCS(cpus)
	tuneProcs(func(k string) string {
		if k == "GOMAXPROCS" {
			return strconv.Itoa(cpus)
		}
		return ""
	})
	if got := runtime.GOMAXPROCS(0); got != cpus {
		t.Errorf("with GOMAXPROCS set the shop changed it to %d", got)
	}
	if cpus > 1 {
		runtime.GOMAXPROCS(cpus - 1) // as under a CPU quota below the machine's CPUs
		tuneProcs(func(string) string { return "" })
		if got := runtime.GOMAXPROCS(0); got != cpus-1 {
			t.Errorf("under a CPU limit of %d the shop changed GOMAXPROCS to %d", cpus-1, got)
		}
	}
}

// Request ids are unique within a process and between two processes (or restarts).
func TestRequestIDs_Unique(t *testing.T) {
	seen := map[string]bool{}
	for _, next := range []func() string{requestIDs(), requestIDs()} {
		for range 1000 {
			id := next()
			if seen[id] || len(id) < 18 {
				t.Fatalf("request id %q: seen before, or too short", id)
			}
			seen[id] = true
		}
	}
}

// A method a page does not take answers 405 with the methods it does take, even
// without a CSRF token, and changes nothing; an unknown address stays 404.
func TestWrongMethod_Answers405WithAllow(t *testing.T) {
	ts := startShop(t)
	sh := ts.newShopper(t)
	sh.addToCart("honey", 1)
	lines := func() string {
		return ts.queryText(t, `SELECT group_concat(product_id || 'x' || quantity) FROM cart_lines`)
	}
	before := lines()
	for _, tt := range []struct{ method, path, allow string }{
		{http.MethodGet, "/cart/add", "POST"},
		{http.MethodHead, "/cart/remove", "POST"},
		{http.MethodDelete, "/cart", "GET, HEAD"},
		{http.MethodPost, "/products/honey", "GET, HEAD"},
		{http.MethodPut, "/checkout", "GET, HEAD, POST"},
		{http.MethodHead, "/payment/cmcic/notify", "GET, POST"}, // a HEAD must not act as the GET that pays
	} {
		p := sh.fetch(tt.method, tt.path, url.Values{"product_id": {"1"}, "quantity": {"3"}}, nil)
		if p.Status != http.StatusMethodNotAllowed || p.Header.Get("Allow") != tt.allow {
			t.Errorf("%s %s: %d, Allow %q; want 405, Allow %q", tt.method, tt.path, p.Status, p.Header.Get("Allow"), tt.allow)
		}
	}
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		if p := sh.fetch(method, "/no/such/page", url.Values{}, nil); p.Status != http.StatusNotFound {
			t.Errorf("%s of an unknown address: %d, want 404", method, p.Status)
		}
	}
	if after := lines(); after != before {
		t.Errorf("cart lines %s → %s", before, after)
	}

	// The admin area's own catch-all answers the same way, once past the login. Before
	// it, a form sent to an address that takes none is refused, not kept to be sent again.
	addAdmin(t, ts, adminEmail)
	if p := ts.newShopper(t).fetch(http.MethodPost, "/admin/orders", url.Values{"q": {"x"}}, nil); p.Status != http.StatusForbidden {
		t.Errorf("POST /admin/orders without a session: %d, want 403", p.Status)
	}
	admin := ts.newShopper(t)
	adminLogin(t, admin, adminEmail)
	admin.get("/admin")
	for _, tt := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{http.MethodPost, "/admin/orders", http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodGet, "/admin/logout", http.StatusMethodNotAllowed, "POST"},
		{http.MethodGet, "/admin/no/such/page", http.StatusNotFound, ""},
		{http.MethodPost, "/admin/no/such/page", http.StatusNotFound, ""},
	} {
		p := admin.fetch(tt.method, tt.path, url.Values{}, nil)
		if p.Status != tt.status || p.Header.Get("Allow") != tt.allow {
			t.Errorf("admin %s %s: %d, Allow %q; want %d, Allow %q", tt.method, tt.path, p.Status, p.Header.Get("Allow"), tt.status, tt.allow)
		}
	}
}

// Every route that takes a form refuses one without a CSRF token, whoever added it and
// whenever: the table that lets requests no route takes skip the check follows every
// route echo adds, even one added after the shop started serving. Only the bank's
// notification and the sandbox bank, authenticated otherwise, are exempt.
func TestCSRF_EveryFormRouteRefusesAPostWithoutToken(t *testing.T) {
	ts := startShop(t)
	sh := ts.newShopper(t)
	sh.get("/") // the shopper has a CSRF cookie; the posts below carry no token
	var ran atomic.Bool
	ts.app.echo.POST("/test/late", func(c echo.Context) error { ran.Store(true); return c.NoContent(http.StatusNoContent) })
	checked := 0
	for _, r := range ts.app.echo.Routes() {
		if r.Method == echo.RouteNotFound || r.Method == http.MethodGet || r.Method == http.MethodHead ||
			r.Method == http.MethodOptions || r.Method == http.MethodConnect || r.Method == http.MethodTrace ||
			r.Path == checkout.NotifyPath || strings.HasPrefix(r.Path, "/_bank/") {
			continue
		}
		path := strings.ReplaceAll(routeParam.ReplaceAllString(r.Path, "1"), "*", "anything")
		p := sh.fetch(r.Method, path, url.Values{"quantity": {"1"}, "product_id": {"1"}}, nil)
		if p.Status != http.StatusBadRequest && p.Status != http.StatusForbidden {
			t.Errorf("%s %s without a CSRF token: %d, want 400 or 403", r.Method, r.Path, p.Status)
		}
		checked++
	}
	if ran.Load() {
		t.Error("a route added after the shop started took a form without a CSRF token")
	}
	if checked < 20 {
		t.Errorf("only %d routes checked", checked)
	}
}

// TestParseConfig_CountsCharactersNotBytes: the name's 80 and the secret's 32 are
// characters, as the README says, whatever their bytes in UTF-8.
func TestParseConfig_CountsCharactersNotBytes(t *testing.T) {
	env := map[string]string{"SHOP_DEMO": "1", "SHOP_NAME": strings.Repeat("é", 80), "SHOP_SESSION_SECRET": strings.Repeat("é", 32)}
	cfg, err := parseConfig(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatalf("80 accented letters as the name, 32 as the secret: %v", err)
	}
	if cfg.Name != env["SHOP_NAME"] {
		t.Errorf("name = %q", cfg.Name)
	}
}

// A damaged development card key (demo mode) stops the shop with one line that names
// the file and the way out.
func TestRun_DamagedDevelopmentCardKeyIsNamed(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dev-card.key"), []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SHOP_DATA_DIR": dir, "SHOP_ADDR": "127.0.0.1:0", "SHOP_DEMO": "1"}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	err := run(ctx, nil, func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, io.Discard)
	if err == nil {
		t.Fatal("the shop started with a damaged card key")
	}
	if msg := err.Error(); strings.ContainsAny(msg, "\r\n") || !strings.Contains(msg, "dev-card.key") || !strings.Contains(msg, "SHOP_CARD_KEY") {
		t.Errorf("error %q: want one line naming the file and SHOP_CARD_KEY", msg)
	}
}
