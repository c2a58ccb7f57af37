package main

// HTTP tests of checkout (issue #3): the order form's validation, placing an order once
// and only with what is in stock, what the shopper and others may see of an order, the
// payment page, expiry of unpaid orders, and the mails. Each test runs a real shop (real
// SQLite file, real router) on 127.0.0.1; mail goes to a real SMTP server (smtp_test.go).

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"shop/payment/card"
)

// --- helpers of the checkout and card tests ---

// checkoutClock is a clock the test moves by hand, given to the app by withCheckoutClock.
// It starts at the current second, so cards valid today are valid on it.
type checkoutClock struct {
	mu sync.Mutex
	t  time.Time
}

func newCheckoutClock() *checkoutClock {
	return &checkoutClock{t: time.Now().UTC().Truncate(time.Second)}
}

func (c *checkoutClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *checkoutClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func withCheckoutClock(c *checkoutClock) func(*app) { return func(a *app) { a.now = c.now } }

// withQuickMailPoll makes the mail worker look for due mail every 50ms instead of 10s,
// so a test that moved the clock need not wake it.
func withQuickMailPoll(a *app) { a.mailPoll = 50 * time.Millisecond }

// validOrderForm is the order form as a careful shopper fills it in.
func validOrderForm() url.Values {
	return url.Values{
		"email":            {"ada@example.com"},
		"name":             {"Ada Lovelace"},
		"phone":            {"06 12 34 56 78"},
		"billing_line1":    {"12 rue des Tanneurs"},
		"billing_line2":    {"Bâtiment B"},
		"billing_postcode": {"69001"},
		"billing_city":     {"Lyon"},
		"billing_country":  {"FR"},
		"delivery":         {"home"},
		"note":             {"Ring twice"},
		"terms":            {"1"},
	}
}

// checkoutTokens are the order form's hidden fields: its one-time submission token, and
// the cart and the delivery prices as the form showed them.
type checkoutTokens struct{ Submission, Shown, ShownDelivery string }

// form is a valid order form carrying these tokens, with changes applied.
func (tok checkoutTokens) form(changes url.Values) url.Values {
	f := validOrderForm()
	f.Set("submission", tok.Submission)
	f.Set("shown", tok.Shown)
	f.Set("shown_delivery", tok.ShownDelivery)
	for k, v := range changes {
		f[k] = v
	}
	return f
}

// checkoutTokensOf reads the hidden fields of an order form page.
func checkoutTokensOf(p *page) (checkoutTokens, error) {
	var tok checkoutTokens
	if p.Status != http.StatusOK {
		return tok, fmt.Errorf("GET /checkout: status %d, want 200: %s", p.Status, textOf(p.Doc))
	}
	forms := byTestID(p.Doc, "checkout-form")
	if len(forms) != 1 {
		return tok, fmt.Errorf("GET /checkout: %d checkout forms, want 1", len(forms))
	}
	tok.Submission, _ = controlValue(forms[0], "submission")
	tok.Shown, _ = controlValue(forms[0], "shown")
	tok.ShownDelivery, _ = controlValue(forms[0], "shown_delivery")
	if tok.Submission == "" || tok.Shown == "" || tok.ShownDelivery == "" {
		return tok, fmt.Errorf("GET /checkout: the form lacks its submission token, cart or delivery snapshot")
	}
	return tok, nil
}

// openCheckout reads the order form and returns its hidden fields.
func openCheckout(t *testing.T, sh *shopper) checkoutTokens {
	t.Helper()
	tok, err := checkoutTokensOf(sh.getPage("/checkout"))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

var payRedirect = regexp.MustCompile(`^/orders/([2-9A-HJKMNP-Z]{10})/pay$`)

// payRedirectRef is the order reference of a 303 to /orders/<ref>/pay.
func payRedirectRef(p *page) (string, error) {
	loc := p.Header.Get("Location")
	m := payRedirect.FindStringSubmatch(loc)
	if p.Status != http.StatusSeeOther || m == nil {
		return "", fmt.Errorf("status %d, Location %q; want 303 to /orders/<ref>/pay; page says %q", p.Status, loc, textOf(p.Doc))
	}
	return m[1], nil
}

// placedOrder is an order as the database holds it.
type placedOrder struct {
	ID                   int64
	Ref, Token           string
	Owner, PlacedBy      string
	ItemsCents, Total    int64
	PaymentState, Method string
	StockReturned        bool
	HasPaidAt            bool
}

func (ts *testShop) order(t *testing.T, ref string) placedOrder {
	t.Helper()
	o := placedOrder{Ref: ref}
	err := ts.store().R.QueryRowContext(context.Background(), `SELECT id, access_token, owner, placed_by,
		items_cents, total_cents, payment_state, payment_method, stock_returned, paid_at IS NOT NULL
		FROM orders WHERE reference = ?`, ref).Scan(&o.ID, &o.Token, &o.Owner, &o.PlacedBy,
		&o.ItemsCents, &o.Total, &o.PaymentState, &o.Method, &o.StockReturned, &o.HasPaidAt)
	if err != nil {
		t.Fatalf("read order %s: %v", ref, err)
	}
	return o
}

// queryText reads one text value from the running shop's database.
func (ts *testShop) queryText(t *testing.T, query string, args ...any) string {
	t.Helper()
	var s string
	if err := ts.store().R.QueryRowContext(context.Background(), query, args...).Scan(&s); err != nil {
		t.Fatalf("query %q: %v", query, err)
	}
	return s
}

// checkoutCart submits the order form for what is in the shopper's cart and returns the
// order placed.
func checkoutCart(t *testing.T, ts *testShop, sh *shopper) placedOrder {
	t.Helper()
	tok := openCheckout(t, sh)
	ref, err := payRedirectRef(sh.submit("/checkout", tok.form(nil)))
	if err != nil {
		t.Fatalf("POST /checkout: %v", err)
	}
	return ts.order(t, ref)
}

// placeOrder puts qty of a product in the shopper's cart and checks out.
func placeOrder(t *testing.T, ts *testShop, sh *shopper, slug string, qty int) placedOrder {
	t.Helper()
	sh.addToCart(slug, qty)
	return checkoutCart(t, ts, sh)
}

// controlValue is what a form control named name inside root holds as the browser would
// submit it: an input's value ("" for an unchecked checkbox), the checked radio, the
// selected option, a textarea's text. ok is false when there is no such control.
func controlValue(root *html.Node, name string) (string, bool) {
	nodes := findAll(root, func(n *html.Node) bool {
		return n.Type == html.ElementNode && (n.Data == "input" || n.Data == "select" || n.Data == "textarea") && attrIs(n, "name", name)
	})
	if len(nodes) == 0 {
		return "", false
	}
	for _, n := range nodes {
		switch n.Data {
		case "textarea":
			var b strings.Builder
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.TextNode {
					b.WriteString(c.Data)
				}
			}
			return b.String(), true
		case "select":
			for _, o := range findAll(n, func(o *html.Node) bool { return isElem(o, "option") }) {
				if _, sel := attr(o, "selected"); sel {
					v, _ := attr(o, "value")
					return v, true
				}
			}
			return "", true
		}
		typ, _ := attr(n, "type")
		if typ == "checkbox" || typ == "radio" {
			if _, checked := attr(n, "checked"); checked {
				v, _ := attr(n, "value")
				return v, true
			}
			continue
		}
		v, _ := attr(n, "value")
		return v, true
	}
	return "", true
}

// precedes reports whether a comes before b in document order.
func precedes(doc, a, b *html.Node) bool {
	for _, n := range findAll(doc, func(n *html.Node) bool { return n == a || n == b }) {
		return n == a && a != b
	}
	return false
}

// insideOrNextTo reports whether msg sits in the field's wrapper (the nearest div of
// class "field" around control) or right after it.
func insideOrNextTo(control, msg *html.Node) bool {
	var wrapper *html.Node
	for p := control.Parent; p != nil; p = p.Parent {
		if c, _ := attr(p, "class"); isElem(p, "div") && strings.Contains(" "+c+" ", " field ") {
			wrapper = p
			break
		}
	}
	if wrapper == nil {
		return false
	}
	for p := msg.Parent; p != nil; p = p.Parent {
		if p == wrapper {
			return true
		}
	}
	next := wrapper.NextSibling
	for next != nil && next.Type != html.ElementNode {
		next = next.NextSibling
	}
	return next == msg
}

// checkNoServerErrorsLogged fails the test if the shop logged an error or SQLite
// contention.
func checkNoServerErrorsLogged(t *testing.T, ts *testShop) {
	t.Helper()
	logs := ts.logs.String()
	for _, bad := range []string{"database is locked", "SQLITE_BUSY", "level=ERROR"} {
		if strings.Contains(logs, bad) {
			t.Errorf("the shop's logs contain %q:\n%s", bad, logs)
		}
	}
}

// --- the order form ---

// Each wrong field comes back with status 422, its message beside it (linked with
// aria-describedby), the same message in the summary at the top, and every value kept.
func TestCheckout_InvalidFieldComesBackBesideItWithValuesKept(t *testing.T) {
	ts := startShop(t)
	sh := ts.newShopper(t)
	sh.addToCart("espresso-beans", 2)
	tok := openCheckout(t, sh)
	elsewhere := url.Values{"ship_different": {"1"}, "ship_name": {"Grace Hopper"}, "ship_line1": {"Friedrichstraße 1"},
		"ship_postcode": {"10115"}, "ship_city": {"Berlin"}, "ship_country": {"DE"}}

	cases := []struct {
		field, value string
		extra        url.Values // other fields the case needs
		want         string     // in the message
		kind         string     // input, select, textarea, radios
	}{
		{field: "email", value: "", want: "Enter your e-mail address.", kind: "input"},
		{field: "email", value: "ada@example", want: "Enter an e-mail address like name@example.com.", kind: "input"},
		{field: "name", value: "", want: "Enter your full name.", kind: "input"},
		{field: "name", value: strings.Repeat("n", 101), want: "at most 100 characters", kind: "input"},
		{field: "phone", value: "12", want: "6 to 15 digits", kind: "input"},
		{field: "phone", value: "call me maybe", want: "6 to 15 digits", kind: "input"},
		{field: "billing_line1", value: "", want: "Enter the street address.", kind: "input"},
		{field: "billing_line2", value: strings.Repeat("b", 121), want: "at most 120 characters", kind: "input"},
		{field: "billing_postcode", value: "ABC", want: "Enter a postcode of France such as 75011.", kind: "input"},
		{field: "billing_postcode", value: "", want: "Enter the postcode.", kind: "input"},
		{field: "billing_city", value: "", want: "Enter the city.", kind: "input"},
		{field: "billing_country", value: "XX", want: "Choose a country from the list.", kind: "select"},
		{field: "delivery", value: "teleport", want: "Choose a delivery method.", kind: "radios"},
		{field: "note", value: strings.Repeat("é", 1001), want: "at most 1000 characters", kind: "textarea"},
		{field: "terms", value: "", want: "Accept the terms of sale", kind: "checkbox"},
		{field: "ship_name", value: strings.Repeat("n", 101), extra: elsewhere, want: "at most 100 characters", kind: "input"},
		{field: "ship_postcode", value: "1", extra: elsewhere, want: "Enter a delivery postcode of Germany such as 10115.", kind: "input"},
		{field: "ship_line1", value: "", extra: elsewhere, want: "Enter the delivery street address.", kind: "input"},
		{field: "ship_different", value: "", extra: elsewhere, want: "You typed a delivery address: tick", kind: "checkbox"},
	}
	for _, c := range cases {
		t.Run(c.field+"="+abbreviate(c.value), func(t *testing.T) {
			changes := url.Values{}
			for k, v := range c.extra {
				changes[k] = v
			}
			changes.Set(c.field, c.value)
			sent := tok.form(changes)
			p := sh.submit("/checkout", sent)
			if p.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422; page says %q", p.Status, textOf(p.Doc))
			}
			forms := byTestID(p.Doc, "checkout-form")
			if len(forms) != 1 {
				t.Fatalf("the 422 page has %d order forms, want 1", len(forms))
			}
			form := forms[0]

			// The one message, beside its field.
			var msgs []string
			for _, n := range findAll(form, func(n *html.Node) bool {
				id, _ := attr(n, "data-testid")
				return n.Type == html.ElementNode && strings.HasSuffix(id, "-error")
			}) {
				id, _ := attr(n, "data-testid")
				msgs = append(msgs, id+": "+textOf(n))
			}
			errs := byTestID(form, c.field+"-error")
			if len(errs) != 1 || len(msgs) != 1 {
				t.Fatalf("messages in the form = %q, want exactly one %s-error", msgs, c.field)
			}
			msg := errs[0]
			if got := textOf(msg); !strings.Contains(got, c.want) {
				t.Errorf("%s-error = %q, want it to contain %q", c.field, got, c.want)
			}
			msgID, _ := attr(msg, "id")
			if msgID != c.field+"-error" {
				t.Errorf("message id = %q, want %s-error", msgID, c.field)
			}
			if c.kind == "radios" {
				group := byID(p.Doc, c.field)
				if group == nil || !attrIs(group, "role", "radiogroup") || !containsNode(group, msg) {
					t.Errorf("the delivery message is not inside the delivery radio group")
				}
			} else {
				control := byID(p.Doc, c.field)
				if control == nil {
					t.Fatalf("no control with id %q", c.field)
				}
				if !attrIs(control, "aria-invalid", "true") {
					t.Errorf("%s lacks aria-invalid=\"true\"", c.field)
				}
				if d, _ := attr(control, "aria-describedby"); d != msgID {
					t.Errorf("%s aria-describedby = %q, want the message's id %q", c.field, d, msgID)
				}
				if !insideOrNextTo(control, msg) {
					t.Errorf("the %s message is not beside its field", c.field)
				}
			}
			invalid := findAll(p.Doc, func(n *html.Node) bool { return n.Type == html.ElementNode && attrIs(n, "aria-invalid", "true") })
			if c.kind != "radios" && len(invalid) != 1 {
				t.Errorf("%d controls marked invalid, want only %s", len(invalid), c.field)
			}

			// The summary at the top, linking to the field.
			summary := byTestID(p.Doc, "error-summary")
			if len(summary) != 1 {
				t.Fatalf("%d error summaries, want 1", len(summary))
			}
			if !precedes(p.Doc, summary[0], form) {
				t.Errorf("the error summary is not above the form")
			}
			links := findAll(summary[0], func(n *html.Node) bool { return isElem(n, "a") })
			if len(links) != 1 || !attrIs(links[0], "href", "#"+c.field) || textOf(links[0]) != textOf(msg) {
				var got []string
				for _, l := range links {
					h, _ := attr(l, "href")
					got = append(got, h+" "+textOf(l))
				}
				t.Errorf("summary links = %q, want one to #%s saying %q", got, c.field, textOf(msg))
			}

			// Every value as sent, the hidden tokens included.
			for name := range sent {
				if name == "_csrf" || (name == c.field && (c.kind == "select" || c.kind == "radios")) {
					continue
				}
				want := strings.TrimSpace(sent.Get(name))
				if strings.HasSuffix(name, "_postcode") || strings.HasSuffix(name, "_country") {
					want = strings.ToUpper(want)
				}
				if name == "note" {
					want = sent.Get(name)
				}
				got, ok := controlValue(form, name)
				if !ok {
					t.Errorf("the re-rendered form has no %s field", name)
				} else if got != want {
					t.Errorf("%s came back as %q, want %q", name, abbreviate(got), abbreviate(want))
				}
			}
			if n := ts.queryInt(t, `SELECT count(*) FROM orders`); n != 0 {
				t.Errorf("%d orders placed from an invalid form", n)
			}
		})
	}
	if got := sh.cartLines(); got[fmt.Sprint(ts.productID(t, "espresso-beans"))] != "2" || len(got) != 1 {
		t.Errorf("cart after the invalid forms = %v, want espresso beans × 2", got)
	}
}

