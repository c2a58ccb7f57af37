package store

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// visit runs the Visitor middleware for one request carrying cookie (may be empty) and
// returns the visitor id it saw, whether pages may count a cart, and the cookie it set.
func visit(t *testing.T, s *Sessions, cookie string, then func(echo.Context)) (id string, cart bool, set string) {
	t.Helper()
	e := echo.New()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	if cookie != "" {
		req.Header.Set("Cookie", visitorCookie+"="+cookie)
	}
	rec := httptest.NewRecorder()
	c := e.NewContext(req, rec)
	err := s.Visitor(func(c echo.Context) error {
		id, cart = VisitorID(c), MayHaveCart(c)
		if then != nil {
			then(c)
		}
		return nil
	})(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == visitorCookie {
			set = ck.Value
		}
	}
	return id, cart, set
}

func testSessions() *Sessions {
	return NewSessions([]byte(strings.Repeat("h", 64)), []byte(strings.Repeat("b", 32)), false, 3600)
}

func TestVisitorCache_SameCookieSameVisitorAndCartMark(t *testing.T) {
	s := testSessions()
	id, _, cookie := visit(t, s, "", nil)
	if !wellFormedVisitorID(id) || cookie == "" {
		t.Fatalf("first visit: id %q, cookie %q", id, cookie)
	}
	_, _, withCart := visit(t, s, cookie, func(c echo.Context) {
		if err := s.NoteCart(c); err != nil {
			t.Fatal(err)
		}
	})
	for range 3 { // decoded, then from the cache
		got, cart, set := visit(t, s, withCart, nil)
		if got != id || !cart || set != "" {
			t.Fatalf("visit with the cart cookie: id %q (want %q), cart %v, new cookie %q", got, id, cart, set)
		}
		got, cart, _ = visit(t, s, cookie, nil)
		if got != id || cart {
			t.Fatalf("visit with the first cookie: id %q, cart %v (it was set before the cart)", got, cart)
		}
	}
	if n := len(s.cache.entries); n != 2 {
		t.Errorf("%d cookies cached, want 2", n)
	}
}

func TestVisitorCache_TamperedCookieGetsANewVisitor(t *testing.T) {
	s := testSessions()
	id, _, cookie := visit(t, s, "", nil)
	visit(t, s, cookie, nil) // cached now
	bad := cookie[:len(cookie)-2] + "AA"
	if bad == cookie {
		bad = cookie[:len(cookie)-2] + "BB"
	}
	got, _, set := visit(t, s, bad, nil)
	if got == id || set == "" {
		t.Errorf("a tampered cookie kept visitor %q (new cookie %q)", got, set)
	}
}

func TestVisitorCache_FlashesAreNeverServedFromTheCache(t *testing.T) {
	s := testSessions()
	_, _, cookie := visit(t, s, "", nil)
	_, _, flashed := visit(t, s, cookie, func(c echo.Context) { s.AddFlash(c, "Added to your cart.") })
	for i := range 2 {
		var got []string
		visit(t, s, flashed, func(c echo.Context) { got = s.Flashes(c) })
		if len(got) != 1 || got[0] != "Added to your cart." {
			t.Fatalf("visit %d with the flash cookie: flashes %q", i, got)
		}
	}
	if _, ok := s.cache.entries[flashed]; ok {
		t.Error("a cookie holding a flash was cached")
	}
}

func TestVisitorCache_OldEntriesAreVerifiedAgain(t *testing.T) {
	s := testSessions()
	id, _, cookie := visit(t, s, "", nil)
	visit(t, s, cookie, nil)
	e := s.cache.entries[cookie]
	e.id = "forged-by-the-test-0000000000000"
	e.at = time.Now().Add(-2 * visitorCacheTTL)
	s.cache.entries[cookie] = e
	if got, _, _ := visit(t, s, cookie, nil); got != id {
		t.Errorf("an entry past its time was believed: id %q, want %q", got, id)
	}
}
