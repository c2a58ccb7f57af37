package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// benchShop wires the demo shop on a fresh data directory, as main does, without a
// listener: a benchmark then measures the router, the middleware and the handler, not
// the network or a load driver sharing the CPUs.
func benchShop(b *testing.B) (http.Handler, []*http.Cookie) {
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
	return h, rec.Result().Cookies()
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
// goroutine: ns/op is then the CPU time a view costs the shop's own code.
func benchPage(b *testing.B, path string) {
	h, cookies := benchShop(b)
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
func BenchmarkRequest_CartPage(b *testing.B)     { benchPage(b, "/cart") }
