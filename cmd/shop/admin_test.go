package main

// The admin area through the real router: the guard on every /admin route, login, rate
// limiting, session rotation, logout and expiry. Product and category pages are in
// admin_product_test.go.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/net/html"

	"shop/store"
)

const (
	adminEmail    = "boss@example.com"
	adminPassword = "correct horse battery"
)

// startAdminShop starts a demo shop with the admin area and the account adminEmail,
// hashed at bcrypt's lowest cost so that logging in stays quick under -race.
func startAdminShop(t *testing.T) *testShop {
	t.Helper()
	ts := startShop(t)
	addAdmin(t, ts, adminEmail)
	return ts
}

func addAdmin(t *testing.T, ts *testShop, email string) {
	t.Helper()
	staff := &store.Staff{DB: ts.store(), Cost: bcrypt.MinCost}
	if _, err := staff.Add(context.Background(), email, adminPassword); err != nil {
		t.Fatalf("add admin %s: %v", email, err)
	}
}

// adminLogin logs sh in through the form and checks the redirect.
func adminLogin(t *testing.T, sh *shopper, email string) {
	t.Helper()
	if p := sh.adminLoginAttempt(email, adminPassword); p.Status != http.StatusSeeOther {
		t.Fatalf("login as %s: %d, want 303; page says %q", email, p.Status, textOf(p.Doc))
	}
}

func (sh *shopper) adminLoginAttempt(email, password string) *page {
	sh.t.Helper()
	if st, _ := sh.get("/admin/login"); st != http.StatusOK {
		sh.t.Fatalf("GET /admin/login: %d", st)
	}
	return sh.submit("/admin/login", url.Values{"email": {email}, "password": {password}})
}

// adminCookie is the shop_admin cookie the shopper's browser would send to /admin.
func (sh *shopper) adminCookie() string {
	for _, c := range sh.jar.Cookies(sh.shop.url(sh.t, "/admin/")) {
		if c.Name == "shop_admin" {
			return c.Value
		}
	}
	return ""
}

func (sh *shopper) setAdminCookie(value string) {
	sh.jar.SetCookies(sh.shop.url(sh.t, "/admin/"), []*http.Cookie{{Name: "shop_admin", Value: value, Path: "/admin"}})
}

// adminCodec encodes and decodes shop_admin cookies with the shop's own keys.
func (ts *testShop) adminCodec(t *testing.T) *securecookie.SecureCookie {
	t.Helper()
	hash, block, err := ts.store().SessionKeys(context.Background(), ts.cfg.SessionSecret)
	if err != nil {
		t.Fatal(err)
	}
	return securecookie.New(hash, block).MaxAge(90 * 24 * 3600).SetSerializer(store.ValuesCodec{})
}

func (ts *testShop) adminSID(t *testing.T, value string) string {
	t.Helper()
	values := map[any]any{}
	if err := ts.adminCodec(t).Decode("shop_admin", value, &values); err != nil {
		t.Fatalf("decode the admin cookie: %v", err)
	}
	sid, _ := values["sid"].(string)
	return sid
}

// wantLoginPage checks that a page request was sent to the login form.
func wantLoginPage(t *testing.T, p *page, what string) {
	t.Helper()
	if loc := p.Header.Get("Location"); p.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/login") {
		t.Errorf("%s: %d to %q, want 303 to /admin/login", what, p.Status, loc)
	}
}

var routeParam = regexp.MustCompile(`:[^/]+`)