func abbreviate(s string) string {
	if len([]rune(s)) > 12 {
		return string([]rune(s)[:8]) + fmt.Sprintf("…(%d)", len([]rune(s)))
	}
	return s
}

func containsNode(root, n *html.Node) bool {
	return len(findAll(root, func(x *html.Node) bool { return x == n })) > 0
}

// Two hundred shoppers check out the last ten mugs at the same moment: exactly ten
// orders, stock zero and never below, the others told nothing was placed, no 5xx and
// no SQLite contention in the logs.
func TestCheckout_FlashSaleSellsExactlyTheStock(t *testing.T) {
	ts := startShop(t)
	const shoppers, stock = 200, 10
	mug := ts.productID(t, "mug")
	ts.exec(t, `UPDATE products SET stock = ? WHERE id = ?`, stock, mug)

	type ready struct {
		sh   *shopper
		form url.Values
	}
	all := make([]ready, shoppers)
	for i := range all {
		all[i].sh = ts.newShopper(t)
	}
	var (
		mu       sync.Mutex
		failures []string
		wg       sync.WaitGroup
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(failures) < 20 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
	}
	// Every shopper has a mug in the cart and the order form open before anyone buys.
	for i := range all {
		wg.Go(func() {
			sh := all[i].sh
			if _, err := sh.tryFetch(http.MethodGet, "/products/mug", nil, nil); err != nil {
				fail("shopper %d: %v", i, err)
				return
			}
			p, err := sh.trySubmit("/cart/add", url.Values{"product_id": {fmt.Sprint(mug)}, "quantity": {"1"}})
			if err != nil || p.Status != http.StatusSeeOther {
				fail("shopper %d: add to cart: %v %v", i, err, p)
				return
			}
			p, err = sh.tryFetch(http.MethodGet, "/checkout", nil, nil)
			if err != nil {
				fail("shopper %d: %v", i, err)
				return
			}
			tok, err := checkoutTokensOf(p)
			if err != nil {
				fail("shopper %d: %v", i, err)
				return
			}
			all[i].form = tok.form(nil)
		})
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("preparing the shoppers: %s", strings.Join(failures, "\n"))
	}

	// Watch the stock while they buy.
	watching := make(chan struct{})
	var lowest int64 = stock
	var watchErr error
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-watching:
				return
			default:
			}
			var s int64
			if err := ts.store().R.QueryRow(`SELECT stock FROM products WHERE id = ?`, mug).Scan(&s); err != nil {
				watchErr = err
				return
			}
			lowest = min(lowest, s)
		}
	}()

	statuses := map[int]int{}
	refs := map[string]bool{}
	start := make(chan struct{})
	for i := range all {
		wg.Go(func() {
			<-start
			p, err := all[i].sh.trySubmit("/checkout", all[i].form)
			if err != nil {
				fail("shopper %d: %v", i, err)
				return
			}
			mu.Lock()
			statuses[p.Status]++
			mu.Unlock()
			switch p.Status {
			case http.StatusSeeOther:
				ref, err := payRedirectRef(p)
				if err != nil {
					fail("shopper %d: %v", i, err)
					return
				}
				mu.Lock()
				refs[ref] = true
				mu.Unlock()
			case http.StatusConflict:
				items := byTestID(p.Doc, "changed-item")
				if len(byTestID(p.Doc, "changed")) != 1 || len(items) != 1 || !strings.Contains(textOf(items[0]), "Stoneware Mug") {
					fail("shopper %d: 409 page does not say the mug could not be ordered: %q", i, textOf(p.Doc))
				}
			default:
				fail("shopper %d: status %d: %q", i, p.Status, textOf(p.Doc))
			}
		})
	}
	began := time.Now()
	close(start)
	wg.Wait()
	elapsed := time.Since(began)
	close(watching)
	<-watched

	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("flash sale: %d simultaneous checkouts for %d mugs took %v: %.0f checkouts/s, %.1f orders/s placed (informational)",
		shoppers, stock, elapsed.Round(time.Millisecond), float64(shoppers)/elapsed.Seconds(), float64(len(refs))/elapsed.Seconds())
	if statuses[http.StatusSeeOther] != stock || statuses[http.StatusConflict] != shoppers-stock || len(statuses) != 2 {
		t.Errorf("statuses = %v, want %d × 303 and %d × 409", statuses, stock, shoppers-stock)
	}
	if len(refs) != stock {
		t.Errorf("%d distinct orders reached the payment page, want %d", len(refs), stock)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM orders`); n != stock {
		t.Errorf("%d orders in the database, want %d", n, stock)
	}
	if n := ts.queryInt(t, `SELECT coalesce(sum(quantity), 0) FROM order_lines WHERE product_id = ?`, mug); n != stock {
		t.Errorf("%d mugs ordered in all, want %d", n, stock)
	}
	if s := ts.queryInt(t, `SELECT stock FROM products WHERE id = ?`, mug); s != 0 {
		t.Errorf("stock after the sale = %d, want 0", s)
	}
	if watchErr != nil {
		t.Errorf("watching the stock: %v", watchErr)
	}
	if lowest < 0 {
		t.Errorf("the stock went down to %d during the sale", lowest)
	}
	checkNoServerErrorsLogged(t, ts)
}

// A double click sends the same form twice at once: one order, and both answers send
// the shopper to pay that order.
func TestCheckout_SameFormPostedTwiceAtOncePlacesOneOrder(t *testing.T) {
	ts := startShop(t)
	sh := ts.newShopper(t)
	sh.addToCart("teapot", 2)
	form := openCheckout(t, sh).form(url.Values{"_csrf": {sh.token()}})
	other := sh.clone(t)

	var wg sync.WaitGroup
	pages := make([]*page, 2)
	errs := make([]error, 2)
	start := make(chan struct{})
	for i, s := range []*shopper{sh, other} {
		wg.Go(func() {
			<-start
			pages[i], errs[i] = s.trySubmit("/checkout", form)
		})
	}
	close(start)
	wg.Wait()
	var locs []string
	for i := range pages {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if _, err := payRedirectRef(pages[i]); err != nil {
			t.Fatalf("submission %d: %v", i+1, err)
		}
		locs = append(locs, pages[i].Header.Get("Location"))
	}
	if locs[0] != locs[1] {
		t.Errorf("the two submissions went to %q and %q, want the same order", locs[0], locs[1])
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM orders`); n != 1 {
		t.Errorf("%d orders placed, want 1", n)
	}
	if s := ts.queryInt(t, `SELECT stock FROM products WHERE slug = 'teapot'`); s != 4 {
		t.Errorf("teapot stock = %d, want 6 - 2 = 4 (taken once)", s)
	}
	for i, s := range []*shopper{sh, other} {
		if st, _ := s.get(locs[0]); st != http.StatusOK {
			t.Errorf("shopper tab %d: GET %s = %d, want 200", i+1, locs[0], st)
		}
	}
}

