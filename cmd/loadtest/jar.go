package main

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// jar is a virtual shopper's cookie jar. The driver talks to one host, so it keeps what a
// browser keeps for one site: cookies by name and path, replaced by a cookie of the
// same name and path, removed by one already expired, sent to the paths under theirs.
// net/http/cookiejar does the same for every site of the web, with public suffixes and
// sorting, and was a sixth of the driver's cost per page, CPU the shop under test shares.
type jar struct {
	mu      sync.Mutex
	cookies []*http.Cookie
}

func (j *jar) SetCookies(_ *url.URL, cookies []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := time.Now()
	for _, c := range cookies {
		if c.Path == "" || c.Path[0] != '/' {
			c.Path = "/"
		}
		kept := j.cookies[:0]
		for _, old := range j.cookies {
			if old.Name != c.Name || old.Path != c.Path {
				kept = append(kept, old)
			}
		}
		j.cookies = kept
		if c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(now)) {
			continue
		}
		j.cookies = append(j.cookies, &http.Cookie{Name: c.Name, Value: c.Value, Path: c.Path})
	}
}

func (j *jar) Cookies(u *url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	path := u.Path
	if path == "" {
		path = "/"
	}
	var out []*http.Cookie
	for _, c := range j.cookies {
		if pathMatch(c.Path, path) {
			out = append(out, c)
		}
	}
	return out
}

// pathMatch is RFC 6265's path-match: "/cart" matches "/cart" and "/cart/add", not "/carts".
func pathMatch(cookiePath, path string) bool {
	if !strings.HasPrefix(path, cookiePath) {
		return false
	}
	return len(path) == len(cookiePath) || strings.HasSuffix(cookiePath, "/") || path[len(cookiePath)] == '/'
}
