package main

// The shared HTTP test harness: a real shop (real config defaults, real SQLite file in a
// temporary directory, the real router) served on a 127.0.0.1 listener, and shoppers with
// their own cookie jars who read pages as parsed HTML. Later tests (checkout, payments,
// admin) reuse it.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"golang.org/x/net/html"

	"shop/store"
)

// syncBuffer is a bytes.Buffer that the server's goroutines may write while a test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testShop is one running shop. URL is its base ("http://127.0.0.1:port"); Dir its data
// directory; app the wired application, for tests that look into the database.
type testShop struct {
	URL  string
	Addr string
	Dir  string
	cfg  *config
	app  *app
	logs *syncBuffer

	appOpts    []func(*app)
	mu         sync.Mutex
	cancel     context.CancelFunc
	done       chan error
	transports []*http.Transport
}

// withDataDir runs the shop on dir instead of a fresh temporary directory.
func withDataDir(dir string) func(*config) {
	return func(c *config) { c.DataDir = dir }
}

// withBaseURL sets the public URL (the server still listens on plain HTTP on 127.0.0.1).
func withBaseURL(raw string) func(*config) {
	return func(c *config) {
		u, err := url.Parse(raw)
		if err != nil {
			panic(err)
		}
		c.BaseURL = u
	}
}

// startShop starts a demo shop on a fresh data directory and a free 127.0.0.1 port. The
// configuration comes from parseConfig, so every default is the real one; opts then change
// it. Logs go to testShop.logs. The shop stops when the test ends.
func startShop(t *testing.T, opts ...func(*config)) *testShop {
	t.Helper()
	return startShopWith(t, shopSetup{Config: opts})
}

// shopSetup is everything a test may change about the shop it starts.
type shopSetup struct {
	Env    map[string]string // SHOP_* variables, over the harness's (addr, base URL, data dir, demo)
	Config []func(*config)   // applied to the parsed configuration
	App    []func(*app)      // passed to newApp (a clock, a faster mail poll), again on restart
}

// startShopWith is startShop with extra SHOP_* variables and app options.
func startShopWith(t *testing.T, setup shopSetup) *testShop {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	vars := map[string]string{
		"SHOP_ADDR":     addr,
		"SHOP_BASE_URL": "http://" + addr,
		"SHOP_DATA_DIR": t.TempDir(),
		"SHOP_DEMO":     "1",
	}
	for k, v := range setup.Env {
		vars[k] = v
	}
	cfg, err := parseConfig(nil, func(k string) string { return vars[k] }, io.Discard)
	if err != nil {
		ln.Close()
		t.Fatalf("parseConfig: %v", err)
	}
	for _, o := range setup.Config {
		o(cfg)
	}
	ts := &testShop{URL: "http://" + addr, Addr: addr, Dir: cfg.DataDir, cfg: cfg, logs: &syncBuffer{}, appOpts: setup.App}
	if err := ts.serve(ln); err != nil {
		t.Fatalf("start shop: %v", err)
	}
	t.Cleanup(func() {
		if err := ts.stop(); err != nil {
			t.Errorf("shop did not stop cleanly: %v", err)
		}
	})
	return ts
}

// serve wires a new app on the shop's configuration and serves it on ln.
func (ts *testShop) serve(ln net.Listener) error {
	a, err := newApp(context.Background(), ts.cfg, newLogger(ts.cfg, ts.logs), ts.appOpts...)
	if err != nil {
		ln.Close()
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, ln) }()
	ts.mu.Lock()
	ts.app, ts.cancel, ts.done = a, cancel, done
	ts.mu.Unlock()
	return nil
}

// stop cancels the server's context and waits for serve to return; it may be called
// more than once.
func (ts *testShop) stop() error {
	ts.mu.Lock()
	cancel, done := ts.cancel, ts.done
	ts.cancel, ts.done = nil, nil
	ts.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		return errors.New("serve did not return within 30s of cancel")
	}
}