// Back to the order form after placing and submitting it again lands on the same order:
// after the payment page, and even once the merchant has withdrawn the delivery method
// the form chose (the form no longer passes, but its order is placed).
func TestCheckout_ResubmitAfterSuccessLandsOnTheSameOrder(t *testing.T) {
	for name, between := range map[string]func(t *testing.T, ts *testShop, sh *shopper, first string, form url.Values){
		"after the payment page": func(t *testing.T, _ *testShop, sh *shopper, first string, _ url.Values) {
			if st, _ := sh.get("/orders/" + first + "/pay"); st != http.StatusOK {
				t.Fatalf("payment page: status %d", st)
			}
		},
		"its delivery method withdrawn": func(t *testing.T, ts *testShop, _ *shopper, _ string, form url.Values) {
			ts.exec(t, `UPDATE delivery_methods SET active = 0 WHERE code = ?`, form.Get("delivery"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			ts := startShop(t)
			sh := ts.newShopper(t)
			sh.addToCart("french-press", 1)
			form := openCheckout(t, sh).form(url.Values{"_csrf": {sh.token()}})
			first, err := payRedirectRef(sh.submit("/checkout", form))
			if err != nil {
				t.Fatal(err)
			}
			between(t, ts, sh, first, form)
			again, err := payRedirectRef(sh.submit("/checkout", form))
			if err != nil {
				t.Fatalf("the same form again: %v", err)
			}
			if again != first {
				t.Errorf("resubmitting went to order %s, want %s", again, first)
			}
			if n := ts.queryInt(t, `SELECT count(*) FROM orders`); n != 1 {
				t.Errorf("%d orders, want 1", n)
			}
			if s := ts.queryInt(t, `SELECT stock FROM products WHERE slug = 'french-press'`); s != 8 {
				t.Errorf("french press stock = %d, want 9 - 1 = 8", s)
			}
		})
	}
}

// A price that changes, or stock that runs out, between the form and its submission
// places nothing and says what changed; the cart and stock stay as they were.
func TestCheckout_CartChangedSinceTheFormPlacesNothing(t *testing.T) {
	cases := []struct {
		name   string
		change string
		stock  int64 // espresso beans left after the change
		want   string
	}{
		{"price went up", `UPDATE products SET price_cents = 1390 WHERE slug = 'espresso-beans'`, 40,
			"Espresso Beans: the price changed from €12.90 to €13.90."},
		{"price went down", `UPDATE products SET price_cents = 990 WHERE slug = 'espresso-beans'`, 40,
			"Espresso Beans: the price changed from €12.90 to €9.90."},
		{"sold out", `UPDATE products SET stock = 0 WHERE slug = 'espresso-beans'`, 0,
			"Espresso Beans: Sold out"},
		{"fewer left than in the cart", `UPDATE products SET stock = 1 WHERE slug = 'espresso-beans'`, 1,
			"Espresso Beans: Only 1 left"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts := startShop(t)
			sh := ts.newShopper(t)
			id := fmt.Sprint(ts.productID(t, "espresso-beans"))
			sh.addToCart("espresso-beans", 2)
			sh.addToCart("cookies", 1)
			tok := openCheckout(t, sh)
			ts.exec(t, c.change)

			p := sh.submit("/checkout", tok.form(nil))
			if p.Status != http.StatusConflict {
				t.Fatalf("status %d, want 409; page says %q", p.Status, textOf(p.Doc))
			}
			if len(byTestID(p.Doc, "changed")) != 1 {
				t.Fatalf("no data-testid=changed on the page: %q", textOf(p.Doc))
			}
			var items []string
			for _, n := range byTestID(p.Doc, "changed-item") {
				items = append(items, textOf(n))
			}
			if len(items) != 1 || !strings.Contains(items[0], c.want) {
				t.Errorf("changes listed = %q, want one saying %q", items, c.want)
			}
			if n := ts.queryInt(t, `SELECT count(*) FROM orders`); n != 0 {
				t.Errorf("%d orders placed, want none", n)
			}
			if s := ts.queryInt(t, `SELECT stock FROM products WHERE slug = 'espresso-beans'`); s != c.stock {
				t.Errorf("espresso stock = %d, want %d (untouched)", s, c.stock)
			}
			if s := ts.queryInt(t, `SELECT stock FROM products WHERE slug = 'cookies'`); s != 35 {
				t.Errorf("cookie stock = %d, want 35 (untouched)", s)
			}
			if got := sh.cartLines(); got[id] != "2" || len(got) != 2 {
				t.Errorf("cart = %v, want espresso × 2 and cookies × 1 still there", got)
			}
		})
	}
}

