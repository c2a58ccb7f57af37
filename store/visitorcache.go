package store

import (
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/sessions"
)

// visitorCache remembers what recent visitor cookies decoded to. Checking a cookie's
// signature and decrypting it was a twentieth of a page's CPU, and a shopper sends the
// same cookie with every page until the shop changes it. The key is the whole cookie
// value, so a hit is a cookie this process has already verified; an entry is believed
// for a minute (cookies live for days), and the cache forgets everything when full. It
// is small on purpose: every MiB kept here is a MiB less of the shop's soft memory
// limit left for garbage, so the collector runs more often.
// Only plain sessions are kept (an id and the marks): one holding a flash message
// is read afresh, since the message is taken on the next page.
type visitorCache struct {
	mu      sync.RWMutex
	entries map[string]visitorEntry
}

type visitorEntry struct {
	id      string
	cart    int64 // the marks (session.go), under their key's name
	hasCart bool  // cookies from before the marks lack them
	at      time.Time
}

const (
	visitorCacheSize = 1024
	visitorCacheTTL  = time.Minute
)

// session decodes the visitor cookie of r, from the cache when it can.
func (s *Sessions) session(r *http.Request) *sessions.Session {
	c, err := r.Cookie(visitorCookie)
	if err != nil {
		sess, _ := s.cookies.New(r, visitorCookie)
		return sess
	}
	now := time.Now()
	s.cache.mu.RLock()
	e, ok := s.cache.entries[c.Value]
	s.cache.mu.RUnlock()
	if ok && now.Sub(e.at) < visitorCacheTTL {
		sess := sessions.NewSession(s.cookies, visitorCookie)
		opts := *s.cookies.Options
		sess.Options = &opts
		sess.Values[visitorKey] = e.id
		if e.hasCart {
			sess.Values[cartKey] = e.cart
		}
		return sess
	}
	sess, err := s.cookies.New(r, visitorCookie)
	if err != nil || sess.IsNew {
		return sess
	}
	id, _ := sess.Values[visitorKey].(string)
	cart, hasCart := sess.Values[cartKey].(int64)
	plain := len(sess.Values) == 1 || len(sess.Values) == 2 && hasCart
	if id == "" || !plain {
		return sess
	}
	s.cache.mu.Lock()
	if s.cache.entries == nil || len(s.cache.entries) >= visitorCacheSize {
		s.cache.entries = make(map[string]visitorEntry, visitorCacheSize/4)
	}
	s.cache.entries[c.Value] = visitorEntry{id: id, cart: cart, hasCart: hasCart, at: now}
	s.cache.mu.Unlock()
	return sess
}
