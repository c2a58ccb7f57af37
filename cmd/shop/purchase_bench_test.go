package main

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkRequest_Purchase is make bench's card purchase in process: a new visitor
// views a product, adds it, opens the order form, places the order, opens the payment
// page and the card form, pays and views the order. That is eight requests through the
// router and the middleware, each write committed to the database file, by 32 shoppers
// per CPU at once (64 on this two-CPU machine, as make bench's checkout row), so that
// writes share commits as they do there. Its cpu-µs/op is what a purchase costs the
// shop's process without the network, its two mails rendered and queued but not sent
// (the mail worker does not run here): the figure to watch for the orders target, which
// make bench's own row measures beside a load driver on the same CPUs.
func BenchmarkRequest_Purchase(b *testing.B) {
	h, _, db := benchShop(b)
	// Enough stock for any run: a sold-out teapot would end the benchmark.
	if _, err := db.W.ExecContext(context.Background(), `UPDATE products SET stock = 1 << 30 WHERE slug = 'teapot'`); err != nil {
		b.Fatal(err)
	}
	// The collector as the shop's binary sets it (tuneGC): its work is part of the cost.
	gc := debug.SetGCPercent(100)
	debug.SetGCPercent(gc)
	defer debug.SetGCPercent(gc)
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1)) // -1 reads it
	tuneGC(os.Getenv)
	b.ReportAllocs()
	b.SetParallelism(32)
	var n atomic.Int64
	b.ResetTimer()
	cpu := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := purchase(h, n.Add(1)); err != nil {
				b.Error(err) // not Fatal: this is not the benchmark's goroutine
				return
			}
		}
	})
	b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(n.Load()), "cpu-µs/op")
}

// purchase is one visitor's card purchase of a teapot, the n-th of the run.
func purchase(h http.Handler, n int64) error {
	v := &benchVisitor{h: h, cookies: map[string]string{}}
	p, err := v.do(http.MethodGet, "/products/teapot", nil, http.StatusOK)
	if err != nil {
		return err
	}
	f := hiddenFields(p.body)
	f.Set("quantity", "1")
	if _, err := v.do(http.MethodPost, "/cart/add", f, http.StatusSeeOther); err != nil {
		return err
	}
	if p, err = v.do(http.MethodGet, "/checkout", nil, http.StatusOK); err != nil {
		return err
	}
	f = hiddenFields(p.body)
	for k, val := range map[string]string{"email": "shopper" + strconv.FormatInt(n, 10) + "@example.com",
		"name": "Camille Martin", "phone": "06 12 34 56 78", "billing_line1": "12 rue des Tanneurs",
		"billing_postcode": "75011", "billing_city": "Paris", "billing_country": "FR",
		"delivery": "home", "terms": "1"} {
		f.Set(k, val)
	}
	if p, err = v.do(http.MethodPost, "/checkout", f, http.StatusSeeOther); err != nil {
		return err
	}
	pay := p.location
	if p, err = v.do(http.MethodGet, pay, nil, http.StatusOK); err != nil {
		return err
	}
	link := benchCardLink.FindSubmatch(p.body)
	if link == nil {
		return fmt.Errorf("%s: no card payment link", pay)
	}
	if p, err = v.do(http.MethodGet, html.UnescapeString(string(link[1])), nil, http.StatusOK); err != nil {
		return err
	}
	f = hiddenFields(p.body)
	f.Set("number", "4242424242424242")
	f.Set("expiry", "12/30")
	f.Set("brand", "visa")
	if p, err = v.do(http.MethodPost, p.path, f, http.StatusSeeOther); err != nil {
		return err
	}
	_, err = v.do(http.MethodGet, p.location, nil, http.StatusOK)
	return err
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

func (v *benchVisitor) do(method, path string, form url.Values, want int) (benchPageResult, error) {
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
		return benchPageResult{}, fmt.Errorf("%s %s: status %d, want %d\n%.300s", method, path, res.StatusCode, want, rec.Body.String())
	}
	for _, c := range res.Cookies() {
		v.cookies[c.Name] = c.Value
	}
	loc := res.Header.Get("Location")
	if u, err := url.Parse(loc); err == nil && u.IsAbs() {
		loc = u.RequestURI()
	}
	return benchPageResult{path: path, location: loc, body: rec.Body.Bytes()}, nil
}

// processCPU is the CPU time the process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