// After a price change the shopper who reads the form again can order at the new price.
func TestCheckout_NewPriceAcceptedOnceShown(t *testing.T) {
	ts := startShop(t)
	sh := ts.newShopper(t)
	sh.addToCart("espresso-beans", 2)
	old := openCheckout(t, sh)
	ts.exec(t, `UPDATE products SET price_cents = 1390 WHERE slug = 'espresso-beans'`)
	if p := sh.submit("/checkout", old.form(nil)); p.Status != http.StatusConflict {
		t.Fatalf("status %d with the old form, want 409", p.Status)
	}
	o := checkoutCart(t, ts, sh)
	if o.ItemsCents != 2*1390 || o.Total != 2*1390+590 {
		t.Errorf("items %d, total %d; want %d and %d", o.ItemsCents, o.Total, 2*1390, 2*1390+590)
	}
}

// A delivery price the merchant changes while the shopper fills the form is refused like
// a product's: nothing placed, the new price said, and accepted once the form shows it.
func TestCheckout_DeliveryPriceChangedSinceTheFormPlacesNothing(t *testing.T) {
	ts := startShop(t)
	sh := ts.newShopper(t)
	sh.addToCart("espresso-beans", 1)
	old := openCheckout(t, sh)
	ts.exec(t, `UPDATE delivery_methods SET price_cents = 900 WHERE code = 'home'`)
	p := sh.submit("/checkout", old.form(nil))
	if p.Status != http.StatusConflict || !strings.Contains(textOf(p.Doc), "Home delivery: the delivery price is now €9.00.") {
		t.Fatalf("status %d, page %q; want 409 saying the new delivery price", p.Status, textOf(p.Doc))
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM orders`); n != 0 {
		t.Fatalf("%d orders placed, want none", n)
	}
	o := checkoutCart(t, ts, sh)
	if o.Total != 1290+900 {
		t.Errorf("total %d once the new price was shown, want %d", o.Total, 1290+900)
	}
}

// Prices, totals and quantities slipped into the form are never read: the order is
// priced from the catalogue.
func TestCheckout_PricesInTheFormAreIgnored(t *testing.T) {
	ts := startShop(t)
	sh := ts.newShopper(t)
	sh.addToCart("espresso-beans", 2)
	sh.addToCart("mug", 1)
	tok := openCheckout(t, sh)
	p := sh.submit("/checkout", tok.form(url.Values{
		"price": {"1"}, "price_cents": {"1"}, "unit_cents": {"1"}, "total": {"0.01"}, "total_cents": {"1"},
		"items_cents": {"1"}, "delivery_cents": {"0"}, "quantity": {"100"}, "qty": {"100"},
		"lines[0][price]": {"1"}, "currency": {"XXX"}, "vat_rate": {"0"},
	}))
	ref, err := payRedirectRef(p)
	if err != nil {
		t.Fatal(err)
	}
	// 2 × €12.90 + 1 × €18.00 = €43.80 of items, under the €60 of free delivery: + €5.90.
	const items, delivery = 2*1290 + 1*1800, 590
	o := ts.order(t, ref)
	if o.ItemsCents != items || o.Total != items+delivery {
		t.Errorf("order items %d, total %d; want %d and %d", o.ItemsCents, o.Total, items, items+delivery)
	}
	if ht, vat := ts.queryInt(t, `SELECT total_ht_cents FROM orders WHERE id = ?`, o.ID),
		ts.queryInt(t, `SELECT total_vat_cents FROM orders WHERE id = ?`, o.ID); ht+vat != o.Total {
		t.Errorf("HT %d + VAT %d != total %d", ht, vat, o.Total)
	}
	if cur := ts.queryText(t, `SELECT currency FROM orders WHERE id = ?`, o.ID); cur != "EUR" {
		t.Errorf("currency %q, want EUR", cur)
	}
	lines := []struct {
		slug       string
		qty, unit  int64
		stockAfter int64
	}{{"espresso-beans", 2, 1290, 38}, {"mug", 1, 1800, 29}}
	for _, l := range lines {
		var qty, unit, total int64
		err := ts.store().R.QueryRow(`SELECT quantity, unit_cents, total_cents FROM order_lines
			WHERE order_id = ? AND product_id = ?`, o.ID, ts.productID(t, l.slug)).Scan(&qty, &unit, &total)
		if err != nil {
			t.Fatalf("order line %s: %v", l.slug, err)
		}
		if qty != l.qty || unit != l.unit || total != l.qty*l.unit {
			t.Errorf("%s line: %d × %d = %d, want %d × %d", l.slug, qty, unit, total, l.qty, l.unit)
		}
		if s := ts.queryInt(t, `SELECT stock FROM products WHERE slug = ?`, l.slug); s != l.stockAfter {
			t.Errorf("%s stock = %d, want %d", l.slug, s, l.stockAfter)
		}
	}
	if _, doc := sh.get("/orders/" + ref + "/pay"); textOf(firstNode(byTestID(doc, "total"))) != "€49.70" {
		t.Errorf("payment page total = %q, want €49.70", textOf(firstNode(byTestID(doc, "total"))))
	}
}

func firstNode(ns []*html.Node) *html.Node {
	if len(ns) == 0 {
		return nil
	}
	return ns[0]
}

// The form's cart snapshot is only compared, never trusted: a forged one is refused
// and nothing is placed.
func TestCheckout_ForgedCartSnapshotIsRefused(t *testing.T) {
	cases := []struct {
		name  string
		forge func(real string, id int64) string
	}{
		{"lower price", func(_ string, id int64) string { return fmt.Sprintf("%d:2:1", id) }},
		{"other quantity", func(_ string, id int64) string { return fmt.Sprintf("%d:1:1290", id) }},
		{"other product", func(_ string, id int64) string { return fmt.Sprintf("%d:2:1290", id+1000) }},
		{"extra line", func(real string, _ int64) string { return real + ",99999:1:1" }},
		{"empty", func(string, int64) string { return "" }},
		{"garbage", func(string, int64) string { return "not a snapshot" }},
		{"garbage after the real one", func(real string, _ int64) string { return real + ",junk" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts := startShop(t)
			sh := ts.newShopper(t)
			id := ts.productID(t, "espresso-beans")
			sh.addToCart("espresso-beans", 2)
			tok := openCheckout(t, sh)
			if want := fmt.Sprintf("%d:2:1290", id); tok.Shown != want {
				t.Fatalf("snapshot = %q, want %q", tok.Shown, want)
			}
			forged := c.forge(tok.Shown, id)
			p := sh.submit("/checkout", tok.form(url.Values{"shown": {forged}}))
			if p.Status != http.StatusConflict || len(byTestID(p.Doc, "changed")) != 1 {
				t.Errorf("shown=%q: status %d, want 409 with the not-placed page; page says %q",
					forged, p.Status, textOf(p.Doc))
			}
			if n := ts.queryInt(t, `SELECT count(*) FROM orders`); n != 0 {
				t.Errorf("shown=%q: %d orders placed, want none", forged, n)
			}
			if s := ts.queryInt(t, `SELECT stock FROM products WHERE id = ?`, id); s != 40 {
				t.Errorf("stock = %d, want 40", s)
			}
		})
	}
}

// --- the order page ---

// The order page shows to the visitor who placed it (whose cookie was rotated) and to
// whoever holds its token; to anyone else it does not exist.
func TestOrderPage_OnlyItsShopperOrItsTokenSeeIt(t *testing.T) {
	ts := startShop(t)
	sh := ts.newShopper(t)
	sh.addToCart("candle", 1)
	tok := openCheckout(t, sh)
	oldCookie := sh.cookie("shop_visitor")
	before := ts.visitorID(t, oldCookie)
	ref, err := payRedirectRef(sh.submit("/checkout", tok.form(nil)))
	if err != nil {
		t.Fatal(err)
	}
	after := ts.visitorID(t, sh.cookie("shop_visitor"))
	o := ts.order(t, ref)
	if after == before {
		t.Errorf("the visitor id was not rotated when the order was placed")
	}
	if o.Owner != after || o.PlacedBy != before {
		t.Errorf("order owner %q placed by %q; want the new id %q, placed by the old %q", o.Owner, o.PlacedBy, after, before)
	}
	if _, doc := sh.get("/"); cartCount(t, doc) != "0" {
		t.Errorf("the shopper's cart is not empty after ordering")
	}

	stranger := ts.newShopper(t)
	stranger.get("/")
	formerSelf := ts.newShopper(t)
	formerSelf.setCookie("shop_visitor", oldCookie)
	wrong := []byte(o.Token)
	wrong[len(wrong)-1] ^= 1
	cases := []struct {
		who  string
		sh   *shopper
		path string
		want int
	}{
		{"its shopper", sh, "/orders/" + ref, http.StatusOK},
		{"its shopper, payment page", sh, "/orders/" + ref + "/pay", http.StatusOK},
		{"another shopper", stranger, "/orders/" + ref, http.StatusNotFound},
		{"another shopper, payment page", stranger, "/orders/" + ref + "/pay", http.StatusNotFound},
		{"another shopper, card form", stranger, "/orders/" + ref + "/pay/card", http.StatusNotFound},
		{"the visitor id before the order", formerSelf, "/orders/" + ref, http.StatusNotFound},
		{"with the token", stranger, "/orders/" + ref + "?token=" + o.Token, http.StatusOK},
		{"with the token, payment page", stranger, "/orders/" + ref + "/pay?token=" + o.Token, http.StatusOK},
		{"with a wrong token", stranger, "/orders/" + ref + "?token=" + string(wrong), http.StatusNotFound},
		{"with an empty token", stranger, "/orders/" + ref + "?token=", http.StatusNotFound},
		{"with another order's reference", sh, "/orders/ABCDEFGHJK", http.StatusNotFound},
	}
	for _, c := range cases {
		t.Run(c.who, func(t *testing.T) {
			st, doc := c.sh.get(c.path)
			if st != c.want {
				t.Fatalf("GET %s: status %d, want %d", c.path, st, c.want)
			}
			if st != http.StatusOK {
				if strings.Contains(textOf(doc), "Ada Lovelace") || strings.Contains(textOf(doc), "Scented Candle") {
					t.Errorf("the 404 page shows the order's details")
				}
				return
			}
			if strings.HasSuffix(strings.Split(c.path, "?")[0], "/pay") {
				if len(byTestID(doc, "pay-card")) != 1 {
					t.Errorf("payment page without the card option")
				}
				return
			}
			if got := textOf(firstNode(byTestID(doc, "payment-state"))); !strings.Contains(got, "Awaiting payment") {
				t.Errorf("payment state = %q", got)
			}
			if !strings.Contains(textOf(doc), "Scented Candle") {
				t.Errorf("the order page does not list its line")
			}
		})
	}
}

// --- the payment page ---

// The payment page offers exactly the methods configured; with none, it says so.
func TestPaymentPage_OffersExactlyTheConfiguredMethods(t *testing.T) {
	key, err := card.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		env    map[string]string
		demo   bool // false: restart the seeded shop as a production one (no sandbox bank)
		want   []string
		noneOK bool
	}{
		{"demo defaults", nil, true, []string{"pay-card", "pay-cmcic"}, false},
		{"demo without the card form", map[string]string{"SHOP_CARD_PAYMENTS": "off"}, true, []string{"pay-cmcic"}, false},
		{"card form only", map[string]string{"SHOP_CARD_KEY": key.String()}, false, []string{"pay-card"}, false},
		{"nothing configured", map[string]string{"SHOP_CARD_PAYMENTS": "off"}, false, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts := startShopWith(t, shopSetup{Env: c.env})
			if !c.demo {
				if err := ts.stop(); err != nil {
					t.Fatal(err)
				}
				ts.cfg.Demo = false
				ts.restart(t)
			}
			sh := ts.newShopper(t)
			o := placeOrder(t, ts, sh, "jam", 1)
			st, doc := sh.get("/orders/" + o.Ref + "/pay")
			if st != http.StatusOK {
				t.Fatalf("payment page: status %d", st)
			}
			var got []string
			for _, n := range findAll(doc, func(n *html.Node) bool {
				id, _ := attr(n, "data-testid")
				return n.Type == html.ElementNode && strings.HasPrefix(id, "pay-")
			}) {
				id, _ := attr(n, "data-testid")
				got = append(got, id)
				if href, _ := attr(n, "href"); href != "/orders/"+o.Ref+"/pay/"+strings.TrimPrefix(id, "pay-") {
					t.Errorf("%s links to %q", id, href)
				}
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("payment options = %q, want %q", got, c.want)
			}
			if none := len(byTestID(doc, "no-payment-method")) == 1; none != c.noneOK {
				t.Errorf("no-payment-method shown: %v, want %v", none, c.noneOK)
			}
			if c.noneOK {
				if st, _ := sh.get("/orders/" + o.Ref + "/pay/card"); st != http.StatusNotFound {
					t.Errorf("card form with card payments off: status %d, want 404", st)
				}
			}
		})
	}
}

// --- expiry ---

// An unpaid order past its window expires once, even when two sweeps run at once: stock
// back once, one mail.
func TestOrderExpiry_TwoSweepsAtOnceExpireAndReturnStockOnce(t *testing.T) {
	clock := newCheckoutClock()
	ts := startShopWith(t, shopSetup{Env: map[string]string{"SHOP_PAYMENT_MINUTES": "20"},
		App: []func(*app){withCheckoutClock(clock)}})
	sh := ts.newShopper(t)
	sh.addToCart("macarons", 3)
	sh.addToCart("jam", 2)
	o := checkoutCart(t, ts, sh)
	stock := func(slug string) int64 { return ts.queryInt(t, `SELECT stock FROM products WHERE slug = ?`, slug) }
	if stock("macarons") != 2 || stock("jam") != 22 {
		t.Fatalf("stock after ordering: macarons %d, jam %d; want 2 and 22", stock("macarons"), stock("jam"))
	}
	ctx := context.Background()
	orders := ts.app.orders

	clock.advance(19 * time.Minute)
	if n, err := orders.ExpireDue(ctx); err != nil || n != 0 {
		t.Fatalf("sweep within the window: %d expired, %v; want 0", n, err)
	}
	clock.advance(2 * time.Minute)
	var wg sync.WaitGroup
	counts := make([]int, 2)
	errs := make([]error, 2)
	start := make(chan struct{})
	for i := range 2 {
		wg.Go(func() {
			<-start
			counts[i], errs[i] = orders.ExpireDue(ctx)
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("sweep: %v", err)
		}
	}
	if counts[0]+counts[1] != 1 {
		t.Errorf("the two sweeps expired %v orders, want 1 in all", counts)
	}
	if n, err := orders.ExpireDue(ctx); err != nil || n != 0 {
		t.Errorf("a third sweep: %d expired, %v; want 0", n, err)
	}

	got := ts.order(t, o.Ref)
	if got.PaymentState != "expired" || !got.StockReturned {
		t.Errorf("order state %q, stock returned %v; want expired and true", got.PaymentState, got.StockReturned)
	}
	if f := ts.queryText(t, `SELECT fulfilment_state FROM orders WHERE id = ?`, o.ID); f != "cancelled" {
		t.Errorf("fulfilment %q, want cancelled", f)
	}
	if stock("macarons") != 5 || stock("jam") != 24 {
		t.Errorf("stock after expiry: macarons %d, jam %d; want 5 and 24 (returned once)", stock("macarons"), stock("jam"))
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM outbox WHERE order_id = ? AND key LIKE '%/shopper-expired'`, o.ID); n != 1 {
		t.Errorf("%d expiry mails queued, want 1", n)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM outbox WHERE order_id = ?`, o.ID); n != 1 {
		t.Errorf("%d mails about the order, want only the expiry one", n)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM order_events WHERE order_id = ? AND kind = 'expired'`, o.ID); n != 1 {
		t.Errorf("%d expiry events, want 1", n)
	}

	_, doc := sh.get("/orders/" + o.Ref)
	if s := textOf(firstNode(byTestID(doc, "payment-state"))); !strings.Contains(s, "Expired") {
		t.Errorf("order page payment state = %q, want Expired", s)
	}
	if p := sh.getPage("/orders/" + o.Ref + "/pay"); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/orders/"+o.Ref {
		t.Errorf("payment page of an expired order: %d to %q, want 303 to the order", p.Status, p.Header.Get("Location"))
	}
}