// Every /admin route the router knows, whoever added it and however, answers a visitor
// without a session with the login page: a redirect to it (GET), or the page itself
// with a 401 (anything else), keeping what a form held. A POST carries a
// valid CSRF token, so what refuses it is the admin guard, not the CSRF check.
func TestAdmin_EveryAdminRouteNeedsALogin(t *testing.T) {
	ts := startAdminShop(t)
	sh := ts.newShopper(t)
	if st, _ := sh.get("/admin/login"); st != http.StatusOK {
		t.Fatalf("the login form: %d", st)
	}
	checked := 0
	for _, r := range ts.app.echo.Routes() {
		if (r.Path != "/admin" && !strings.HasPrefix(r.Path, "/admin/")) || r.Path == "/admin/login" {
			continue
		}
		path := strings.ReplaceAll(routeParam.ReplaceAllString(r.Path, "1"), "*", "anything")
		method := r.Method
		if method == echo.RouteNotFound {
			method = http.MethodGet
		}
		var p *page
		if method == http.MethodGet || method == http.MethodHead {
			p = sh.fetch(method, path, nil, nil)
			wantLoginPage(t, p, method+" "+r.Path)
		} else if r.Path == "/admin/logout" { // out already: the login page says so
			p = sh.fetch(method, path, url.Values{"_csrf": {sh.token()}}, nil)
			if loc := p.Header.Get("Location"); p.Status != http.StatusSeeOther || loc != "/admin/login?bye=1" {
				t.Errorf("logout without a session: %d to %q", p.Status, loc)
			}
		} else {
			p = sh.fetch(method, path, url.Values{"_csrf": {sh.token()}, "name": {"x"}}, nil)
			// A form gets the login page, which keeps it (401); an upload, whose body
			// nothing read, is refused (403).
			want := http.StatusUnauthorized
			if strings.HasSuffix(r.Path, "/image") {
				want = http.StatusForbidden
			}
			if p.Status != want || !strings.Contains(textOf(p.Doc), "log in") {
				t.Errorf("%s %s without a session: %d %q, want the guard's %d", method, r.Path, p.Status, textOf(p.Doc), want)
			}
		}
		checked++
	}
	if checked < 15 {
		t.Errorf("only %d admin routes found: is the admin area mounted?", checked)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM products WHERE name = 'x'`); n != 0 {
		t.Errorf("a refused request created %d products", n)
	}
}

func TestAdminLogin_WrongPasswordAndUnknownAccountLookAlike(t *testing.T) {
	ts := startAdminShop(t)
	sh := ts.newShopper(t)
	wrong := sh.adminLoginAttempt(adminEmail, "not the password")
	unknown := sh.adminLoginAttempt("nobody@example.com", "not the password")
	for name, p := range map[string]*page{"wrong password": wrong, "unknown account": unknown} {
		if p.Status != http.StatusUnauthorized || sh.adminCookie() != "" {
			t.Errorf("%s: %d, want 401 and no session", name, p.Status)
		}
	}
	w, u := textOf(adminFirst(byTestID(wrong.Doc, "login-error"))), textOf(adminFirst(byTestID(unknown.Doc, "login-error")))
	if w == "" || w != u {
		t.Errorf("messages differ or are missing: %q vs %q", w, u)
	}
	if v, _ := attr(byID(wrong.Doc, "login-email"), "value"); v != adminEmail {
		t.Errorf("the e-mail typed is not kept: %q", v)
	}
	if strings.Contains(string(wrong.Body), "not the password") {
		t.Error("the password typed is sent back in the page")
	}
}

// A field left empty is named beside itself, as on every other form: the login says
// which one, keeps the e-mail typed, and counts no failure against the account.
func TestAdminLogin_EmptyFieldComesBackBesideItself(t *testing.T) {
	ts := startAdminShop(t)
	sh := ts.newShopper(t)
	for _, c := range []struct{ email, password, field, want string }{
		{adminEmail, "", "login-password", "Enter your password."},
		{"", "secret", "login-email", "Enter your e-mail address."},
	} {
		p := sh.adminLoginAttempt(c.email, c.password)
		if p.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%s empty: %d, want 422", c.field, p.Status)
		}
		field := byID(p.Doc, c.field)
		msg := byID(p.Doc, c.field+"-error")
		if field == nil || msg == nil || textOf(msg) != c.want || !insideOrNextTo(field, msg) || !attrIs(field, "aria-invalid", "true") {
			t.Errorf("%s empty: no message %q beside the field", c.field, c.want)
		}
		if summary := byTestID(p.Doc, "error-summary"); len(summary) != 1 || !strings.Contains(textOf(summary[0]), c.want) {
			t.Errorf("%s empty: no error summary", c.field)
		}
		if v, _ := attr(byID(p.Doc, "login-email"), "value"); v != c.email {
			t.Errorf("the e-mail typed came back as %q", v)
		}
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM login_failures`); n != 0 {
		t.Errorf("%d login failures recorded for empty fields", n)
	}
}

