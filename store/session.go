package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha512"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"shop/templates"
)

// Marks a visitor's cookie keeps about its id, so that pages can skip reading what a
// visitor id has never had. A cookie without the key predates the marks. A request that
// saves the cookie from values it read before another request marked it (two tabs)
// can drop that mark; pages then skip a cart or a kept form until the next change
// marks it again, which is as far as a cookie can know.
const (
	markCart      int64 = 1 // this visitor id has filled a cart
	markForm      int64 = 2 // the order form was kept for this visitor id (SaveForm)
	markFormKnown int64 = 4 // the cookie is newer than markForm: without it, no form was kept
	freshMarks          = markFormKnown
)

const (
	visitorCookie = "shop_visitor"
	visitorKey    = "vid"
	cartKey       = "cart" // the marks above, or'ed ("cart" since it began as the cart mark)
	flashKey      = "flash"
	ctxVisitor    = "shop.visitor"
	ctxSession    = "shop.session"
)

// Sessions issues the signed, encrypted cookies that carry only ids: the anonymous
// visitor id for every shopper (and, in the admin area, the staff session).
type Sessions struct {
	cookies *sessions.CookieStore
	cache   visitorCache
}

// SessionKeys returns the hash (64 bytes) and block (32 bytes) keys. With a configured
// secret they are derived from it; otherwise they are generated once and kept in the
// settings table, so that a restart keeps every visitor's cart.
func (db *DB) SessionKeys(ctx context.Context, secret string) (hash, block []byte, err error) {
	if secret != "" {
		return derive(secret, "session-hash", 64), derive(secret, "session-block", 32), nil
	}
	if hash, err = db.Setting(ctx, "session_hash_key", randomBytes(64)); err != nil {
		return nil, nil, err
	}
	block, err = db.Setting(ctx, "session_block_key", randomBytes(32))
	return hash, block, err
}

func derive(secret, label string, n int) []byte {
	m := hmac.New(sha512.New, []byte(secret))
	m.Write([]byte(label))
	return m.Sum(nil)[:n]
}

func randomBytes(n int) func() ([]byte, error) {
	return func() ([]byte, error) {
		b := make([]byte, n)
		_, err := rand.Read(b)
		return b, err
	}
}

// NewSessions sets every cookie option explicitly: gorilla/sessions v1.3+ defaults to
// SameSite=None without HttpOnly, which is not what a shop wants.
func NewSessions(hashKey, blockKey []byte, secure bool, maxAge int) *Sessions {
	cs := sessions.NewCookieStore(hashKey, blockKey)
	cs.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}
	cs.MaxAge(maxAge)
	useValuesCodec(cs)
	return &Sessions{cookies: cs}
}

// Visitor gives every request a visitor id. A missing, tampered or foreign cookie is
// not an error: the visitor simply gets a fresh id and a new cookie.
func (s *Sessions) Visitor(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess := s.session(c.Request())
		id, _ := sess.Values[visitorKey].(string)
		if !wellFormedVisitorID(id) {
			id = newVisitorID()
			sess.Values = map[any]any{visitorKey: id, cartKey: freshMarks}
			sess.IsNew = true
			if err := save(c, sess); err != nil {
				return err
			}
		}
		c.Set(ctxVisitor, id)
		c.Set(ctxSession, sess)
		return next(c)
	}
}

// newVisitorID is 128 random bits behind the time it was drawn (see TimeOrderedID).
// Carts, their lines and kept order forms are keyed by visitor id, and a checkout soon
// deletes the cart it placed: wholly random ids wrote each of those rows to a page of its
// own once the tables held thousands of carts. With the time in front, `make bench`'s
// add to cart served ~14 % more and its card checkout ~9 % more (four alternated pairs
// of runs). The cookie that carries the id is encrypted.
func newVisitorID() string {
	id, err := TimeOrderedID(time.Now(), 16)
	if err != nil {
		panic("store: no randomness: " + err.Error())
	}
	return id
}

// wellFormedVisitorID accepts the ids newVisitorID draws (44 characters) and the wholly
// random ones drawn before it (32), so that no visitor loses a cart to the change.
func wellFormedVisitorID(id string) bool { return len(id) == 44 || len(id) == 32 }

// VisitorID is the anonymous id of the shopper making the request.
func VisitorID(c echo.Context) string {
	id, _ := c.Get(ctxVisitor).(string)
	return id
}

// NewVisitorID is a fresh visitor id: 128 random bits after the time, hex-encoded.
func NewVisitorID() string { return newVisitorID() }