// --- mail ---

// Paying by card sends the merchant the order with the card's missing digits and the
// shopper a confirmation with a link to the order, through a real SMTP server.
func TestMail_CardOrderReachesMerchantAndShopper(t *testing.T) {
	sink := startSMTP(t)
	ts := startShopWith(t, shopSetup{Env: smtpEnv(t, sink.Addr), App: []func(*app){withQuickMailPoll}})
	sh := ts.newShopper(t)
	sh.addToCart("espresso-beans", 2)
	sh.addToCart("mug", 1)
	o := checkoutCart(t, ts, sh)
	p := payByCard(t, sh, o.Ref, "visa", "4012 8888 8888 1881", "12/30")
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/orders/"+o.Ref {
		t.Fatalf("card payment: status %d to %q, want 303 to the order", p.Status, p.Header.Get("Location"))
	}

	msgs := sink.waitForMessages(t, 2, 20*time.Second)
	merchant, shopperMail := smtpTo(msgs, "merchant@example.com"), smtpTo(msgs, "ada@example.com")
	if len(merchant) != 1 || len(shopperMail) != 1 || len(msgs) != 2 {
		t.Fatalf("received %d mails: %d to the merchant, %d to the shopper; want one each", len(msgs), len(merchant), len(shopperMail))
	}
	m := merchant[0]
	if m.From != "shop@example.com" {
		t.Errorf("envelope sender %q", m.From)
	}
	if m.Sender == nil || m.Sender.Name != "Le Petit Comptoir" || m.Sender.Address != "shop@example.com" {
		t.Errorf("From header %v, want the shop's name and address", m.Sender)
	}
	if !strings.Contains(m.Subject, o.Ref) {
		t.Errorf("merchant subject %q lacks the reference", m.Subject)
	}
	// Replying to the merchant's mail writes to the customer, and the reverse.
	if m.ReplyTo != "<ada@example.com>" && m.ReplyTo != "ada@example.com" {
		t.Errorf("merchant mail Reply-To %q, want the customer", m.ReplyTo)
	}
	for _, want := range []string{
		"ORDER " + o.Ref,
		"- Espresso Beans\n  2 x €12.90 = €25.80",
		"- Stoneware Mug\n  1 x €18.00 = €18.00",
		"Items: €43.80",
		"Home delivery: €5.90",
		"Total incl. VAT: €49.70",
		"CUSTOMER\nAda Lovelace\nada@example.com\n06 12 34 56 78",
		"BILLING ADDRESS\nAda Lovelace\n12 rue des Tanneurs\nBâtiment B\n69001 Lyon\nFrance",
		"DELIVERY ADDRESS\nAda Lovelace\n12 rue des Tanneurs",
		"NOTE FROM THE CUSTOMER\nRing twice",
		"Brand: Visa",
		"Expiry: 12/2030",
		"Other digits: kept with the order.",
		"\nMissing card digits (last 6): 881881\n",
	} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("merchant mail lacks %q:\n%s", want, m.Text)
		}
	}
	if link := ts.URL + "/admin/orders/" + o.Ref; !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, link) {
		t.Errorf("merchant mail lacks the link to its order, %s", link)
	}
	for _, want := range []string{o.Ref, "Espresso Beans", "€49.70", "Ada Lovelace", "Missing card digits (last 6): 881881"} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("merchant mail's HTML part lacks %q", want)
		}
	}
	// The six digits, never the stored part: the two together are the whole number.
	if strings.Contains(string(m.Raw)+m.Text+m.HTML, "4012888888") {
		t.Errorf("the merchant's mail holds the stored part of the number 4012888888")
	}

	s := shopperMail[0]
	if s.ReplyTo != "<merchant@example.com>" && s.ReplyTo != "merchant@example.com" {
		t.Errorf("shopper mail Reply-To %q, want the merchant", s.ReplyTo)
	}
	link := ts.URL + "/orders/" + o.Ref + "?token=" + o.Token
	if !strings.Contains(s.Subject, o.Ref) || !strings.Contains(s.Text, link) || !strings.Contains(s.HTML, link) {
		t.Errorf("shopper mail %q lacks the reference or the link %s:\n%s", s.Subject, link, s.Text)
	}
	for _, secret := range []string{"881881", "4012888888881881", "4012888888"} {
		if strings.Contains(string(s.Raw), secret) {
			t.Errorf("the shopper's mail contains card digits %q", secret)
		}
	}
	if m.MessageID == "" || m.MessageID == s.MessageID {
		t.Errorf("Message-IDs %q and %q, want two distinct", m.MessageID, s.MessageID)
	}
	// The link works without the shopper's cookie.
	if st, _ := ts.newShopper(t).get(strings.TrimPrefix(link, ts.URL)); st != http.StatusOK {
		t.Errorf("the mail's link: status %d", st)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM outbox WHERE status = 'sent' AND secret IS NULL`); n != 2 {
		t.Errorf("%d outbox rows sent with no secret left, want 2", n)
	}
	// Another round sends nothing more.
	if n, err := ts.app.outbox.SendDue(context.Background()); err != nil || n != 0 {
		t.Errorf("another round sent %d, %v; want 0", n, err)
	}
	if got := len(sink.messages()); got != 2 {
		t.Errorf("the SMTP server has %d messages, want 2", got)
	}
}

// With the SMTP server down, ordering and paying still work; once it is back and the
// retry is due, every mail arrives, once.
func TestMail_SMTPOutageDelaysButLosesNothing(t *testing.T) {
	clock := newCheckoutClock()
	addr := unusedLoopbackAddr(t)
	ts := startShopWith(t, shopSetup{Env: smtpEnv(t, addr), App: []func(*app){withCheckoutClock(clock), withQuickMailPoll}})

	numbers := []string{"5555555555554444", "378282246310005"}
	brands := []string{"mastercard", "amex"}
	var refs []string
	for i := range numbers {
		sh := ts.newShopper(t)
		o := placeOrder(t, ts, sh, "notebook", i+1)
		p := payByCard(t, sh, o.Ref, brands[i], numbers[i], "12/30")
		if p.Status != http.StatusSeeOther {
			t.Fatalf("card payment with SMTP down: status %d, want 303: %q", p.Status, textOf(p.Doc))
		}
		if st, doc := sh.get("/orders/" + o.Ref); st != http.StatusOK || !strings.Contains(textOf(firstNode(byTestID(doc, "payment-state"))), "Being verified by the merchant") {
			t.Errorf("order page after paying: %d %q", st, textOf(firstNode(byTestID(doc, "payment-state"))))
		}
		refs = append(refs, o.Ref)
	}

	// The worker tried, failed, and put each mail back for later.
	waitForOutbox(t, ts, `SELECT count(*) FROM outbox WHERE status = 'queued' AND attempts >= 1 AND last_error != ''`, 4, 20*time.Second)
	if n := ts.queryInt(t, `SELECT count(*) FROM outbox`); n != 4 {
		t.Fatalf("%d mails in the outbox, want 4", n)
	}

	sink := startSMTPAt(t, addr)
	clock.advance(2 * time.Minute)
	msgs := sink.waitForMessages(t, 4, 20*time.Second)
	waitForOutbox(t, ts, `SELECT count(*) FROM outbox WHERE status = 'sent'`, 4, 20*time.Second)

	// Later rounds send nothing again.
	clock.advance(3 * time.Hour)
	if n, err := ts.app.outbox.SendDue(context.Background()); err != nil || n != 0 {
		t.Errorf("a later round sent %d, %v; want 0", n, err)
	}
	msgs = sink.messages()
	seen := map[string]int{}
	for _, m := range msgs {
		seen[strings.Join(m.To, ",")+" "+m.Subject]++
	}
	for _, ref := range refs {
		for _, to := range []string{"merchant@example.com", "ada@example.com"} {
			n := 0
			for k, c := range seen {
				if strings.HasPrefix(k, to+" ") && strings.Contains(k, ref) {
					n += c
				}
			}
			if n != 1 {
				t.Errorf("%d mails to %s about %s, want 1", n, to, ref)
			}
		}
	}
	if len(msgs) != 4 {
		t.Errorf("the SMTP server has %d messages, want 4: %v", len(msgs), seen)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM outbox WHERE secret IS NOT NULL`); n != 0 {
		t.Errorf("%d outbox rows still hold sealed digits after delivery", n)
	}
}