func TestAdminLogin_RateLimitedPerAccount(t *testing.T) {
	ts := startAdminShop(t)
	sh := ts.newShopper(t)
	for i := range 5 {
		if p := sh.adminLoginAttempt(adminEmail, fmt.Sprintf("guess %d", i)); p.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, p.Status)
		}
	}
	p := sh.adminLoginAttempt(adminEmail, adminPassword)
	if p.Status != http.StatusTooManyRequests || sh.adminCookie() != "" {
		t.Fatalf("the right password after 5 failures: %d, want 429 and no session", p.Status)
	}
	msg := textOf(adminFirst(byTestID(p.Doc, "login-error")))
	if !strings.Contains(msg, "Too many") || strings.Contains(msg, adminEmail) {
		t.Errorf("throttled message %q", msg)
	}
	addAdmin(t, ts, "clerk@example.com") // another account from the same address still may
	adminLogin(t, ts.newShopper(t), "clerk@example.com")
}

func TestAdminLogin_RateLimitedPerAddress(t *testing.T) {
	ts := startAdminShop(t)
	sh := ts.newShopper(t)
	// 20 failures from one address, spread over accounts that each stay under their limit.
	for i := range 5 {
		email := fmt.Sprintf("clerk%d@example.com", i)
		addAdmin(t, ts, email)
		for range 4 {
			if p := sh.adminLoginAttempt(email, "guess"); p.Status != http.StatusUnauthorized {
				t.Fatalf("%s: %d", email, p.Status)
			}
		}
	}
	if p := sh.adminLoginAttempt(adminEmail, adminPassword); p.Status != http.StatusTooManyRequests {
		t.Errorf("a fresh account from the same address: %d, want 429", p.Status)
	}
}

func TestAdminLogin_ChangesTheSessionID(t *testing.T) {
	ts := startAdminShop(t)
	sh := ts.newShopper(t)
	adminLogin(t, sh, adminEmail)
	first := sh.adminCookie()
	// A second login in the same browser, with a live session, still gets a new id (the
	// form itself redirects a logged-in admin, so post it straight away).
	sh.get("/admin")
	if p := sh.submit("/admin/login", url.Values{"email": {adminEmail}, "password": {adminPassword}}); p.Status != http.StatusSeeOther {
		t.Fatalf("second login: %d", p.Status)
	}
	second := sh.adminCookie()
	if a, b := ts.adminSID(t, first), ts.adminSID(t, second); a == "" || a == b {
		t.Fatalf("session ids %q then %q: login did not rotate it", a, b)
	}
	old := ts.newShopper(t)
	old.setAdminCookie(first)
	wantLoginPage(t, old.getPage("/admin"), "the cookie from before the second login")
	if st, _ := sh.get("/admin"); st != http.StatusOK {
		t.Errorf("the new session: %d", st)
	}
	// An id planted before login (session fixation) is not the one in use after it.
	victim := ts.newShopper(t)
	planted := strings.Repeat("ab", 32)
	value, err := ts.adminCodec(t).Encode("shop_admin", map[any]any{"sid": planted, "uid": int64(1)})
	if err != nil {
		t.Fatal(err)
	}
	victim.setAdminCookie(value)
	adminLogin(t, victim, adminEmail)
	if sid := ts.adminSID(t, victim.adminCookie()); sid == planted {
		t.Error("login kept the planted session id")
	}
}

