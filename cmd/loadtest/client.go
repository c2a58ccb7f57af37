package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// requestTimeout bounds every request, so that a stuck server cannot hold a run: a
// page that takes longer counts as an error.
const requestTimeout = 5 * time.Second

// newTransport is the connection pool every virtual shopper shares. It dials
// 127.0.0.1 and nothing else, whatever a page links to, and ignores proxy settings.
func newTransport() *http.Transport {
	d := &net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if host, _, err := net.SplitHostPort(addr); err != nil || host != "127.0.0.1" {
				return nil, fmt.Errorf("refusing to connect to %s: the benchmark talks to 127.0.0.1 only", addr)
			}
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConns:          0, // no limit: the per-host limit below decides
		MaxIdleConnsPerHost:   1024,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: requestTimeout,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
	}
}

// shopper is one virtual shopper: its own cookie jar (visitor session and CSRF cookie),
// the last CSRF token a page gave it, and the recorder of the worker driving it.
type shopper struct {
	client *http.Client
	base   *url.URL
	csrf   string
	rec    *recorder
	jar    jar
	buf    bytes.Buffer // the last body read; valid until the next request
}

func newShopper(t *http.Transport, base *url.URL, rec *recorder) *shopper {
	return &shopper{
		client: &http.Client{
			Transport: t,
			Timeout:   requestTimeout,
			// Redirects are steps of their own: a flow follows the ones a browser would.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		base: base,
		rec:  rec,
	}
}

// page is what a flow needs of a response.
type page struct {
	status   int
	location string // resolved against the request URL
	url      *url.URL
	body     []byte // the shopper's buffer: valid until its next request
}

// unexpectedStatus is an answer other than the one a step expects.
type unexpectedStatus struct {
	method, path string
	got          int
}

func (e *unexpectedStatus) Error() string {
	return fmt.Sprintf("%s %s: status %d", e.method, e.path, e.got)
}

// isNotFound says whether err is a 404 or 405: a route that is not wired yet.
func isNotFound(err error) bool {
	var se *unexpectedStatus
	return errors.As(err, &se) && (se.got == http.StatusNotFound || se.got == http.StatusMethodNotAllowed)
}

// get fetches a path (or absolute 127.0.0.1 URL) and records it under step.
func (s *shopper) get(ctx context.Context, step, target string, want ...int) (page, error) {
	return s.do(ctx, step, http.MethodGet, target, nil, want)
}

// post submits a form, adding the CSRF token the last page gave, and records it.
func (s *shopper) post(ctx context.Context, step, target string, form url.Values, want ...int) (page, error) {
	if form.Get("_csrf") == "" && s.csrf != "" {
		form.Set("_csrf", s.csrf)
	}
	return s.do(ctx, step, http.MethodPost, target, form, want)
}

// submit posts a form read from a page exactly as read and filled: its hidden fields
// (the CSRF token among them, or a bank's sealed fields) go back untouched.
func (s *shopper) submit(ctx context.Context, step string, f htmlForm, want ...int) (page, error) {
	return s.do(ctx, step, http.MethodPost, f.action, f.values, want)
}

func (s *shopper) do(ctx context.Context, step, method, target string, form url.Values, want []int) (page, error) {
	u, err := s.base.Parse(target)
	if err != nil {
		return page{}, err
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return page{}, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c := s.jar.header(u.Path); c != "" {
		req.Header["Cookie"] = []string{c}
	}
	s.rec.requests++
	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		s.rec.fail(step, err)
		return page{}, err
	}
	s.jar.store(resp.Header)
	s.buf.Reset()
	_, err = s.buf.ReadFrom(resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	if err != nil {
		s.rec.fail(step, err)
		return page{}, err
	}
	p := page{status: resp.StatusCode, url: u, body: s.buf.Bytes()}
	if loc := resp.Header.Get("Location"); loc != "" {
		if l, err := u.Parse(loc); err == nil {
			p.location = l.String()
		}
	}
	if len(want) > 0 && !contains(want, resp.StatusCode) {
		err := &unexpectedStatus{method: method, path: u.Path, got: resp.StatusCode}
		s.rec.fail(step, err)
		return p, err
	}
	if tok := hiddenValue(p.body, "_csrf"); tok != "" {
		s.csrf = tok
	}
	s.rec.ok(step, elapsed)
	return p, nil
}

func contains(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// hiddenValue finds <input … name="NAME" value="…"> the way the shop's templates write
// hidden fields; it is the fast path for the CSRF token on every page.
func hiddenValue(body []byte, name string) string {
	marker := []byte(`name="` + name + `" value="`)
	i := bytes.Index(body, marker)
	if i < 0 {
		return ""
	}
	rest := body[i+len(marker):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}
