package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gorilla/securecookie"

	"shop/store"
)

// hexID is a visitor id: the time it was drawn (12 hex digits), then 128 random bits.
var hexID = regexp.MustCompile(`^[0-9a-f]{12}[0-9a-f]{32}$`)

func TestVisitorCookie_FirstVisitAttributes(t *testing.T) {
	tests := []struct {
		name    string
		baseURL string // "" keeps the harness's http://127.0.0.1:port
		secure  bool
	}{
		{"http base URL", "", false},
		{"https base URL", "https://shop.example.com", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []func(*config)
			if tt.baseURL != "" {
				opts = append(opts, withBaseURL(tt.baseURL))
			}
			shop := startShop(t, opts...)
			p := shop.newShopper(t).getPage("/")
			if p.Status != http.StatusOK {
				t.Fatalf("GET /: %d", p.Status)
			}
			c := p.cookie("shop_visitor")
			if c == nil {
				t.Fatalf("the first response sets no shop_visitor cookie; cookies: %v", p.Header.Values("Set-Cookie"))
			}
			if c.Path != "/" {
				t.Errorf("Path = %q, want /", c.Path)
			}
			if !c.HttpOnly {
				t.Errorf("cookie is not HttpOnly")
			}
			if c.SameSite != http.SameSiteLaxMode {
				t.Errorf("SameSite = %v, want Lax", c.SameSite)
			}
			if c.MaxAge <= 0 {
				t.Errorf("Max-Age = %d, want a positive lifetime", c.MaxAge)
			}
			if c.Secure != tt.secure {
				t.Errorf("Secure = %v, want %v", c.Secure, tt.secure)
			}
			if csrf := p.cookie("shop_csrf"); csrf == nil || csrf.Secure != tt.secure || !csrf.HttpOnly || csrf.Path != "/" {
				t.Errorf("CSRF cookie = %+v, want Path=/, HttpOnly, Secure=%v", csrf, tt.secure)
			}
			values, err := shop.visitorOf(t, c.Value)
			if err != nil {
				t.Fatalf("the cookie does not decode with the shop's keys: %v", err)
			}
			// The id, and the marks that this id has neither a cart nor a kept order form
			// (4: the cookie knows about kept forms, and none is): nothing about the visitor.
			if id, _ := values["vid"].(string); len(values) != 2 || !hexID.MatchString(id) || values["cart"] != int64(4) {
				t.Errorf("the cookie holds %v; want only a visitor id and the marks 4", values)
			}
		})
	}
}

// The cookie is encrypted: neither the id nor its bytes appear in it, and its payload is
// not the plain serialised session.
func TestVisitorCookie_DoesNotShowTheVisitorID(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	sh.addToCart("mug", 1)
	var id string
	if err := shop.store().R.QueryRow(`SELECT visitor_id FROM carts`).Scan(&id); err != nil {
		t.Fatalf("read the cart's visitor id: %v", err)
	}
	value := sh.cookie("shop_visitor")
	if got := shop.visitorID(t, value); got != id {
		t.Fatalf("cookie decodes to %q, cart belongs to %q", got, id)
	}
	raw, err := hex.DecodeString(id)
	if err != nil {
		t.Fatal(err)
	}
	// securecookie: base64url("date|base64url(payload)|mac").
	outer, err := base64.URLEncoding.DecodeString(value)
	if err != nil {
		t.Fatalf("cookie is not base64url: %v", err)
	}
	parts := bytes.SplitN(outer, []byte("|"), 3)
	if len(parts) != 3 {
		t.Fatalf("cookie has %d parts, want date|value|mac", len(parts))
	}
	payload, err := base64.URLEncoding.DecodeString(string(parts[1]))
	if err != nil {
		t.Fatalf("payload is not base64url: %v", err)
	}
	for what, hay := range map[string][]byte{"cookie": []byte(value), "decoded cookie": outer, "payload": payload} {
		for _, needle := range [][]byte{[]byte(id), []byte(strings.ToUpper(id)), raw,
			[]byte(base64.StdEncoding.EncodeToString(raw)), []byte(base64.RawURLEncoding.EncodeToString(raw))} {
			if bytes.Contains(hay, needle) {
				t.Errorf("the %s contains the visitor id (%q)", what, needle)
			}
		}
	}
	var plain map[any]any
	if err := (store.ValuesCodec{}).Deserialize(payload, &plain); err == nil {
		t.Errorf("the payload decodes as a plain session %v: it is not encrypted", plain)
	}
}

