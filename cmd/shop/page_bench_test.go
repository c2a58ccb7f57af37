package main

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"shop/store"
)

// benchShop wires the demo shop on a fresh data directory, as main does, without a
// listener: a benchmark then measures the router, the middleware and the handler, not
// the network or a load driver sharing the CPUs. It returns the visitor cookies a first
// page gave, and the database for a benchmark that adds rows.
func benchShop(b *testing.B) (http.Handler, []*http.Cookie, *store.DB) {
	b.Helper()
	vars := map[string]string{"SHOP_DATA_DIR": b.TempDir(), "SHOP_DEMO": "1",
		"SHOP_ADDR": "127.0.0.1:8080", "SHOP_BASE_URL": "http://127.0.0.1:8080"}
	cfg, err := parseConfig(nil, func(k string) string { return vars[k] }, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	a, err := newApp(context.Background(), cfg, newLogger(cfg, io.Discard))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.close)
	h := headAsGet(a.echo)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusOK {
		b.Fatalf("home: status %d", rec.Code)
	}
	return h, rec.Result().Cookies(), a.db
}

// visitorRequest is a request of the visitor whose cookies these are.
func visitorRequest(method, path string, body io.Reader, cookies []*http.Cookie) *http.Request {
	req := httptest.NewRequest(method, path, body)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	return req
}

// discard is a ResponseWriter that keeps only the status: what the handler writes
// goes nowhere, as on a connection nobody reads.
type discard struct {
	h    http.Header
	code int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(code int)        { d.code = code }

// servePages measures page views, from the router to the last byte written, taking reqs
// in turn on one goroutine: ns/op is then the time a view costs the shop's own code, the
// collector's background work (on the other CPU) aside.
func servePages(b *testing.B, h http.Handler, reqs []*http.Request) {
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		req := reqs[i%len(reqs)]
		clear(w.h)
		w.code = 0
		h.ServeHTTP(w, req)
		if w.code != http.StatusOK {
			b.Fatalf("%s: status %d", req.URL.Path, w.code)
		}
		i++
	}
}

func benchPage(b *testing.B, path string) {
	h, cookies, _ := benchShop(b)
	servePages(b, h, []*http.Request{visitorRequest(http.MethodGet, path, nil, cookies)})
}

func BenchmarkRequest_Home(b *testing.B)         { benchPage(b, "/") }
func BenchmarkRequest_CategoryPage(b *testing.B) { benchPage(b, "/categories/kitchen") }
func BenchmarkRequest_ProductPage(b *testing.B)  { benchPage(b, "/products/teapot") }

// BenchmarkRequest_Search runs the queries of make bench's search row (searchQueries in
// cmd/loadtest: keep the two lists alike) in turn, on the demo catalogue of 26 products
// rather than make bench's, with its full-text index merged as the running shop keeps it.
func BenchmarkRequest_Search(b *testing.B) {
	h, cookies, db := benchShop(b)
	if err := db.MergeSearchIndex(context.Background()); err != nil {
		b.Fatal(err)
	}
	var reqs []*http.Request
	for _, q := range []string{"mug", "smoked tea", "golden", "lavender honey", "chocolate", "rustic kettle"} {
		reqs = append(reqs, visitorRequest(http.MethodGet, "/search?q="+url.QueryEscape(q), nil, cookies))
	}
	servePages(b, h, reqs)
}

// BenchmarkRequest_CartPage shows a cart of three lines, as make bench's cart row does.
func BenchmarkRequest_CartPage(b *testing.B) {
	h, cookies, _ := benchShop(b)
	for _, id := range []string{"1", "2", "3"} {
		req := visitorRequest(http.MethodPost, "/cart/add",
			strings.NewReader(url.Values{"product_id": {id}, "quantity": {"1"}}.Encode()), cookies)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin") // a browser's form: no token needed
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusSeeOther {
			b.Fatalf("add product %s: status %d", id, rec.Code)
		}
	}
	servePages(b, h, []*http.Request{visitorRequest(http.MethodGet, "/cart", nil, cookies)})
}

// BenchmarkRequest_ProductPageLarge views product pages at random among 100,000: what a
// large catalogue adds to a view (deeper B-trees, rows seldom in any cache).
func BenchmarkRequest_ProductPageLarge(b *testing.B) {
	const n = 100_000
	h, cookies, db := benchShop(b)
	// Products like make bench's (a name, a slug and a sentence each), in one category.
	if _, err := db.W.ExecContext(context.Background(), `WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < ?)
		INSERT INTO products (slug, name, description, price_cents, vat_rate, stock, category_id, published)
		SELECT 'bench-product-' || n, 'Bench product No. ' || n,
			'A bench product No. ' || n || ' from the benchmark catalogue, made in France and packed by hand.',
			100 + n % 9900, 2000, 1000000, (SELECT min(id) FROM categories), 1 FROM i`, n); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	reqs := make([]*http.Request, 4096)
	for i := range reqs {
		reqs[i] = visitorRequest(http.MethodGet, "/products/bench-product-"+strconv.Itoa(1+rng.IntN(n)), nil, cookies)
	}
	servePages(b, h, reqs)
}