// SetVisitor switches the shopper to another visitor id, e.g. the new one an order is
// placed under, so that the id that filled the cart stops being useful to anyone who saw
// it. fresh says the id was drawn for this request, and so has no cart and no kept form;
// an id used before (a resubmitted order form lands on its order's owner) may have
// both, and its pages look. The id the shopper already has keeps its marks. order, when
// not empty, is the reference of the order the id owns, which LastOrder then gives: the
// way back to an order left unpaid (an id, like the visitor's).
func (s *Sessions) SetVisitor(c echo.Context, id string, fresh bool, order string) error {
	sess, ok := c.Get(ctxSession).(*sessions.Session)
	if !ok {
		return Errorf(Internal, "no visitor session")
	}
	changed := false
	if sess.Values[visitorKey] != id {
		sess.Values[visitorKey] = id
		if fresh {
			sess.Values[cartKey] = freshMarks
		} else {
			delete(sess.Values, cartKey)
		}
		c.Set(ctxVisitor, id)
		changed = true
	}
	if old, _ := sess.Values[orderKey].(string); order != "" && old != order {
		sess.Values[orderKey] = order
		changed = true
	}
	if !changed {
		return nil
	}
	return save(c, sess) // one cookie for both: encoding it is most of a save's cost
}

// NoteCart records in the cookie that this visitor id has a cart, once it has one.
func (s *Sessions) NoteCart(c echo.Context) error { return mark(c, markCart) }

// NoteForm records in the cookie that the order form was kept for this visitor id.
func (s *Sessions) NoteForm(c echo.Context) error { return mark(c, markForm) }

func mark(c echo.Context, m int64) error {
	sess, ok := c.Get(ctxSession).(*sessions.Session)
	if !ok {
		return Errorf(Internal, "no visitor session")
	}
	n, known := sess.Values[cartKey].(int64)
	if !known || n&m != 0 { // without marks, pages already look for everything
		return nil
	}
	sess.Values[cartKey] = n | m
	return save(c, sess)
}

// orderKey holds the reference of the last order placed under this cookie (SetVisitor).
const orderKey = "order"

// ForgetOrder drops the order reference SetVisitor kept, once its order needs nothing
// more from the shopper: pages then stop looking it up.
func (s *Sessions) ForgetOrder(c echo.Context) error {
	sess, ok := c.Get(ctxSession).(*sessions.Session)
	if !ok {
		return Errorf(Internal, "no visitor session")
	}
	if _, kept := sess.Values[orderKey]; !kept {
		return nil
	}
	delete(sess.Values, orderKey)
	return save(c, sess)
}

// LastOrder is the order reference SetVisitor kept, or "".
func LastOrder(c echo.Context) string {
	sess, ok := c.Get(ctxSession).(*sessions.Session)
	if !ok {
		return ""
	}
	ref, _ := sess.Values[orderKey].(string)
	return ref
}

// MayHaveCart is false only for a visitor id that has never filled a cart, whose pages
// then skip counting it: most visitors browse without buying, and the count was a
// tenth of a product page's cost. A cookie from before the mark says true.
func MayHaveCart(c echo.Context) bool {
	n, known := marks(c)
	return !known || n&markCart != 0
}

// MayHaveSavedForm is false only when the cookie says that no order form was kept for
// this visitor id: the order form then skips looking for one, as nearly every shopper's
// does (a form is kept only when it comes back with an error).
func MayHaveSavedForm(c echo.Context) bool {
	n, known := marks(c)
	return !known || n&markFormKnown == 0 || n&markForm != 0
}

func marks(c echo.Context) (int64, bool) {
	sess, ok := c.Get(ctxSession).(*sessions.Session)
	if !ok {
		return 0, false
	}
	n, known := sess.Values[cartKey].(int64)
	return n, known
}

// save writes a session's cookie, replacing one this response already set: a request
// may change the session twice (a cart, then a flash) and should send one cookie.
func save(c echo.Context, sess *sessions.Session) error {
	h := c.Response().Header()
	if set := h.Values("Set-Cookie"); len(set) > 0 {
		kept := set[:0:0]
		for _, v := range set {
			if !strings.HasPrefix(v, sess.Name()+"=") {
				kept = append(kept, v)
			}
		}
		h["Set-Cookie"] = kept
	}
	return sess.Save(c.Request(), c.Response())
}

// AddFlash keeps a one-time message for the next page the visitor sees.
func (s *Sessions) AddFlash(c echo.Context, msg string) {
	sess, ok := c.Get(ctxSession).(*sessions.Session)
	if !ok {
		return
	}
	sess.AddFlash(msg, flashKey)
	_ = save(c, sess)
}

// AddWarning is AddFlash for a message that reports a refusal or a problem: the next
// page shows it as an alert rather than as a confirmation.
func (s *Sessions) AddWarning(c echo.Context, msg string) {
	s.AddFlash(c, templates.WarningMark+msg)
}

// Flashes takes the pending one-time messages.
func (s *Sessions) Flashes(c echo.Context) []string {
	sess, ok := c.Get(ctxSession).(*sessions.Session)
	if !ok {
		return nil
	}
	return takeFlashes(c, sess, flashKey)
}

// takeFlashes removes a session's one-time messages under key and returns them, saving
// the cookie only when there were some.
func takeFlashes(c echo.Context, sess *sessions.Session, key string) []string {
	raw := sess.Flashes(key)
	if len(raw) == 0 {
		return nil
	}
	_ = save(c, sess)
	out := make([]string, 0, len(raw))
	for _, f := range raw {
		if s, ok := f.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Cookies exposes the cookie store for other sessions (the admin area's).
func (s *Sessions) Cookies() *sessions.CookieStore { return s.cookies }
