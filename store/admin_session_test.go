package store

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"
)

type stubAssets struct{}

func (stubAssets) URL(name string) string { return "/static/" + name }

// adminFixture is the admin area on its own echo (no CSRF middleware: that is tested
// through the real router in cmd/shop), with a clock the test moves.
type adminFixture struct {
	admin *Admin
	echo  *echo.Echo
	clock *testClock
}

func mustAdminFixture(t *testing.T) *adminFixture {
	t.Helper()
	db := mustOpenStore(t)
	clock := newTestClock()
	hash, block := make([]byte, 64), make([]byte, 32)
	rand.Read(hash)
	rand.Read(block)
	site := &Site{DB: db, Sessions: NewSessions(hash, block, false, 3600), Assets: stubAssets{}, Name: "Test shop",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	a := &Admin{DB: db, Site: site, Staff: &Staff{DB: db, Cost: bcrypt.MinCost, Now: clock.Now},
		DataDir: t.TempDir(), Now: clock.Now}
	e := echo.New()
	e.HTTPErrorHandler = site.HandleError
	e.GET("/media/*", a.MediaHandler())
	a.Routes(e.Group("/admin"), e.Group("/admin", a.RequireAdmin))
	if _, err := a.Staff.Add(context.Background(), "boss@example.com", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	return &adminFixture{admin: a, echo: e, clock: clock}
}

// do sends one request with the given cookie (may be nil) and returns the recorder.
func (f *adminFixture) do(method, target string, form url.Values, cookie *http.Cookie) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	req.RemoteAddr = "192.0.2.1:1234"
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	rec := httptest.NewRecorder()
	f.echo.ServeHTTP(rec, req)
	return rec
}

func adminCookieOf(rec *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == adminCookie {
			return c
		}
	}
	return nil
}

// login posts the login form and returns the admin cookie it sets.
func (f *adminFixture) login(t *testing.T, with *http.Cookie) *http.Cookie {
	t.Helper()
	rec := f.do(http.MethodPost, "/admin/login", url.Values{"email": {"boss@example.com"}, "password": {"correct horse battery"}}, with)
	c := adminCookieOf(rec)
	if rec.Code != http.StatusSeeOther || c == nil {
		t.Fatalf("login: %d, cookie %v; body %s", rec.Code, c, rec.Body)
	}
	return c
}