// waitForOutbox polls query (a count) until it reaches want, or fails at the deadline.
func waitForOutbox(t *testing.T, ts *testShop, query string, want int64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var n int64
		err := ts.store().R.QueryRow(query).Scan(&n)
		if err == nil && n >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v, %q = %d (err %v), want %d", within, query, n, err, want)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// The order form prices each delivery method for this cart: home delivery is free from
// €60 of items, and says so once the cart gets there, as the summary and the order do.
func TestCheckout_DeliveryChoicesPricedForTheCart(t *testing.T) {
	ts := startShop(t)
	sh := ts.newShopper(t)
	sh.addToCart("espresso-beans", 1) // €12.90
	_, doc := sh.get("/checkout")
	if got := testIDText(doc, "delivery-price-home"); got != "€5.90" {
		t.Errorf("home delivery for €12.90 of items shows %q, want €5.90", got)
	}
	// Its threshold, as the merchant set it (the description is the merchant's text).
	if got := testIDText(doc, "delivery-free-from-home"); got != "(free from €60.00 of items)" {
		t.Errorf("home delivery says %q, want its threshold, €60.00", got)
	}
	sh.addToCart("espresso-beans", 4) // €64.50
	_, doc = sh.get("/checkout")
	for code, want := range map[string]string{"home": "free", "express": "€12.90", "pickup": "free"} {
		if got := testIDText(doc, "delivery-price-"+code); got != want {
			t.Errorf("%s delivery for €64.50 of items shows %q, want %q", code, got, want)
		}
	}
}

// A shopper who types a card number in the order form (in the name, or in the note "for
// the courier") is told where card details go. The number comes back on no page, not
// even on the next visit to the form, and reaches neither the database nor the logs;
// the other values are kept.
func TestCheckout_CardNumberInTheOrderFormIsRefusedAndKeptNowhere(t *testing.T) {
	ts := startShop(t)
	sh := ts.newShopper(t)
	sh.addToCart("espresso-beans", 1)
	tok := openCheckout(t, sh)
	cards := distinctTestCards(t, 2)
	p := sh.submit("/checkout", tok.form(url.Values{
		"name": {cards[0].Number}, "note": {"Card: " + spaced(cards[1].Number, " ") + ", ring twice"},
	}))
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", p.Status)
	}
	for _, field := range []string{"name", "note"} {
		if msg := byTestID(p.Doc, field+"-error"); len(msg) != 1 || !strings.Contains(textOf(msg[0]), "card number") {
			t.Errorf("no card-number message beside %s", field)
		}
	}
	for _, page := range []*page{p, sh.getPage("/checkout")} {
		for _, c := range cards {
			for _, s := range []string{c.Number, spaced(c.Number, " "), spaced(c.Number, "-")} {
				if bytes.Contains(page.Body, []byte(s)) {
					t.Errorf("a page shows the card number %q", s)
				}
			}
		}
		if v, _ := controlValue(byTestID(page.Doc, "checkout-form")[0], "email"); v != "ada@example.com" {
			t.Errorf("e-mail came back as %q, want it kept", v)
		}
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM orders`); n != 0 {
		t.Errorf("%d orders placed", n)
	}
	searchForCards(t, ts, cards, "after the refused order form")
}

// An order whose time to pay has run out is expired when its shopper next opens it,
// before the sweep comes by: the page says so without "Pay now", the card form is not
// offered, a card posted anyway is not taken, and the stock is back.
func TestOrderExpiry_PastItsDeadlineTheShopperCannotPay(t *testing.T) {
	clock := newCheckoutClock()
	ts := startShopWith(t, shopSetup{Env: map[string]string{"SHOP_PAYMENT_MINUTES": "20"},
		App: []func(*app){withCheckoutClock(clock)}})
	sh := ts.newShopper(t)
	sh.addToCart("macarons", 3)
	o := checkoutCart(t, ts, sh)
	stock := func() int64 { return ts.queryInt(t, `SELECT stock FROM products WHERE slug = 'macarons'`) }
	if got := stock(); got != 2 {
		t.Fatalf("stock after ordering: %d, want 2", got)
	}

	clock.advance(21 * time.Minute) // past the deadline; no sweep has run
	p := sh.getPage("/orders/" + o.Ref)
	text := textOf(p.Doc)
	if p.Status != http.StatusOK || !strings.Contains(text, "not paid in time") || strings.Contains(text, "Pay now") {
		t.Errorf("order page past its deadline: status %d, says %q; want it expired, without Pay now", p.Status, text)
	}
	if p := sh.getPage("/orders/" + o.Ref + "/pay/card"); p.Status != http.StatusSeeOther || len(byTestID(p.Doc, "card-form")) != 0 {
		t.Errorf("the card form of an expired order: status %d, %d card forms; want a redirect to the order", p.Status, len(byTestID(p.Doc, "card-form")))
	}
	if p := sh.submit("/orders/"+o.Ref+"/pay/card", url.Values{"brand": {"visa"}, "number": {"4012888888881881"},
		"expiry": {"12/30"}}); p.Status == http.StatusSeeOther && strings.Contains(p.Header.Get("Location"), "/pay") {
		t.Errorf("a card posted for an expired order: status %d to %s", p.Status, p.Header.Get("Location"))
	}
	if got := ts.order(t, o.Ref); got.PaymentState != "expired" || !got.StockReturned {
		t.Errorf("order state %q, stock returned %v; want expired and true", got.PaymentState, got.StockReturned)
	}
	if got := stock(); got != 5 {
		t.Errorf("stock after expiry: %d, want 5", got)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM card_payments WHERE order_id = ?`, o.ID); n != 0 {
		t.Errorf("%d card payments recorded for an expired order", n)
	}
}