// restart stops the server and starts a new one on the same data directory and the same
// address, so shoppers and browsers keep their cookies.
func (ts *testShop) restart(t *testing.T) {
	t.Helper()
	if err := ts.stop(); err != nil {
		t.Fatalf("stop before restart: %v", err)
	}
	ts.mu.Lock()
	for _, tr := range ts.transports {
		tr.CloseIdleConnections()
	}
	ts.mu.Unlock()
	var ln net.Listener
	var err error
	for range 100 {
		if ln, err = net.Listen("tcp", ts.Addr); err == nil || !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("listen again on %s: %v", ts.Addr, err)
	}
	if err := ts.serve(ln); err != nil {
		t.Fatalf("restart shop: %v", err)
	}
}

// store is the running app's database, for tests that check or change rows directly.
func (ts *testShop) store() *store.DB {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.app.db
}

// exec runs a statement on the running shop's database, e.g. to change a price.
func (ts *testShop) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	if _, err := ts.store().W.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("exec %q: %v", query, err)
	}
}

// queryInt reads one integer from the running shop's database.
func (ts *testShop) queryInt(t *testing.T, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := ts.store().R.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("query %q: %v", query, err)
	}
	return n
}

// mailKey is the outbox key of the mail of that kind about the order with reference ref.
func (ts *testShop) mailKey(t *testing.T, ref, kind string) string {
	t.Helper()
	return "order/" + strconv.FormatInt(ts.queryInt(t, `SELECT id FROM orders WHERE reference = ?`, ref), 10) + "/" + ref + "/" + kind
}

// productID is the id of the product with this slug.
func (ts *testShop) productID(t *testing.T, slug string) int64 {
	t.Helper()
	return ts.queryInt(t, `SELECT id FROM products WHERE slug = ?`, slug)
}

// visitorOf decodes a shop_visitor cookie value with the shop's own keys and returns the
// session's values: the test's view of what the cookie carries.
func (ts *testShop) visitorOf(t *testing.T, value string) (map[any]any, error) {
	t.Helper()
	hash, block, err := ts.store().SessionKeys(context.Background(), ts.cfg.SessionSecret)
	if err != nil {
		t.Fatalf("session keys: %v", err)
	}
	codec := securecookie.New(hash, block)
	codec.MaxAge(90 * 24 * 3600)
	codec.SetSerializer(store.ValuesCodec{})
	values := map[any]any{}
	err = codec.Decode("shop_visitor", value, &values)
	return values, err
}

// visitorID is the visitor id carried by a shop_visitor cookie value.
func (ts *testShop) visitorID(t *testing.T, value string) string {
	t.Helper()
	values, err := ts.visitorOf(t, value)
	if err != nil {
		t.Fatalf("decode visitor cookie: %v", err)
	}
	id, _ := values["vid"].(string)
	if id == "" {
		t.Fatalf("visitor cookie holds no id: %v", values)
	}
	return id
}

// page is one response: status, headers, the cookies it set, the body, and the parsed
// document when it is HTML.
type page struct {
	Status  int
	Header  http.Header
	Cookies []*http.Cookie
	Body    []byte
	Doc     *html.Node
}