func (f *adminFixture) sessionCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.admin.DB.R.QueryRow(`SELECT count(*) FROM admin_sessions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// wantLoginRedirect checks that a page request was sent to the login form.
func wantLoginRedirect(t *testing.T, rec *httptest.ResponseRecorder, what string) {
	t.Helper()
	if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/login") {
		t.Errorf("%s: %d to %q, want 303 to /admin/login", what, rec.Code, loc)
	}
}

func TestRequireAdmin_WithoutSessionRedirectsPagesAndRefusesActions(t *testing.T) {
	f := mustAdminFixture(t)
	rec := f.do(http.MethodGet, "/admin/products?q=mug", nil, nil)
	wantLoginRedirect(t, rec, "GET without a session")
	if loc := rec.Header().Get("Location"); loc != "/admin/login?next="+url.QueryEscape("/admin/products?q=mug") {
		t.Errorf("Location = %q, want the page to come back to", loc)
	}
	// Without the CSRF check in front (cmd/shop has it), nothing has read the body, and
	// the guard refuses it unread; cmd/shop's tests follow a read form through the login.
	rec = f.do(http.MethodPost, "/admin/products", url.Values{"name": {"x"}}, nil)
	if rec.Code != http.StatusForbidden {
		t.Errorf("POST without a session: %d, want 403", rec.Code)
	}
	forged := &http.Cookie{Name: adminCookie, Value: "forged"}
	wantLoginRedirect(t, f.do(http.MethodGet, "/admin", nil, forged), "GET with a forged cookie")
	if n, _, _ := f.admin.DB.AdminProducts(context.Background(), AdminProductFilter{}); len(n) != 0 {
		t.Errorf("a refused POST stored %d products", len(n))
	}
}

func TestAdminSession_CookieAttributes(t *testing.T) {
	f := mustAdminFixture(t)
	c := f.login(t, nil)
	if c.Path != "/admin" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.MaxAge <= 0 || c.MaxAge > 12*3600 {
		t.Errorf("admin cookie = %+v; want Path=/admin, HttpOnly, SameSite=Lax, a lifetime of at most 12 h", c)
	}
	if rec := f.do(http.MethodGet, "/admin", nil, c); rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("dashboard: %d, Cache-Control %q", rec.Code, rec.Header().Get("Cache-Control"))
	}
}

func TestAdminSession_LoginRotatesTheID(t *testing.T) {
	f := mustAdminFixture(t)
	first := f.login(t, nil)
	second := f.login(t, first) // logging in again, with the first session's cookie
	if first.Value == second.Value {
		t.Fatal("the second login kept the same cookie")
	}
	wantLoginRedirect(t, f.do(http.MethodGet, "/admin", nil, first), "the session replaced at login")
	if rec := f.do(http.MethodGet, "/admin", nil, second); rec.Code != http.StatusOK {
		t.Errorf("the new session: %d", rec.Code)
	}
	if n := f.sessionCount(t); n != 1 {
		t.Errorf("%d session rows, want 1", n)
	}
}

func TestAdminSession_LogoutEndsItServerSide(t *testing.T) {
	f := mustAdminFixture(t)
	c := f.login(t, nil)
	rec := f.do(http.MethodPost, "/admin/logout", url.Values{}, c)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("logout: %d", rec.Code)
	}
	if gone := adminCookieOf(rec); gone == nil || gone.MaxAge >= 0 {
		t.Errorf("logout does not delete the cookie: %+v", gone)
	}
	wantLoginRedirect(t, f.do(http.MethodGet, "/admin", nil, c), "the cookie kept from before logout")
	if n := f.sessionCount(t); n != 0 {
		t.Errorf("%d session rows after logout, want 0", n)
	}
}

func TestAdminSession_ExpiresAfterInactivity(t *testing.T) {
	f := mustAdminFixture(t)
	c := f.login(t, nil)
	for range 4 { // being active keeps the session: 2 h of work in 29-minute steps
		f.clock.Add(29 * time.Minute)
		if rec := f.do(http.MethodGet, "/admin/products", nil, c); rec.Code != http.StatusOK {
			t.Fatalf("active after 29 minutes: %d", rec.Code)
		}
	}
	f.clock.Add(31 * time.Minute)
	wantLoginRedirect(t, f.do(http.MethodGet, "/admin/products", nil, c), "after 31 idle minutes")
	f.clock.Add(-31 * time.Minute) // the row is gone: turning back the clock does not revive it
	wantLoginRedirect(t, f.do(http.MethodGet, "/admin/products", nil, c), "the expired session, later")
}

func TestAdminSession_EndsAfterMaxLifeEvenWhenActive(t *testing.T) {
	f := mustAdminFixture(t)
	f.admin.Idle = 2 * time.Hour
	c := f.login(t, nil)
	for elapsed := time.Duration(0); elapsed < adminMaxLife-time.Hour; elapsed += time.Hour {
		f.clock.Add(time.Hour)
		if rec := f.do(http.MethodGet, "/admin", nil, c); rec.Code != http.StatusOK {
			t.Fatalf("after %v: %d", elapsed+time.Hour, rec.Code)
		}
	}
	f.clock.Add(2 * time.Hour)
	wantLoginRedirect(t, f.do(http.MethodGet, "/admin", nil, c), "past the maximum lifetime")
}

func TestAdminLogin_KeepsNextInsideTheAdminArea(t *testing.T) {
	tests := []struct{ next, want string }{
		{"/admin/products?q=mug", "/admin/products?q=mug"},
		{"/admin", "/admin"},
		{"", "/admin"},
		{"https://evil.example/admin", "/admin"},
		{"//evil.example/admin", "/admin"},
		{`/\evil.example`, "/admin"},
		{"/products/mug", "/admin"},
		{"/administrator", "/admin"},
		{"/admin/login", "/admin"},
		{"javascript:alert(1)", "/admin"},
	}
	for _, tt := range tests {
		if got := safeNext(tt.next); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.next, got, tt.want)
		}
	}
	f := mustAdminFixture(t)
	rec := f.do(http.MethodPost, "/admin/login", url.Values{"email": {"boss@example.com"},
		"password": {"correct horse battery"}, "next": {"//evil.example/"}}, nil)
	if loc := rec.Header().Get("Location"); loc != "/admin" {
		t.Errorf("login with a foreign next goes to %q", loc)
	}
}

func TestAdminLogin_FailuresAreVagueAndThrottled(t *testing.T) {
	f := mustAdminFixture(t)
	f.admin.Staff.Limits = LoginLimits{Window: time.Hour, PerAccount: 2, PerIP: 100}
	bodies := map[string]string{}
	for _, tt := range []struct{ name, email, password string }{
		{"wrong password", "boss@example.com", "wrong"},
		{"unknown account", "nobody@example.com", "wrong"},
	} {
		rec := f.do(http.MethodPost, "/admin/login", url.Values{"email": {tt.email}, "password": {tt.password}}, nil)
		if rec.Code != http.StatusUnauthorized || adminCookieOf(rec) != nil {
			t.Errorf("%s: %d, want 401 and no session", tt.name, rec.Code)
		}
		bodies[tt.name] = strings.ReplaceAll(rec.Body.String(), tt.email, "")
	}
	if bodies["wrong password"] != bodies["unknown account"] {
		t.Error("the pages for a wrong password and an unknown account differ")
	}
	f.do(http.MethodPost, "/admin/login", url.Values{"email": {"boss@example.com"}, "password": {"wrong again"}}, nil)
	rec := f.do(http.MethodPost, "/admin/login", url.Values{"email": {"boss@example.com"}, "password": {"correct horse battery"}}, nil)
	if rec.Code != http.StatusTooManyRequests || adminCookieOf(rec) != nil || !strings.Contains(rec.Body.String(), "Too many failed attempts") {
		t.Errorf("throttled login: %d, cookie %v", rec.Code, adminCookieOf(rec))
	}
	if got := rec.Header().Get("Retry-After"); got != "3600" {
		t.Errorf("throttled login: Retry-After %q, want the window's 3600 seconds", got)
	}
}