// A tab whose form left before the other tab's order came back still carries the
// visitor id the order was placed by: it is sent to the order, and its answer writes no
// cookie, so the new owner's cookie the first tab got still opens the order.
func TestCheckout_TabSentBeforeTheOrderCameBackKeepsTheOwnersCookie(t *testing.T) {
	ts := startShop(t)
	sh := ts.newShopper(t)
	sh.addToCart("honey", 1)
	first, second, third := openCheckout(t, sh), openCheckout(t, sh), openCheckout(t, sh)
	before := sh.clone(t) // the second tab's request, as it left: the cookie before placing
	ref, err := payRedirectRef(sh.submit("/checkout", first.form(nil)))
	if err != nil {
		t.Fatalf("the first tab: %v", err)
	}
	p := before.submit("/checkout", second.form(nil))
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/orders/"+ref {
		t.Fatalf("the late tab: status %d to %q, want 303 to /orders/%s", p.Status, p.Header.Get("Location"), ref)
	}
	for _, c := range p.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "shop_visitor=") {
			t.Errorf("the late tab's answer rewrites the visitor cookie (%.40s…): the owner's would be lost", c)
		}
	}
	if st, _ := before.get("/orders/" + ref); st != http.StatusNotFound {
		t.Errorf("the id the order was placed by opens it: %d, want 404 (it may be a planted one)", st)
	}
	if st, _ := sh.get("/orders/" + ref); st != http.StatusOK {
		t.Errorf("the owner's cookie no longer opens the order: %d", st)
	}
	// Its form incomplete as well: still to the order, still no cookie written (the
	// form is not kept, which would write it).
	incomplete := third.form(nil)
	incomplete.Del("phone")
	p = before.clone(t).submit("/checkout", incomplete)
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/orders/"+ref {
		t.Errorf("a late incomplete form: status %d to %q, want 303 to /orders/%s", p.Status, p.Header.Get("Location"), ref)
	}
	for _, c := range p.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "shop_visitor=") {
			t.Errorf("a late incomplete form's answer rewrites the visitor cookie")
		}
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM orders`); n != 1 {
		t.Errorf("%d orders, want 1", n)
	}
}

// The order form open in several tabs: another, sent after the first placed the order
// (complete or not), lands on that order with a word of why, not on an error page or
// the empty cart, and places nothing.
func TestCheckout_SecondTabLandsOnTheOrderTheFirstPlaced(t *testing.T) {
	ts := startShop(t)
	sh := ts.newShopper(t)
	sh.addToCart("honey", 1)
	first, second, third := openCheckout(t, sh), openCheckout(t, sh), openCheckout(t, sh)
	ref, err := payRedirectRef(sh.submit("/checkout", first.form(nil)))
	if err != nil {
		t.Fatalf("the first tab: %v", err)
	}
	p := sh.submit("/checkout", second.form(nil))
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/orders/"+ref {
		t.Fatalf("the second tab: status %d to %q, want 303 to /orders/%s", p.Status, p.Header.Get("Location"), ref)
	}
	if got := textOf(sh.getPage("/orders/" + ref).Doc); !strings.Contains(got, "Your cart is empty: your order "+ref+" was placed already.") {
		t.Errorf("the order page after the second tab does not say why: %q", got)
	}
	// A third tab's form, and one left incomplete at that: the same.
	incomplete := third.form(nil)
	incomplete.Del("phone")
	if p := sh.submit("/checkout", incomplete); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/orders/"+ref {
		t.Errorf("an incomplete form from another tab: status %d to %q, want 303 to /orders/%s", p.Status, p.Header.Get("Location"), ref)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM orders`); n != 1 {
		t.Errorf("%d orders, want 1", n)
	}
}

