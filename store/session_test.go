package store

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
)

// The cookie's marks say what a visitor id never had, and say "maybe" whenever they
// cannot know: a cookie from before a mark existed, or without marks at all.
func TestSessionMarks(t *testing.T) {
	s := testSessions()
	type seen struct{ cart, form bool }
	look := func(cookie string, then func(echo.Context)) (seen, string) {
		var got seen
		_, _, set := visit(t, s, cookie, func(c echo.Context) {
			if then != nil {
				then(c)
			}
			got = seen{MayHaveCart(c), MayHaveSavedForm(c)}
		})
		return got, set
	}
	fresh, cookie := look("", nil)
	if fresh != (seen{false, false}) {
		t.Errorf("new visitor: %+v, want neither a cart nor a kept form", fresh)
	}
	got, withForm := look(cookie, func(c echo.Context) {
		if err := s.NoteForm(c); err != nil {
			t.Fatal(err)
		}
	})
	if got != (seen{false, true}) || withForm == "" {
		t.Errorf("after NoteForm: %+v, cookie %q; want a kept form and a new cookie", got, withForm)
	}
	got, both := look(withForm, func(c echo.Context) {
		if err := s.NoteCart(c); err != nil {
			t.Fatal(err)
		}
	})
	if got != (seen{true, true}) {
		t.Errorf("after NoteCart too: %+v, want both", got)
	}
	if got, _ := look(both, nil); got != (seen{true, true}) {
		t.Errorf("next page: %+v, want both kept in the cookie", got)
	}
	if got, _ := look(cookie, nil); got != (seen{false, false}) {
		t.Errorf("the first cookie again: %+v, want neither", got)
	}

	// Cookies issued before the marks: "cart" 0 or 1 and nothing about forms, or no key.
	for _, tt := range []struct {
		name   string
		values map[any]any
		want   seen
	}{
		{"no cart yet", map[any]any{visitorKey: newVisitorID(), cartKey: int64(0)}, seen{false, true}},
		{"a cart", map[any]any{visitorKey: newVisitorID(), cartKey: int64(1)}, seen{true, true}},
		{"no marks", map[any]any{visitorKey: newVisitorID()}, seen{true, true}},
	} {
		old := encodeVisitor(t, s, tt.values)
		if got, _ := look(old, nil); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
		// Keeping a form then says so, and forgets nothing the cookie knew or did not.
		_, kept := look(old, func(c echo.Context) {
			if err := s.NoteForm(c); err != nil {
				t.Fatal(err)
			}
		})
		if kept == "" {
			kept = old
		}
		if got, _ := look(kept, nil); got != (seen{tt.want.cart, true}) {
			t.Errorf("%s, then a kept form: %+v, want %+v", tt.name, got, seen{tt.want.cart, true})
		}
	}
}

func encodeVisitor(t *testing.T, s *Sessions, values map[any]any) string {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	rec := httptest.NewRecorder()
	sess := sessions.NewSession(s.cookies, visitorCookie)
	sess.Options = s.cookies.Options
	sess.Values = values
	if err := sess.Save(req, rec); err != nil {
		t.Fatal(err)
	}
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == visitorCookie {
			return ck.Value
		}
	}
	t.Fatal("no cookie written")
	return ""
}

// Switching to a fresh id gives it empty marks; to an id used before, unknown ones; to
// the id the shopper already has, nothing changes.
func TestSetVisitor_Marks(t *testing.T) {
	s := testSessions()
	_, _, cookie := visit(t, s, "", nil)
	_, _, both := visit(t, s, cookie, func(c echo.Context) {
		if err := s.NoteCart(c); err != nil {
			t.Fatal(err)
		}
		if err := s.NoteForm(c); err != nil {
			t.Fatal(err)
		}
	})
	for _, tt := range []struct {
		name       string
		id         func(current string) string
		fresh      bool
		cart, form bool
		newCookie  bool
	}{
		{"a fresh id", func(string) string { return newVisitorID() }, true, false, false, true},
		{"an id used before", func(string) string { return newVisitorID() }, false, true, true, true},
		{"the same id", func(current string) string { return current }, false, true, true, false},
	} {
		var want string
		_, _, set := visit(t, s, both, func(c echo.Context) {
			want = tt.id(VisitorID(c))
			if err := s.SetVisitor(c, want, tt.fresh, ""); err != nil {
				t.Fatal(err)
			}
		})
		if (set != "") != tt.newCookie {
			t.Errorf("%s: new cookie %v, want %v", tt.name, set != "", tt.newCookie)
		}
		if set == "" {
			set = both
		}
		var got struct {
			id         string
			cart, form bool
		}
		visit(t, s, set, func(c echo.Context) {
			got.id, got.cart, got.form = VisitorID(c), MayHaveCart(c), MayHaveSavedForm(c)
		})
		if got.id != want || got.cart != tt.cart || got.form != tt.form {
			t.Errorf("%s: id %q cart %v form %v; want %q %v %v", tt.name, got.id, got.cart, got.form, want, tt.cart, tt.form)
		}
	}
}

// Visitor ids are 128 random bits behind the time they were drawn: later ids sort after
// earlier ones, no two are alike, and a cookie holding an id from before the time
// prefix still carries its visitor.
func TestNewVisitorID_TimeOrderedAndRandom(t *testing.T) {
	before := time.Now().UnixMilli()
	first := newVisitorID()
	after := time.Now().UnixMilli()
	if len(first) != 44 || strings.Trim(first, "0123456789abcdef") != "" {
		t.Fatalf("id %q: want 44 lowercase hex characters", first)
	}
	ms, err := strconv.ParseInt(first[:12], 16, 64)
	if err != nil || ms < before || ms > after {
		t.Errorf("id %q starts with %d ms, want the time it was drawn (%d–%d)", first, ms, before, after)
	}
	time.Sleep(2 * time.Millisecond)
	seen := map[string]bool{}
	prev := first
	for range 1000 {
		id := newVisitorID()
		if id <= prev && id[:12] != prev[:12] {
			t.Fatalf("id %q drawn after %q sorts before it", id, prev)
		}
		if id[:12] == first[:12] {
			t.Fatalf("id %q drawn 2 ms after %q has its time", id, first)
		}
		if seen[id[12:]] {
			t.Fatalf("random part of %q drawn twice", id)
		}
		seen[id[12:]] = true
		prev = id
	}

	s := testSessions()
	old := strings.Repeat("0123456789abcdef", 2)
	got, _, set := visit(t, s, encodeVisitor(t, s, map[any]any{visitorKey: old, cartKey: markCart | markFormKnown}), nil)
	if got != old || set != "" {
		t.Errorf("cookie with a 32-character id: visitor %q (new cookie %q), want %q kept", got, set, old)
	}
	got, _, set = visit(t, s, encodeVisitor(t, s, map[any]any{visitorKey: "short", cartKey: markCart}), nil)
	if got == "short" || len(got) != 44 || set == "" {
		t.Errorf("cookie with a malformed id: visitor %q, new cookie %q; want a fresh id", got, set)
	}
}