// cookie is the cookie of that name set by this response, or nil.
func (p *page) cookie(name string) *http.Cookie {
	for _, c := range p.Cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// shopper is a visitor with a cookie jar who does not follow redirects, so tests see
// each 303. It remembers the CSRF token of the last page it read.
type shopper struct {
	t      *testing.T
	shop   *testShop
	client *http.Client
	jar    *cookiejar.Jar

	mu   sync.Mutex
	csrf string
	last *page
}

// newShopper is a fresh visitor with an empty cookie jar.
func (ts *testShop) newShopper(t *testing.T) *shopper {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	ts.mu.Lock()
	ts.transports = append(ts.transports, tr)
	ts.mu.Unlock()
	t.Cleanup(tr.CloseIdleConnections)
	return &shopper{t: t, shop: ts, jar: jar, client: &http.Client{
		Jar:       jar,
		Transport: tr,
		Timeout:   60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// clone is a new shopper (own client, own jar) holding copies of this shopper's cookies:
// the same visitor on another connection.
func (sh *shopper) clone(t *testing.T) *shopper {
	t.Helper()
	c := sh.shop.newShopper(t)
	u := sh.shop.url(t, "/")
	c.jar.SetCookies(u, sh.jar.Cookies(u))
	c.csrf = sh.token()
	return c
}

func (ts *testShop) url(t *testing.T, path string) *url.URL {
	t.Helper()
	u, err := url.Parse(ts.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// cookie is the value of the named cookie in the shopper's jar, or "".
func (sh *shopper) cookie(name string) string {
	for _, c := range sh.jar.Cookies(sh.shop.url(sh.t, "/")) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// setCookie puts a cookie in the shopper's jar, e.g. a tampered one.
func (sh *shopper) setCookie(name, value string) {
	sh.jar.SetCookies(sh.shop.url(sh.t, "/"), []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

func (sh *shopper) token() string {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.csrf
}

// fetch sends one request as is (no CSRF token added) and reads the whole response.
// form, when not nil, is sent as an urlencoded body. It fails the test on a transport
// error: call it from the test's goroutine only (see tryFetch).
func (sh *shopper) fetch(method, path string, form url.Values, header http.Header) *page {
	sh.t.Helper()
	p, err := sh.tryFetch(method, path, form, header)
	if err != nil {
		sh.t.Fatal(err)
	}
	return p
}

// tryFetch is fetch returning its error, for goroutines other than the test's.
func (sh *shopper) tryFetch(method, path string, form url.Values, header http.Header) (*page, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, sh.shop.URL+path, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := sh.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	p := &page{Status: resp.StatusCode, Header: resp.Header, Cookies: resp.Cookies(), Body: b}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		if p.Doc, err = html.Parse(bytes.NewReader(b)); err != nil {
			return nil, fmt.Errorf("%s %s: parse HTML: %w", method, path, err)
		}
	}
	sh.mu.Lock()
	if tok := csrfFrom(p.Doc); tok != "" {
		sh.csrf = tok
	}
	sh.last = p
	sh.mu.Unlock()
	return p, nil
}

// getPage reads a page.
func (sh *shopper) getPage(path string) *page {
	sh.t.Helper()
	return sh.fetch(http.MethodGet, path, nil, nil)
}

// get reads a page and returns its status and parsed document.
func (sh *shopper) get(path string) (int, *html.Node) {
	sh.t.Helper()
	p := sh.getPage(path)
	return p.Status, p.Doc
}

// submit posts a form with the CSRF token of the last page read, as a browser would.
func (sh *shopper) submit(path string, form url.Values) *page {
	sh.t.Helper()
	p, err := sh.trySubmit(path, form)
	if err != nil {
		sh.t.Fatal(err)
	}
	return p
}

// trySubmit is submit returning its error, for goroutines other than the test's.
func (sh *shopper) trySubmit(path string, form url.Values) (*page, error) {
	f := url.Values{}
	for k, v := range form {
		f[k] = append([]string(nil), v...)
	}
	if f.Get("_csrf") == "" {
		tok := sh.token()
		if tok == "" {
			return nil, fmt.Errorf("POST %s: no CSRF token yet: read a page with a form first", path)
		}
		f.Set("_csrf", tok)
	}
	return sh.tryFetch(http.MethodPost, path, f, nil)
}

// postForm posts a form with the CSRF token and returns status and document.
func (sh *shopper) postForm(path string, form url.Values) (int, *html.Node) {
	sh.t.Helper()
	p := sh.submit(path, form)
	return p.Status, p.Doc
}

// lastPage is the last response the shopper read (headers, Location, cookies).
func (sh *shopper) lastPage() *page {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.last
}

// addToCart reads the product page (for its token) and adds qty of it, expecting a 303.
func (sh *shopper) addToCart(slug string, qty int) {
	sh.t.Helper()
	if st, _ := sh.get("/products/" + slug); st != http.StatusOK {
		sh.t.Fatalf("GET /products/%s: status %d", slug, st)
	}
	p := sh.submit("/cart/add", url.Values{
		"product_id": {fmt.Sprint(sh.shop.productID(sh.t, slug))},
		"quantity":   {fmt.Sprint(qty)},
		"from":       {"product"},
	})
	if p.Status != http.StatusSeeOther {
		sh.t.Fatalf("add %d × %s: status %d, want 303; page says %q", qty, slug, p.Status, textOf(p.Doc))
	}
}

// cartLines reads the cart page and returns product id → quantity shown in its form.
func (sh *shopper) cartLines() map[string]string {
	sh.t.Helper()
	st, doc := sh.get("/cart")
	if st != http.StatusOK {
		sh.t.Fatalf("GET /cart: status %d", st)
	}
	return linesOf(doc)
}

// linesOf reads the cart lines of a cart page: product id → the quantity input's value.
func linesOf(doc *html.Node) map[string]string {
	out := map[string]string{}
	for _, tr := range byTestID(doc, "cart-line") {
		id, _ := attr(tr, "data-product-id")
		for _, in := range findAll(tr, func(n *html.Node) bool { return isElem(n, "input") && attrIs(n, "name", "quantity") }) {
			v, _ := attr(in, "value")
			out[id] = v
		}
		for _, q := range byTestID(tr, "line-quantity") { // a line no longer for sale: shown, not editable
			out[id] = textOf(q)
		}
	}
	return out
}

// cartCount is the number in the header's cart link.
func cartCount(t *testing.T, doc *html.Node) string {
	t.Helper()
	nodes := byTestID(doc, "cart-count")
	if len(nodes) != 1 {
		t.Fatalf("want one cart-count in the header, found %d", len(nodes))
	}
	return textOf(nodes[0])
}

// --- parsed HTML ---

// csrfFrom is the value of the first input named _csrf in doc, or "".
func csrfFrom(doc *html.Node) string {
	if doc == nil {
		return ""
	}
	for _, n := range findAll(doc, func(n *html.Node) bool { return isElem(n, "input") && attrIs(n, "name", "_csrf") }) {
		if v, _ := attr(n, "value"); v != "" {
			return v
		}
	}
	return ""
}

// byTestID lists the elements whose data-testid is id, in document order.
func byTestID(doc *html.Node, id string) []*html.Node {
	return findAll(doc, func(n *html.Node) bool { return n.Type == html.ElementNode && attrIs(n, "data-testid", id) })
}

// byID is the element with this id attribute, or nil.
func byID(doc *html.Node, id string) *html.Node {
	if n := findAll(doc, func(n *html.Node) bool { return n.Type == html.ElementNode && attrIs(n, "id", id) }); len(n) > 0 {
		return n[0]
	}
	return nil
}

// findAll lists the nodes under root (root included) for which match is true.
func findAll(root *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	if root == nil {
		return nil
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return out
}

// textOf is the text inside n with runs of white space collapsed to one space.
func textOf(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	for _, t := range findAll(n, func(n *html.Node) bool { return n.Type == html.TextNode }) {
		b.WriteString(t.Data)
		b.WriteByte(' ')
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func attr(n *html.Node, name string) (string, bool) {
	if n == nil {
		return "", false
	}
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

func attrIs(n *html.Node, name, value string) bool {
	v, ok := attr(n, name)
	return ok && v == value
}

func isElem(n *html.Node, tag string) bool {
	return n.Type == html.ElementNode && n.Data == tag
}

// ancestor is the nearest element above n with this tag, or nil.
func ancestor(n *html.Node, tag string) *html.Node {
	for p := n.Parent; p != nil; p = p.Parent {
		if isElem(p, tag) {
			return p
		}
	}
	return nil
}

// formsPostingTo lists the forms whose action is action.
func formsPostingTo(doc *html.Node, action string) []*html.Node {
	return findAll(doc, func(n *html.Node) bool { return isElem(n, "form") && attrIs(n, "action", action) })
}