func TestVisitorCookie_SameVisitorKeepsCart(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	sh.get("/")
	first := shop.visitorID(t, sh.cookie("shop_visitor"))
	sh.addToCart("teapot", 1)
	for range 3 {
		if got := sh.cartLines(); len(got) != 1 {
			t.Fatalf("cart lines = %v, want the teapot", got)
		}
		if got := shop.visitorID(t, sh.cookie("shop_visitor")); got != first {
			t.Fatalf("visitor changed from %s to %s", first, got)
		}
	}
	// Another visitor has a cart of their own.
	other := shop.newShopper(t)
	if got := other.cartLines(); len(got) != 0 {
		t.Errorf("a new visitor sees someone else's cart: %v", got)
	}
	if shop.visitorID(t, other.cookie("shop_visitor")) == first {
		t.Errorf("two visitors share one id")
	}
}

func TestVisitorCookie_TamperedCookieStartsAFreshVisitor(t *testing.T) {
	shop := startShop(t)
	owner := shop.newShopper(t)
	owner.addToCart("teapot", 1)
	good := owner.cookie("shop_visitor")
	ownerID := shop.visitorID(t, good)

	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	tests := []struct{ name, value string }{
		{"first character flipped", flip(good, 0)},
		{"middle character flipped", flip(good, len(good)/2)},
		{"last character flipped", flip(good, len(good)-1)},
		{"truncated", good[:len(good)-5]},
		{"garbage", "not-a-cookie"},
		{"another shop's cookie", "MTcwMDAwMDAwMHxhYmN8ZGVm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sh := shop.newShopper(t)
			sh.setCookie("shop_visitor", tt.value)
			p := sh.getPage("/cart")
			if p.Status != http.StatusOK {
				t.Fatalf("status %d, want 200", p.Status)
			}
			if len(byTestID(p.Doc, "error-page")) != 0 {
				t.Fatalf("a bad cookie shows the error page")
			}
			c := p.cookie("shop_visitor")
			if c == nil || c.Value == tt.value {
				t.Fatalf("no new visitor cookie issued")
			}
			if id := shop.visitorID(t, c.Value); id == ownerID {
				t.Errorf("the tampered cookie kept the owner's visitor id")
			}
			if got := linesOf(p.Doc); len(got) != 0 {
				t.Errorf("the tampered cookie shows the owner's cart: %v", got)
			}
		})
	}
	if strings.Contains(shop.logs.String(), "level=ERROR") {
		t.Errorf("tampered cookies logged errors:\n%s", shop.logs)
	}
}

// TestVisitorCookie_MarksACart: pages skip counting the cart of a visitor id that never
// filled one, so the mark in the cookie must follow the cart: set by the first add (in
// the one cookie that response sends), cleared with the id rotated when an order is
// placed, and a cookie from before the mark still shows its cart.
func TestVisitorCookie_MarksACart(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	_, doc := sh.get("/")
	if got := cartCount(t, doc); got != "0" {
		t.Fatalf("new visitor: count %q", got)
	}
	mark := func() any {
		t.Helper()
		values, err := shop.visitorOf(t, sh.cookie("shop_visitor"))
		if err != nil {
			t.Fatalf("decode visitor cookie: %v", err)
		}
		return values["cart"]
	}
	if got := mark(); got != int64(4) {
		t.Fatalf("a new visitor's marks = %v, want 4 (no cart, no kept form)", got)
	}

	sh.addToCart("teapot", 2)
	var set []string
	for _, v := range sh.lastPage().Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, "shop_visitor=") {
			set = append(set, v)
		}
	}
	if len(set) != 1 {
		t.Errorf("the add sent %d shop_visitor cookies, want 1", len(set))
	}
	if got := mark(); got != int64(5) {
		t.Errorf("after an add the marks = %v, want 5 (a cart)", got)
	}
	if _, doc := sh.get("/"); cartCount(t, doc) != "2" {
		t.Errorf("after adding 2: count %q", cartCount(t, doc))
	}

	// The order empties the cart and rotates the id: the new id has no cart.
	checkoutCart(t, shop, sh)
	if got := mark(); got != int64(4) {
		t.Errorf("after the order the marks = %v, want 4", got)
	}
	sh.addToCart("teapot", 1)
	if _, doc := sh.get("/"); cartCount(t, doc) != "1" {
		t.Errorf("a new cart after the order: count %q, want 1", cartCount(t, doc))
	}

	// A cookie written before the mark existed: only the id.
	old := shop.newShopper(t)
	old.addToCart("teapot", 3)
	id := shop.visitorID(t, old.cookie("shop_visitor"))
	hash, block, err := shop.store().SessionKeys(t.Context(), shop.cfg.SessionSecret)
	if err != nil {
		t.Fatal(err)
	}
	codec := securecookie.New(hash, block)
	codec.SetSerializer(store.ValuesCodec{})
	value, err := codec.Encode("shop_visitor", map[any]any{"vid": id})
	if err != nil {
		t.Fatal(err)
	}
	old.setCookie("shop_visitor", value)
	if _, doc := old.get("/"); cartCount(t, doc) != "3" {
		t.Errorf("a cookie without the mark: count %q, want 3", cartCount(t, doc))
	}
}

