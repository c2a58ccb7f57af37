package main

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// jar is a virtual shopper's cookies. The driver talks to one host, so it keeps what a
// browser keeps for one site: cookies by name and path, replaced by a cookie of the
// same name and path, removed by one already expired, sent to the paths under theirs.
// net/http's client, jar and cookie parser do the same for every site of the web and
// were a quarter of the driver's cost per page, CPU the shop under test shares; this one
// reads Set-Cookie lines itself and writes the Cookie header in one string.
type jar struct {
	cookies []jarCookie
	expires string // the last Expires attribute read, and when it is
	expAt   time.Time
}

type jarCookie struct{ name, value, path string }

// header is the Cookie header for a request to path ("" when there is none).
func (j *jar) header(path string) string {
	if path == "" {
		path = "/"
	}
	var b strings.Builder
	for _, c := range j.cookies {
		if !pathMatch(c.path, path) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(c.name)
		b.WriteByte('=')
		b.WriteString(c.value)
	}
	return b.String()
}

// store reads a response's Set-Cookie lines.
func (j *jar) store(h http.Header) {
	for _, line := range h["Set-Cookie"] {
		j.set(line, time.Now())
	}
}

// set reads one Set-Cookie line: name=value, then the Path, Max-Age and Expires
// attributes (a cookie without a Max-Age is deleted by an Expires in the past).
func (j *jar) set(line string, now time.Time) {
	pair, attrs, _ := strings.Cut(line, ";")
	name, value, ok := strings.Cut(strings.TrimSpace(pair), "=")
	if !ok || name == "" {
		return
	}
	c := jarCookie{name: name, value: strings.Trim(value, `"`), path: "/"}
	del, maxAge := false, false
	for attrs != "" {
		var a string
		a, attrs, _ = strings.Cut(attrs, ";")
		k, v, _ := strings.Cut(strings.TrimSpace(a), "=")
		switch strings.ToLower(k) {
		case "path":
			if strings.HasPrefix(v, "/") {
				c.path = v
			}
		case "max-age":
			if n, err := strconv.Atoi(v); err == nil {
				maxAge, del = true, n <= 0
			}
		case "expires":
			if !maxAge && j.expired(v, now) {
				del = true
			}
		}
	}
	kept := j.cookies[:0]
	for _, old := range j.cookies {
		if old.name != c.name || old.path != c.path {
			kept = append(kept, old)
		}
	}
	j.cookies = kept
	if !del {
		j.cookies = append(j.cookies, c)
	}
}

// expired says whether an Expires date is past; the shop sends the same one on every
// page of a second, so the last one read is remembered.
func (j *jar) expired(v string, now time.Time) bool {
	if v != j.expires {
		t, err := http.ParseTime(v)
		if err != nil {
			return false // a date that cannot be read does not delete the cookie
		}
		j.expires, j.expAt = v, t
	}
	return j.expAt.Before(now)
}

// pathMatch is RFC 6265's path-match: "/cart" matches "/cart" and "/cart/add", not "/carts".
func pathMatch(cookiePath, path string) bool {
	if !strings.HasPrefix(path, cookiePath) {
		return false
	}
	return len(path) == len(cookiePath) || strings.HasSuffix(cookiePath, "/") || path[len(cookiePath)] == '/'
}
