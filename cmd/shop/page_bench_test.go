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
// the network or a load driver sharing the CPUs.
func benchShop(b *testing.B) (http.Handler, []*http.Cookie) {
	b.Helper()
	h, cookies, _ := benchShopDB(b)
	return h, cookies
}

// benchShopDB is benchShop with the shop's database, for a benchmark that adds rows.
func benchShopDB(b *testing.B) (http.Handler, []*http.Cookie, *store.DB) {
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
	// A visitor who has been here before: its cookies come from a first page.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusOK {
		b.Fatalf("home: status %d", rec.Code)
	}
	return h, rec.Result().Cookies(), a.db
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

// benchPage measures one page view, from the router to the last byte written, on one
// goroutine: ns/op is then the time a view costs the shop's own code, the collector's
// background work (on the other CPU) aside. setup may change the shop first.
func benchPage(b *testing.B, path string, setup ...func(http.Handler, []*http.Cookie)) {
	h, cookies := benchShop(b)
	for _, f := range setup {
		f(h, cookies)
	}
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		w.code = 0
		h.ServeHTTP(w, req)
		if w.code != http.StatusOK {
			b.Fatalf("%s: status %d", path, w.code)
		}
	}
}

func BenchmarkRequest_Home(b *testing.B)         { benchPage(b, "/") }
func BenchmarkRequest_CategoryPage(b *testing.B) { benchPage(b, "/categories/kitchen") }
func BenchmarkRequest_ProductPage(b *testing.B)  { benchPage(b, "/products/teapot") }

// BenchmarkRequest_CartPage shows a cart of three lines, as make bench's cart row does.
func BenchmarkRequest_CartPage(b *testing.B) {
	benchPage(b, "/cart", func(h http.Handler, cookies []*http.Cookie) {
		for _, id := range []string{"1", "2", "3"} {
			req := httptest.NewRequest(http.MethodPost, "/cart/add",
				strings.NewReader(url.Values{"product_id": {id}, "quantity": {"1"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "same-origin") // a browser's form: no token needed
			for _, c := range cookies {
				req.AddCookie(c)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusSeeOther {
				b.Fatalf("add product %s: status %d", id, rec.Code)
			}
		}
	})
}

// BenchmarkRequest_ProductPageLarge views product pages at random among 100,000: what a
// large catalogue adds to a view (deeper B-trees, rows seldom in any cache).
func BenchmarkRequest_ProductPageLarge(b *testing.B) {
	const n = 100_000
	h, cookies, db := benchShopDB(b)
	// Products like make bench's (a name, a slug and a sentence each), in one category.
	if _, err := db.W.ExecContext(context.Background(), `WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < ?)
		INSERT INTO products (slug, name, description, price_cents, vat_rate, stock, category_id, published)
		SELECT 'bench-product-' || n, 'Bench product No. ' || n,
			'A bench product No. ' || n || ' from the benchmark catalogue, made in France and packed by hand.',
			100 + n % 9900, 2000, 1000000, (SELECT min(id) FROM categories), 1 FROM i`, n); err != nil {
		b.Fatal(err)
	}
	paths := make([]string, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range paths {
		paths[i] = "/products/bench-product-" + strconv.Itoa(1+rng.IntN(n))
	}
	reqs := make([]*http.Request, len(paths))
	for i, p := range paths {
		reqs[i] = httptest.NewRequest(http.MethodGet, p, nil)
		for _, c := range cookies {
			reqs[i].AddCookie(c)
		}
	}
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		clear(w.h)
		w.code = 0
		h.ServeHTTP(w, reqs[i%len(reqs)])
		if w.code != http.StatusOK {
			b.Fatalf("%s: status %d", paths[i%len(paths)], w.code)
		}
		i++
	}
}