func TestAdminLogout_EndsTheSession(t *testing.T) {
	ts := startAdminShop(t)
	sh := ts.newShopper(t)
	adminLogin(t, sh, adminEmail)
	kept := sh.adminCookie()
	sh.get("/admin")
	p := sh.submit("/admin/logout", nil)
	if loc := p.Header.Get("Location"); p.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/login") {
		t.Fatalf("logout: %d to %q", p.Status, loc)
	}
	if sh.adminCookie() != "" {
		t.Error("the browser keeps the admin cookie after logout")
	}
	wantLoginPage(t, sh.getPage("/admin"), "after logout")
	replay := ts.newShopper(t)
	replay.setAdminCookie(kept)
	wantLoginPage(t, replay.getPage("/admin/products"), "a copy of the cookie taken before logout")
	if n := ts.queryInt(t, `SELECT count(*) FROM admin_sessions`); n != 0 {
		t.Errorf("%d sessions left", n)
	}
}

func TestAdminSession_ExpiredRedirectsToLogin(t *testing.T) {
	ts := startAdminShop(t)
	sh := ts.newShopper(t)
	adminLogin(t, sh, adminEmail)
	if st, _ := sh.get("/admin/products"); st != http.StatusOK {
		t.Fatalf("logged in: %d", st)
	}
	ts.exec(t, `UPDATE admin_sessions SET last_seen_at = ?`, time.Now().UTC().Add(-31*time.Minute))
	p := sh.getPage("/admin/products?q=mug")
	wantLoginPage(t, p, "after 31 idle minutes")
	// Logging in again brings the admin back where they were.
	sh.get(p.Header.Get("Location"))
	next, _ := attr(adminFirst(findAll(sh.lastPage().Doc, func(n *html.Node) bool {
		return isElem(n, "input") && attrIs(n, "name", "next")
	})), "value")
	back := sh.submit("/admin/login", url.Values{"email": {adminEmail}, "password": {adminPassword}, "next": {next}})
	if loc := back.Header.Get("Location"); loc != "/admin/products?q=mug" {
		t.Errorf("after logging in again: sent to %q", loc)
	}
}

// Every form of every admin page posts a CSRF token, and a post without the right one
// changes nothing.
func TestAdminForms_CarryCSRFTokens(t *testing.T) {
	ts := startAdminShop(t)
	sh := ts.newShopper(t)
	adminLogin(t, sh, adminEmail)
	id := ts.productID(t, "mug")
	cat := ts.queryInt(t, `SELECT id FROM categories WHERE slug = 'kitchen'`)
	forms := 0
	for _, path := range []string{"/admin", "/admin/products", "/admin/products/new", fmt.Sprintf("/admin/products/%d", id),
		"/admin/categories", "/admin/categories/new", fmt.Sprintf("/admin/categories/%d", cat)} {
		p := sh.getPage(path)
		if p.Status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, p.Status)
		}
		for _, f := range findAll(p.Doc, func(n *html.Node) bool { return isElem(n, "form") }) {
			if m, _ := attr(f, "method"); !strings.EqualFold(m, "post") {
				continue
			}
			forms++
			if tok := csrfFrom(f); tok == "" || tok != sh.token() {
				action, _ := attr(f, "action")
				t.Errorf("%s: the form posting to %s has no CSRF token", path, action)
			}
		}
	}
	if forms < 8 {
		t.Errorf("only %d forms seen", forms)
	}
	before := ts.queryInt(t, `SELECT count(*) FROM products`)
	for _, tok := range []string{"", "forged-token"} {
		p := sh.fetch(http.MethodPost, "/admin/products", url.Values{"_csrf": {tok}, "name": {"Forged"},
			"price": {"10"}, "vat_rate": {"2000"}}, nil)
		if p.Status != http.StatusForbidden && p.Status != http.StatusBadRequest {
			t.Errorf("POST with token %q: %d, want 400 or 403", tok, p.Status)
		}
	}
	if after := ts.queryInt(t, `SELECT count(*) FROM products`); after != before {
		t.Errorf("forged posts created %d products", after-before)
	}
}