// The order form skips looking for kept values when the cookie says none were kept, so
// the mark must be set with them: a form sent back with an error, or not placed because
// the cart changed, shows its values again on the next visit. Landing again on an order
// already placed (its form resubmitted) keeps the id's marks: its new cart and kept form
// still show.
func TestVisitorCookie_MarksAKeptOrderForm(t *testing.T) {
	shop := startShop(t)
	keptCity := func(t *testing.T, sh *shopper) string {
		t.Helper()
		v, _ := controlValue(byTestID(sh.getPage("/checkout").Doc, "checkout-form")[0], "billing_city")
		return v
	}
	invalid := url.Values{"billing_city": {"Villeurbanne"}, "phone": {"12"}}
	for _, how := range []string{"an error", "a changed cart"} {
		t.Run(how, func(t *testing.T) {
			sh := shop.newShopper(t)
			sh.addToCart("teapot", 1)
			tok := openCheckout(t, sh)
			change, status := invalid, http.StatusUnprocessableEntity
			if how == "a changed cart" {
				change, status = url.Values{"billing_city": {"Villeurbanne"}}, http.StatusConflict
				sh.addToCart("teapot", 1)
			}
			if p := sh.submit("/checkout", tok.form(change)); p.Status != status {
				t.Fatalf("submit with %s: status %d, want %d", how, p.Status, status)
			}
			values, err := shop.visitorOf(t, sh.cookie("shop_visitor"))
			if err != nil {
				t.Fatal(err)
			}
			if m, _ := values["cart"].(int64); m&2 == 0 {
				t.Errorf("marks after the form was kept: %v, want the kept-form mark (2)", values["cart"])
			}
			if city := keptCity(t, sh); city != "Villeurbanne" {
				t.Errorf("the form came back with city %q, want the kept Villeurbanne", city)
			}
		})
	}
	t.Run("an order's form resubmitted", func(t *testing.T) {
		sh := shop.newShopper(t)
		sh.addToCart("teapot", 1)
		placed := openCheckout(t, sh).form(nil)
		if p := sh.submit("/checkout", placed); p.Status != http.StatusSeeOther {
			t.Fatalf("placing: status %d", p.Status)
		}
		sh.addToCart("teapot", 2)
		if p := sh.submit("/checkout", openCheckout(t, sh).form(invalid)); p.Status != http.StatusUnprocessableEntity {
			t.Fatalf("the second form: status %d, want 422", p.Status)
		}
		if p := sh.submit("/checkout", placed); p.Status != http.StatusSeeOther {
			t.Fatalf("the first form again: status %d, want 303 to its order", p.Status)
		}
		if city := keptCity(t, sh); city != "Villeurbanne" {
			t.Errorf("after landing on the order again, the form shows city %q, want the kept Villeurbanne", city)
		}
		if _, doc := sh.get("/"); cartCount(t, doc) != "2" {
			t.Errorf("after landing on the order again, the cart count is %q, want 2", cartCount(t, doc))
		}
	})
}
