package main

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkRequest_Purchase is make bench's card purchase in process: a new visitor
// views a product, adds it, opens the order form, places the order, opens the payment
// page and the card form, pays and views the order: eight requests through the router
// and the middleware, each write committed to the database file. Its cpu-µs/op is what
// a purchase costs the shop's process, the mail worker's files included; ns/op adds the
// waits for the disk.
func BenchmarkRequest_Purchase(b *testing.B) {
	h, _, db := benchShop(b)
	// Enough stock for any run: a sold-out teapot would end the benchmark.
	if _, err := db.W.ExecContext(context.Background(), `UPDATE products SET stock = 1 << 30 WHERE slug = 'teapot'`); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu := processCPU()
	n := 0
	for b.Loop() {
		n++
		v := &benchVisitor{h: h, cookies: map[string]string{}}
		p := v.do(b, http.MethodGet, "/products/teapot", nil, http.StatusOK)
		f := hiddenFields(p.body)
		f.Set("quantity", "1")
		v.do(b, http.MethodPost, "/cart/add", f, http.StatusSeeOther)
		p = v.do(b, http.MethodGet, "/checkout", nil, http.StatusOK)
		f = hiddenFields(p.body)
		for k, val := range map[string]string{"email": "shopper" + strconv.Itoa(n) + "@example.com",
			"name": "Camille Martin", "phone": "06 12 34 56 78", "billing_line1": "12 rue des Tanneurs",
			"billing_postcode": "75011", "billing_city": "Paris", "billing_country": "FR",
			"delivery": "home", "terms": "1"} {
			f.Set(k, val)
		}
		pay := v.do(b, http.MethodPost, "/checkout", f, http.StatusSeeOther).location
		p = v.do(b, http.MethodGet, pay, nil, http.StatusOK)
		link := benchCardLink.FindSubmatch(p.body)
		if link == nil {
			b.Fatalf("%s: no card payment link", pay)
		}
		p = v.do(b, http.MethodGet, html.UnescapeString(string(link[1])), nil, http.StatusOK)
		f = hiddenFields(p.body)
		f.Set("number", "4242424242424242")
		f.Set("expiry", "12/30")
		f.Set("brand", "visa")
		done := v.do(b, http.MethodPost, p.path, f, http.StatusSeeOther).location
		v.do(b, http.MethodGet, done, nil, http.StatusOK)
	}
	b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(n), "cpu-µs/op")
}

var (
	benchHidden   = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`)
	benchCardLink = regexp.MustCompile(`<a[^>]* href="([^"]+)"[^>]*data-testid="pay-card"`)
)

// benchVisitor is one shopper of BenchmarkRequest_Purchase: its cookies, kept as a
// browser keeps them.
type benchVisitor struct {
	h       http.Handler
	cookies map[string]string
}

type benchPageResult struct {
	path, location string
	body           []byte
}

// hiddenFields are a page's hidden inputs, which its forms post as they are: the CSRF
// token, the product of an add to cart, the order form's submission key. These pages
// have one form each besides the search, which has none.
func hiddenFields(body []byte) url.Values {
	f := url.Values{}
	for _, m := range benchHidden.FindAllSubmatch(body, -1) {
		f.Set(string(m[1]), html.UnescapeString(string(m[2])))
	}
	return f
}

func (v *benchVisitor) do(b *testing.B, method, path string, form url.Values, want int) benchPageResult {
	b.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	// From the machine itself, as make bench's shoppers: the card form is offered over
	// plain HTTP only to a loopback client.
	req.RemoteAddr, req.Host = "127.0.0.1:40000", "127.0.0.1:8080"
	for name, value := range v.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	rec := httptest.NewRecorder()
	v.h.ServeHTTP(rec, req)
	res := rec.Result()
	if res.StatusCode != want {
		b.Fatalf("%s %s: status %d, want %d\n%.300s", method, path, res.StatusCode, want, rec.Body.String())
	}
	for _, c := range res.Cookies() {
		v.cookies[c.Name] = c.Value
	}
	loc := res.Header.Get("Location")
	if u, err := url.Parse(loc); err == nil && u.IsAbs() {
		loc = u.RequestURI()
	}
	return benchPageResult{path: path, location: loc, body: rec.Body.Bytes()}
}

// processCPU is the CPU time the process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