// adminPostBody posts a raw body (a multipart upload) as sh, and reads the answer.
func (sh *shopper) adminPostBody(path, contentType string, body []byte) *page {
	sh.t.Helper()
	req, err := http.NewRequest(http.MethodPost, sh.shop.URL+path, bytes.NewReader(body))
	if err != nil {
		sh.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := sh.client.Do(req)
	if err != nil {
		sh.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	p := &page{Status: resp.StatusCode, Header: resp.Header, Cookies: resp.Cookies(), Body: b}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		p.Doc, _ = html.Parse(bytes.NewReader(b))
	}
	return p
}

// adminFirst is the first of nodes, or nil.
func adminFirst(nodes []*html.Node) *html.Node {
	if len(nodes) == 0 {
		return nil
	}
	return nodes[0]
}

// An edit sent after the session expired is not lost: the login form carries it, and
// once logged in again the admin saves it with one click. A wrong password keeps it too.
func TestAdminSession_ExpiredEditIsKeptThroughTheLogin(t *testing.T) {
	ts := startAdminShop(t)
	sh := ts.newShopper(t)
	adminLogin(t, sh, adminEmail)
	id := ts.productID(t, "teapot")
	edit := fmt.Sprintf("/admin/products/%d", id)
	sh.get(edit)
	ts.exec(t, `UPDATE admin_sessions SET last_seen_at = ?`, time.Now().UTC().Add(-31*time.Minute))
	form := goodProduct(url.Values{"name": {"Cast-iron teapot"}, "slug": {"teapot"},
		"description": {"Keeps tea hot <for> an hour.\nDishwasher safe."}, "price": {"39,90"}})
	p := sh.submit(edit, form)
	if p.Status != http.StatusUnauthorized || testIDText(p.Doc, "login-kept") == "" {
		t.Fatalf("edit after the session expired: %d %q, want 401 and the login form keeping it", p.Status, textOf(p.Doc))
	}
	if got := ts.queryText(t, `SELECT name FROM products WHERE id = ?`, id); got == "Cast-iron teapot" {
		t.Fatal("the edit was saved without a session")
	}
	login := func(password string) *page {
		f, ok := formByTestID(p.Doc, "login-form")
		if !ok {
			t.Fatalf("no login form: %q", textOf(p.Doc))
		}
		f.Set("email", adminEmail)
		f.Set("password", password)
		return sh.submit("/admin/login", f)
	}
	if p = login("wrong password"); p.Status != http.StatusUnauthorized || testIDText(p.Doc, "login-kept") == "" {
		t.Fatalf("a wrong password: %d, want 401 and the edit still kept", p.Status)
	}
	p = login(adminPassword)
	resume, ok := formByTestID(p.Doc, "resume-form")
	if p.Status != http.StatusOK || !ok {
		t.Fatalf("after logging in again: %d %q, want the page offering to save", p.Status, textOf(p.Doc))
	}
	if action := formAction(p.Doc, "resume-form"); action != edit {
		t.Errorf("the kept edit posts to %q, want %q", action, edit)
	}
	for name := range form {
		if got := resume.Get(name); got != form.Get(name) {
			t.Errorf("kept %s = %q, want %q", name, got, form.Get(name))
		}
	}
	if resume.Get("email") != "" || resume.Get("password") != "" {
		t.Error("the resumed form carries the login's fields")
	}
	// The page says what the button will send: where, and the values typed.
	if got := testIDText(p.Doc, "resume-action"); got != edit {
		t.Errorf("the page says the form goes to %q, want %q", got, edit)
	}
	if got := testIDText(p.Doc, "resume-values"); !strings.Contains(got, "Cast-iron teapot") || !strings.Contains(got, "39,90") {
		t.Errorf("the page lists %q, want the name and price typed", got)
	}
	if p = sh.submit(edit, resume); p.Status != http.StatusSeeOther {
		t.Fatalf("saving the kept edit: %d %q", p.Status, textOf(p.Doc))
	}
	got := ts.queryText(t, `SELECT name || '|' || description || '|' || price_cents FROM products WHERE id = ?`, id)
	if want := "Cast-iron teapot|Keeps tea hot <for> an hour.\nDishwasher safe.|3990"; got != want {
		t.Errorf("saved %q, want %q", got, want)
	}

	// A form that holds nothing but its token (an action button) is offered again too,
	// rather than its address opened as a page.
	ts.exec(t, `UPDATE admin_sessions SET last_seen_at = ?`, time.Now().UTC().Add(-31*time.Minute))
	remove := edit + "/delete"
	if p = sh.submit(remove, url.Values{}); p.Status != http.StatusUnauthorized {
		t.Fatalf("delete after the session expired: %d", p.Status)
	}
	p = login(adminPassword)
	if action := formAction(p.Doc, "resume-form"); p.Status != http.StatusOK || action != remove {
		t.Errorf("after logging in again: %d, a form posting to %q; want one posting to %s", p.Status, action, remove)
	}
}

// formByTestID is what the form marked id would send: each named input's value.
func formByTestID(doc *html.Node, id string) (url.Values, bool) {
	form := adminFirst(byTestID(doc, id))
	if form == nil {
		return nil, false
	}
	vals := url.Values{}
	for _, in := range findAll(form, func(n *html.Node) bool { return isElem(n, "input") }) {
		if name, ok := attr(in, "name"); ok {
			v, _ := attr(in, "value")
			vals.Add(name, v)
		}
	}
	return vals, true
}

// formAction is where the form marked id posts.
func formAction(doc *html.Node, id string) string {
	a, _ := attr(adminFirst(byTestID(doc, id)), "action")
	return a
}

// The login page keeps what a form held, in hidden fields, but never a card number:
// no admin form asks for one, and a visitor without a session could post anything.
func TestAdminSession_KeptFormShowsNoCardNumber(t *testing.T) {
	ts := startAdminShop(t)
	sh := ts.newShopper(t)
	sh.get("/admin/login")
	const number = "4242 4242 4242 4242"
	p := sh.submit("/admin/products", url.Values{"name": {"Mug"}, "description": {"card " + number}, number: {"x"}})
	if p.Status != http.StatusUnauthorized || testIDText(p.Doc, "login-kept") == "" {
		t.Fatalf("anonymous post: %d %q, want 401 and the login form keeping it", p.Status, textOf(p.Doc))
	}
	if body := strings.ReplaceAll(string(p.Body), " ", ""); strings.Contains(body, "4242424242424242") {
		t.Error("the login page shows the card number back")
	}
	if !strings.Contains(string(p.Body), "Mug") {
		t.Error("the login page lost the other values")
	}
}

// On an admin page, each link of the menu is the only one of its name: the way back to
// a list reads "Back to the list", so "Products" or "Orders" means the menu's link.
func TestAdminPages_MenuLinksAreTheOnlyOnesOfTheirName(t *testing.T) {
	ts := startAdminShop(t)
	o := placeOrder(t, ts, ts.newShopper(t), "honey", 1)
	admin := adminSession(t, ts, adminEmail)
	cat := ts.queryInt(t, `SELECT id FROM categories LIMIT 1`)
	pages := []string{"/admin", "/admin/products/" + strconv.FormatInt(ts.productID(t, "honey"), 10),
		"/admin/orders/" + o.Ref, "/admin/categories/" + strconv.FormatInt(cat, 10), "/admin/delivery/1"}
	for _, path := range pages {
		p := admin.getPage(path)
		if p.Status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, p.Status)
		}
		names := map[string]int{}
		for _, a := range findAll(p.Doc, func(n *html.Node) bool { return isElem(n, "a") }) {
			names[strings.ToLower(strings.Join(strings.Fields(textOf(a)), " "))]++
		}
		for _, menu := range []string{"products", "orders", "categories", "delivery", "mail"} {
			if names[menu] != 1 {
				t.Errorf("%s: %d links named %q, want the menu's only", path, names[menu], menu)
			}
		}
	}
}