// Each label of the order form names one field: "Postcode" is the billing one, and
// the delivery address's are "Delivery postcode" and so on; each label points at a
// field that exists.
func TestCheckout_EachLabelNamesOneField(t *testing.T) {
	ts := startShop(t)
	sh := ts.newShopper(t)
	sh.addToCart("honey", 1)
	p := sh.getPage("/checkout")
	seen := map[string]bool{}
	for _, l := range findAll(p.Doc, func(n *html.Node) bool { return isElem(n, "label") }) {
		text := strings.Join(strings.Fields(textOf(l)), " ")
		if seen[text] {
			t.Errorf("two labels read %q", text)
		}
		seen[text] = true
		if id, ok := attr(l, "for"); ok && byID(p.Doc, id) == nil {
			t.Errorf("label %q points at no field (%s)", text, id)
		}
	}
	for _, want := range []string{"Address", "Postcode", "City", "Country", "Delivery address", "Delivery postcode", "Delivery city", "Delivery country"} {
		if !seen[want] {
			t.Errorf("no label %q", want)
		}
	}
}

// A shopper who leaves the payment page finds the way back to the order, unpaid and
// still reserved: from the cart ("Pay now") and from the menu's Order link. Paid, or
// for another visitor, nothing is offered.
func TestCheckout_AnUnpaidOrderIsOfferedFromTheCartAndTheMenu(t *testing.T) {
	ts := startShop(t)
	sh := ts.newShopper(t)
	o := placeOrder(t, ts, sh, "honey", 1)
	sh.get("/")
	p := sh.getPage("/cart")
	if got := visitorCookieValues(t, ts, sh)["order"]; got != o.Ref {
		t.Fatalf("the cookie holds order %v, want %s", got, o.Ref)
	}
	pending := adminFirst(byTestID(p.Doc, "pending-order"))
	if pending == nil || !strings.Contains(textOf(pending), o.Ref) {
		t.Fatalf("the cart does not offer the unpaid order %s: %q", o.Ref, textOf(p.Doc))
	}
	link := adminFirst(findAll(pending, func(n *html.Node) bool { return isElem(n, "a") }))
	if href, _ := attr(link, "href"); textOf(link) != "Pay now" || href != "/orders/"+o.Ref+"/pay" {
		t.Errorf("the cart's link reads %q to %q, want Pay now to the payment page", textOf(link), href)
	}
	if p := sh.getPage("/checkout"); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/orders/"+o.Ref {
		t.Errorf("the menu's Order with an empty cart: %d to %q, want the unpaid order", p.Status, p.Header.Get("Location"))
	}
	if p := ts.newShopper(t).getPage("/cart"); len(byTestID(p.Doc, "pending-order")) != 0 {
		t.Error("another visitor is offered the order")
	}
	payByCard(t, sh, o.Ref, "visa", "4012 8888 8888 1881", "12/30")
	if p := sh.getPage("/cart"); len(byTestID(p.Doc, "pending-order")) != 0 {
		t.Error("a paid order is still offered for payment")
	}
	if p := sh.getPage("/checkout"); p.Header.Get("Location") != "/cart" {
		t.Errorf("the menu's Order after payment leads to %q, want the empty cart", p.Header.Get("Location"))
	}
	// Once paid, the cookie forgets the order: pages stop looking it up.
	if got := visitorCookieValues(t, ts, sh)["order"]; got != nil {
		t.Errorf("after payment the cookie still holds the order %v", got)
	}
}

// visitorCookieValues decodes the shopper's visitor cookie with the shop's keys.
func visitorCookieValues(t *testing.T, ts *testShop, sh *shopper) map[any]any {
	t.Helper()
	values := map[any]any{}
	for _, c := range sh.jar.Cookies(ts.url(t, "/")) {
		if c.Name == "shop_visitor" {
			if err := ts.adminCodec(t).Decode(c.Name, c.Value, &values); err != nil {
				t.Fatalf("decode the visitor cookie: %v", err)
			}
			return values
		}
	}
	t.Fatal("no visitor cookie")
	return nil
}

// A pick-up order says where to collect it, as the method described it when the order
// was placed: a later change to the method leaves the placed order's page as it was.
func TestCheckout_PickUpOrderSaysWhereToCollectIt(t *testing.T) {
	ts := startShop(t)
	sh := ts.newShopper(t)
	sh.addToCart("honey", 1)
	tok := openCheckout(t, sh)
	ref, err := payRedirectRef(sh.submit("/checkout", tok.form(url.Values{"delivery": {"pickup"}})))
	if err != nil {
		t.Fatalf("POST /checkout with pick-up: %v", err)
	}
	want := ts.queryText(t, `SELECT description FROM delivery_methods WHERE code = 'pickup'`)
	if want == "" {
		t.Fatal("the demo's pick-up method has no description")
	}
	ts.exec(t, `UPDATE delivery_methods SET description = 'Somewhere else now.' WHERE code = 'pickup'`)
	_, doc := sh.get("/orders/" + ref)
	if got := testIDText(doc, "pick-up"); got != want {
		t.Errorf("the pick-up order's page says %q, want %q", got, want)
	}
	if strings.Contains(textOf(doc), "Delivery address") {
		t.Error("a pick-up order's page shows a delivery address")
	}
}

// An order that was not paid in time leaves the shopper a way forward: "Order these
// items again" puts its items back in the cart (within today's stock) and its details
// in the order form; an order still awaiting payment is to be paid, not ordered twice.
func TestOrderPage_OrderTheItemsAgain(t *testing.T) {
	ts := startShop(t)
	sh := ts.newShopper(t)
	o := placeOrder(t, ts, sh, "honey", 2)
	if _, doc := sh.get("/orders/" + o.Ref); len(byTestID(doc, "order-again")) != 0 {
		t.Error("an order awaiting payment offers to order it again")
	}
	if p := sh.submit("/orders/"+o.Ref+"/again", nil); p.Status != http.StatusConflict {
		t.Errorf("ordering again an order awaiting payment: %d, want 409", p.Status)
	}
	if lines := sh.cartLines(); len(lines) != 0 {
		t.Fatalf("the refused request filled the cart: %v", lines)
	}
	ts.exec(t, `UPDATE orders SET expires_at = ? WHERE id = ?`, time.Now().Add(-time.Minute).UTC(), o.ID)
	ts.mu.Lock()
	orders := ts.app.orders
	ts.mu.Unlock()
	if _, err := orders.ExpireDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, doc := sh.get("/orders/" + o.Ref)
	if len(byTestID(doc, "order-again")) != 1 {
		t.Fatalf("the expired order's page offers no way forward: %q", textOf(doc))
	}
	p := sh.submit("/orders/"+o.Ref+"/again", nil)
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/cart" {
		t.Fatalf("order again: %d to %q, want 303 to /cart", p.Status, p.Header.Get("Location"))
	}
	if lines := sh.cartLines(); len(lines) != 1 {
		t.Errorf("the cart after ordering again: %v, want the honey", lines)
	}
	// Sent twice (a double click without script): the cart holds the order's 2, not 4.
	sh.submit("/orders/"+o.Ref+"/again", nil)
	honey := fmt.Sprint(ts.productID(t, "honey"))
	if got := sh.cartLines()[honey]; got != "2" {
		t.Errorf("the cart holds %q honey after ordering again twice, want 2", got)
	}
	form := sh.getPage("/checkout")
	f := byTestID(form.Doc, "checkout-form")
	if len(f) != 1 {
		t.Fatalf("no order form: %d", form.Status)
	}
	for name, want := range map[string]string{"email": validOrderForm().Get("email"), "billing_city": "Lyon", "delivery": "home"} {
		if got, _ := controlValue(f[0], name); got != want {
			t.Errorf("the order form's %s is %q, want %q as the order had it", name, got, want)
		}
	}
	if got, _ := controlValue(f[0], "terms"); got != "" {
		t.Error("the terms are ticked for the shopper: they are accepted again on every order")
	}
}
