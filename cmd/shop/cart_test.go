package main

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"shop/store"
)

func TestCartPage_AddUpdateRemove(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	id := strconv.FormatInt(shop.productID(t, "espresso-beans"), 10)

	st, doc := sh.get("/cart")
	if st != http.StatusOK || len(byTestID(doc, "cart-empty")) != 1 {
		t.Fatalf("a new visitor's cart: status %d, want 200 and the empty-cart message", st)
	}
	if got := cartCount(t, doc); got != "0" {
		t.Fatalf("header count on an empty cart = %q, want 0", got)
	}

	// Add from the product page: back to the product page with a flash and the new count.
	sh.get("/products/espresso-beans")
	p := sh.submit("/cart/add", url.Values{"product_id": {id}, "quantity": {"2"}, "from": {"product"}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/products/espresso-beans" {
		t.Fatalf("add: status %d Location %q, want 303 to the product page", p.Status, p.Header.Get("Location"))
	}
	st, doc = sh.get("/products/espresso-beans")
	if st != http.StatusOK {
		t.Fatalf("product page after add: status %d", st)
	}
	if got := cartCount(t, doc); got != "2" {
		t.Errorf("header count after adding 2 = %q, want 2", got)
	}
	if f := byTestID(doc, "flash"); len(f) != 1 || !strings.Contains(textOf(f[0]), "Espresso Beans") {
		t.Errorf("want one flash naming the product, got %d", len(f))
	}
	st, doc = sh.get("/cart")
	if st != http.StatusOK {
		t.Fatalf("GET /cart: %d", st)
	}
	if got := linesOf(doc); len(got) != 1 || got[id] != "2" {
		t.Fatalf("cart lines = %v, want product %s × 2", got, id)
	}
	if got := textOf(byTestID(doc, "line-total")[0]); got != "€25.80" {
		t.Errorf("line total = %q, want €25.80 (2 × €12.90)", got)
	}
	if got := textOf(byTestID(doc, "cart-total")[0]); got != "€25.80" {
		t.Errorf("cart total = %q, want €25.80", got)
	}

	// Add again from a grid (no "from"): lands on the cart, quantities add up.
	p = sh.submit("/cart/add", url.Values{"product_id": {id}, "quantity": {"1"}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/cart" {
		t.Fatalf("add from grid: status %d Location %q, want 303 to /cart", p.Status, p.Header.Get("Location"))
	}
	if got := sh.cartLines(); got[id] != "3" {
		t.Fatalf("after adding 1 more: lines %v, want 3", got)
	}

	// Update.
	p = sh.submit("/cart/update", url.Values{"product_id": {id}, "quantity": {"5"}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/cart" {
		t.Fatalf("update: status %d Location %q, want 303 to /cart", p.Status, p.Header.Get("Location"))
	}
	st, doc = sh.get("/cart")
	if got := linesOf(doc); got[id] != "5" {
		t.Fatalf("after update to 5: lines %v", got)
	}
	if got := cartCount(t, doc); got != "5" {
		t.Errorf("header count = %q, want 5", got)
	}
	if got := textOf(byTestID(doc, "line-total")[0]); got != "€64.50" {
		t.Errorf("line total = %q, want €64.50", got)
	}

	// Remove.
	p = sh.submit("/cart/remove", url.Values{"product_id": {id}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/cart" {
		t.Fatalf("remove: status %d Location %q, want 303 to /cart", p.Status, p.Header.Get("Location"))
	}
	st, doc = sh.get("/cart")
	if len(byTestID(doc, "cart-empty")) != 1 || len(linesOf(doc)) != 0 {
		t.Errorf("after remove the cart should be empty, lines %v", linesOf(doc))
	}
	if got := cartCount(t, doc); got != "0" {
		t.Errorf("header count after remove = %q, want 0", got)
	}
	flashes := func(doc *html.Node) (out []string) {
		for _, n := range byTestID(doc, "flash") {
			out = append(out, textOf(n))
		}
		return out
	}
	if got := flashes(doc); len(got) != 1 || got[0] != "The item was removed from your cart." {
		t.Errorf("after remove the page says %q", got)
	}

	// Removing it again (a second click, an old tab) says it was not there.
	sh.submit("/cart/remove", url.Values{"product_id": {id}})
	if _, doc = sh.get("/cart"); !slices.Equal(flashes(doc), []string{"This item was not in your cart (any more)."}) {
		t.Errorf("after a second remove the page says %q", flashes(doc))
	}
}

// checkFieldError asserts that the input named quantity inside scope is marked invalid
// and described by the one quantity-error message, which sits in the same form.
func checkFieldError(t *testing.T, doc *html.Node, scope *html.Node, typed string) {
	t.Helper()
	errs := byTestID(doc, "quantity-error")
	if len(errs) != 1 {
		t.Fatalf("want one quantity-error message, found %d", len(errs))
	}
	if textOf(errs[0]) == "" {
		t.Errorf("the quantity error is empty")
	}
	inputs := findAll(scope, func(n *html.Node) bool { return isElem(n, "input") && attrIs(n, "name", "quantity") })
	if len(inputs) != 1 {
		t.Fatalf("want one quantity input, found %d", len(inputs))
	}
	in := inputs[0]
	if !attrIs(in, "aria-invalid", "true") {
		t.Errorf("quantity input lacks aria-invalid=true")
	}
	errID, _ := attr(errs[0], "id")
	if desc, _ := attr(in, "aria-describedby"); errID == "" || desc != errID {
		t.Errorf("aria-describedby = %q, want the message's id %q", desc, errID)
	}
	if ancestor(errs[0], "form") != ancestor(in, "form") {
		t.Errorf("the message is not in the same form as its field")
	}
	if v, _ := attr(in, "value"); v != typed {
		t.Errorf("the field shows %q, want what was typed, %q", v, typed)
	}
}

func TestCartAdd_RejectsBadQuantityBesideTheField(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	sh.addToCart("espresso-beans", 1)
	honey := strconv.FormatInt(shop.productID(t, "honey"), 10)
	tests := []struct {
		qty, wantMsg string
	}{
		{"0", "at least 1"},
		{"-1", "at least 1"},
		{"abc", "whole number"},
		{"1.5", "whole number"},
		{"", "Enter a quantity"},
		{"99999999999999999999", "at most 999"},
	}
	for _, tt := range tests {
		t.Run(tt.qty, func(t *testing.T) {
			sh.get("/products/honey")
			p := sh.submit("/cart/add", url.Values{"product_id": {honey}, "quantity": {tt.qty}, "from": {"product"}})
			if p.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", p.Status)
			}
			forms := formsPostingTo(p.Doc, "/cart/add")
			if len(forms) != 1 {
				t.Fatalf("the product page should come back with its form, found %d forms", len(forms))
			}
			checkFieldError(t, p.Doc, forms[0], tt.qty)
			if msg := textOf(byTestID(p.Doc, "quantity-error")[0]); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message %q does not say %q", msg, tt.wantMsg)
			}
			if got := cartCount(t, p.Doc); got != "1" {
				t.Errorf("header count = %q, want 1 (unchanged)", got)
			}
			if got := sh.cartLines(); len(got) != 1 || got[honey] != "" {
				t.Errorf("cart changed: %v", got)
			}
		})
	}
}

// More than the stock, added or set, puts the stock in the cart and says so.
func TestCart_OverStockIsCappedWithAMessage(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	honey := strconv.FormatInt(shop.productID(t, "honey"), 10) // 2 in stock
	const want = "Only 2 left in stock: your cart now holds 2 × Lavender Honey."
	for _, tt := range []struct{ path, from, landing string }{
		{"/cart/add", "product", "/products/honey"},
		{"/cart/update", "", "/cart"},
	} {
		sh.get(tt.landing)
		p := sh.submit(tt.path, url.Values{"product_id": {honey}, "quantity": {"5"}, "from": {tt.from}})
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != tt.landing {
			t.Fatalf("%s 5: %d to %q, want 303 to %s", tt.path, p.Status, p.Header.Get("Location"), tt.landing)
		}
		doc := sh.getPage(tt.landing).Doc
		if got := testIDText(doc, "flash"); got != want {
			t.Errorf("%s 5: message %q, want %q", tt.path, got, want)
		}
		// Not what was asked for: an alert, not a confirmation.
		if !attrIs(adminFirst(byTestID(doc, "flash")), "role", "alert") {
			t.Errorf("%s 5: the capped message is not shown as an alert", tt.path)
		}
		if got := sh.cartLines(); got[honey] != "2" {
			t.Errorf("%s 5: cart lines = %v, want honey × 2", tt.path, got)
		}
	}
	// What was asked for: a confirmation (role status).
	sh.get("/products/teapot")
	sh.submit("/cart/add", url.Values{"product_id": {strconv.FormatInt(shop.productID(t, "teapot"), 10)}, "quantity": {"1"}, "from": {"product"}})
	if f := adminFirst(byTestID(sh.getPage("/products/teapot").Doc, "flash")); f == nil || !attrIs(f, "role", "status") {
		t.Error("an item added as asked is not confirmed with role status")
	}
}

func TestCartAdd_OverStockCountsWhatIsInTheCart(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	sh.addToCart("honey", 2) // all the stock
	honey := strconv.FormatInt(shop.productID(t, "honey"), 10)
	sh.get("/products/honey")
	p := sh.submit("/cart/add", url.Values{"product_id": {honey}, "quantity": {"1"}, "from": {"product"}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("adding a third honey: status %d, want 422", p.Status)
	}
	checkFieldError(t, p.Doc, formsPostingTo(p.Doc, "/cart/add")[0], "1")
	if got := sh.cartLines(); got[honey] != "2" {
		t.Errorf("cart lines = %v, want honey still × 2", got)
	}
}

func TestCartAdd_RefusesWhatIsNotForSale(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	shop.exec(t, `UPDATE products SET published = 0 WHERE slug = 'mug'`)
	tests := []struct {
		name, productID string
		want            int
	}{
		{"sold out", strconv.FormatInt(shop.productID(t, "kettle"), 10), http.StatusUnprocessableEntity},
		{"unpublished", strconv.FormatInt(shop.productID(t, "mug"), 10), http.StatusNotFound},
		{"unknown id", "999999", http.StatusNotFound},
		{"not a number", "abc", http.StatusNotFound},
		{"missing", "", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sh.get("/")
			p := sh.submit("/cart/add", url.Values{"product_id": {tt.productID}, "quantity": {"1"}})
			if p.Status != tt.want {
				t.Errorf("status %d, want %d", p.Status, tt.want)
			}
			if tt.want == http.StatusNotFound && len(byTestID(p.Doc, "error-page")) != 1 {
				t.Errorf("want the error page")
			}
			if got := sh.cartLines(); len(got) != 0 {
				t.Errorf("cart changed: %v", got)
			}
		})
	}
	// A bad quantity for a draft does not show the draft's page, as it would for a
	// product on sale: ids are sequential, and drafts are the merchant's.
	sh.get("/")
	p := sh.submit("/cart/add", url.Values{"product_id": {strconv.FormatInt(shop.productID(t, "mug"), 10)}, "quantity": {"abc"}})
	if p.Status != http.StatusNotFound || len(byTestID(p.Doc, "error-page")) != 1 || len(formsPostingTo(p.Doc, "/cart/add")) != 0 {
		t.Errorf("draft with a bad quantity: status %d, want the 404 error page without the product's form", p.Status)
	}
}

// A card number typed as a quantity is refused like any bad quantity, and not written
// back into the field: no page shows one.
func TestCart_CardNumberAsQuantityIsNotShownBack(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	sh.addToCart("honey", 1)
	honey := strconv.FormatInt(shop.productID(t, "honey"), 10)
	const number = "4242424242424242"
	for _, path := range []string{"/cart/add", "/cart/update"} {
		sh.get("/cart")
		p := sh.submit(path, url.Values{"product_id": {honey}, "quantity": {number}, "from": {"product"}})
		if p.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", path, p.Status)
		}
		if bytes.Contains(p.Body, []byte(number)) {
			t.Errorf("%s: the page shows the card number back", path)
		}
	}
}

func TestCartUpdate_RejectsBadQuantityBesideTheLine(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	sh.addToCart("espresso-beans", 1)
	sh.addToCart("honey", 1)
	honey := strconv.FormatInt(shop.productID(t, "honey"), 10)
	tests := []struct {
		qty, wantMsg string
	}{
		{"0", "at least 1"},
		{"-1", "at least 1"},
		{"abc", "whole number"},
		{"99999999999999999999", "at most 999"},
	}
	for _, tt := range tests {
		t.Run(tt.qty, func(t *testing.T) {
			sh.get("/cart")
			p := sh.submit("/cart/update", url.Values{"product_id": {honey}, "quantity": {tt.qty}})
			if p.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", p.Status)
			}
			var line *html.Node
			for _, tr := range byTestID(p.Doc, "cart-line") {
				if attrIs(tr, "data-product-id", honey) {
					line = tr
				}
			}
			if line == nil {
				t.Fatalf("the honey line is missing from the re-rendered cart")
			}
			var updateForm *html.Node
			for _, f := range formsPostingTo(line, "/cart/update") {
				updateForm = f
			}
			checkFieldError(t, p.Doc, updateForm, tt.qty)
			if msg := textOf(byTestID(p.Doc, "quantity-error")[0]); !strings.Contains(msg, tt.wantMsg) || strings.Contains(msg, "already holds") {
				t.Errorf("message %q does not say %q, or speaks of adding", msg, tt.wantMsg)
			}
			if got := shop.queryInt(t, `SELECT quantity FROM cart_lines WHERE product_id = ?`, honey); got != 1 {
				t.Errorf("honey quantity in the database = %d, want 1 (unchanged)", got)
			}
			if got := cartCount(t, p.Doc); got != "2" {
				t.Errorf("header count = %q, want 2", got)
			}
		})
	}
}

// An update of a line the cart no longer holds (another tab removed it) or of a product
// no longer sold goes back to the cart, which says why, and changes nothing: not a
// "page not found" that loses the cart from view.
func TestCartUpdate_LineNotInCartOrNoLongerSoldGoesBackToTheCart(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	sh.get("/") // the empty cart page has no form to take a token from
	p := sh.submit("/cart/update", url.Values{"product_id": {strconv.FormatInt(shop.productID(t, "mug"), 10)}, "quantity": {"2"}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/cart" {
		t.Errorf("an update of a line not in the cart: status %d to %q, want 303 to /cart", p.Status, p.Header.Get("Location"))
	}
	if got := textOf(sh.getPage("/cart").Doc); !strings.Contains(got, "This product is not in your cart. Your cart was not changed.") {
		t.Errorf("the cart page after it does not say why: %q", got)
	}
	if n := shop.queryInt(t, `SELECT count(*) FROM carts`); n != 0 {
		t.Errorf("an update of nothing created %d carts", n)
	}

	sh.addToCart("mug", 1)
	sh.addToCart("honey", 2)
	shop.exec(t, `UPDATE products SET published = 0 WHERE slug = 'mug'`)
	p = sh.submit("/cart/update", url.Values{"product_id": {strconv.FormatInt(shop.productID(t, "mug"), 10)}, "quantity": {"3"}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/cart" {
		t.Errorf("an update of a product no longer sold: status %d to %q, want 303 to /cart", p.Status, p.Header.Get("Location"))
	}
	if got := textOf(sh.getPage("/cart").Doc); !strings.Contains(got, "This product is no longer sold. Your cart was not changed.") || !strings.Contains(got, "Honey") {
		t.Errorf("the cart page after it: %q; want why, and the other line", got)
	}
	if n := shop.queryInt(t, `SELECT quantity FROM cart_lines l JOIN products p ON p.id = l.product_id WHERE p.slug = 'mug'`); n != 1 {
		t.Errorf("the unpublished line's quantity is %d, want 1 unchanged", n)
	}
}

func TestCart_PostWithoutValidCSRFTokenChangesNothing(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	sh.addToCart("espresso-beans", 1)
	id := strconv.FormatInt(shop.productID(t, "espresso-beans"), 10)
	tests := []struct {
		name   string
		path   string
		form   url.Values
		header http.Header
	}{
		{"add without token", "/cart/add", url.Values{"product_id": {id}, "quantity": {"1"}}, nil},
		{"add with a wrong token", "/cart/add", url.Values{"product_id": {id}, "quantity": {"1"}, "_csrf": {"forged"}}, nil},
		{"add cross-site", "/cart/add", url.Values{"product_id": {id}, "quantity": {"1"}}, http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		{"update without token", "/cart/update", url.Values{"product_id": {id}, "quantity": {"7"}}, nil},
		{"remove without token", "/cart/remove", url.Values{"product_id": {id}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := sh.fetch(http.MethodPost, tt.path, tt.form, tt.header)
			if p.Status != http.StatusForbidden && p.Status != http.StatusBadRequest {
				t.Errorf("status %d, want 403 or 400", p.Status)
			}
			if len(byTestID(p.Doc, "error-page")) != 1 {
				t.Errorf("want the error page")
			}
			if got := sh.cartLines(); len(got) != 1 || got[id] != "1" {
				t.Errorf("cart changed: %v", got)
			}
		})
	}
}

func TestCartAdd_IgnoresPricesSentInTheForm(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	p, err := shop.store().PublishedProductBySlug(t.Context(), "teapot")
	if err != nil {
		t.Fatal(err)
	}
	sh.get("/products/teapot")
	r := sh.submit("/cart/add", url.Values{
		"product_id": {strconv.FormatInt(p.ID, 10)}, "quantity": {"2"},
		"price_cents": {"1"}, "price": {"0.01"}, "total": {"1"}, "unit_price": {"0"}, "amount": {"1"},
	})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("add: status %d", r.Status)
	}
	_, doc := sh.get("/cart")
	want := store.FormatCents(2 * p.PriceCents)
	if got := textOf(byTestID(doc, "cart-total")[0]); got != want {
		t.Errorf("cart total = %q, want %q from the catalogue", got, want)
	}
	if got := textOf(byTestID(doc, "line-total")[0]); got != want {
		t.Errorf("line total = %q, want %q", got, want)
	}
}

func TestCartPage_RecomputesFromTheCatalogue(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	sh.addToCart("espresso-beans", 2)
	sh.addToCart("teapot", 1)

	shop.exec(t, `UPDATE products SET price_cents = 1000 WHERE slug = 'espresso-beans'`)
	_, doc := sh.get("/cart")
	if got := textOf(byTestID(doc, "cart-total")[0]); got != "€69.00" {
		t.Errorf("cart total after a price change = %q, want €69.00 (2 × €10.00 + €49.00)", got)
	}
	if n := len(byTestID(doc, "line-warning")); n != 0 {
		t.Errorf("%d warnings on a cart that can be ordered", n)
	}

	shop.exec(t, `UPDATE products SET published = 0 WHERE slug = 'teapot'`)
	shop.exec(t, `UPDATE products SET stock = 1 WHERE slug = 'espresso-beans'`)
	_, doc = sh.get("/cart")
	if n := len(byTestID(doc, "line-warning")); n != 2 {
		t.Errorf("want a warning on each of the 2 lines, got %d", n)
	}
	if n := len(byTestID(doc, "cart-problem")); n != 1 {
		t.Errorf("want the cart-level problem message, got %d", n)
	}
	// What is no longer for sale stays listed, to remove, but is not counted, changed or
	// linked to its page, now gone.
	if got := textOf(byTestID(doc, "cart-total")[0]); got != "€20.00" {
		t.Errorf("cart total with the teapot unpublished = %q, want €20.00 (the beans alone)", got)
	}
	teapot := strconv.FormatInt(shop.productID(t, "teapot"), 10)
	for _, tr := range byTestID(doc, "cart-line") {
		if !attrIs(tr, "data-product-id", teapot) {
			continue
		}
		if n := len(findAll(tr, func(n *html.Node) bool { return isElem(n, "input") && attrIs(n, "name", "quantity") })); n != 0 {
			t.Error("the unpublished line offers a quantity to change")
		}
		if n := len(findAll(tr, func(n *html.Node) bool { return isElem(n, "a") })); n != 0 {
			t.Error("the unpublished line links to its page")
		}
		if got := testIDText(tr, "line-total"); got != "—" {
			t.Errorf("the unpublished line's total reads %q", got)
		}
	}
	if got := sh.cartLines(); got[teapot] != "1" {
		t.Errorf("cart lines = %v, want the teapot still listed", got)
	}
}

func TestCart_SurvivesRestart(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	sh.addToCart("espresso-beans", 3)
	sh.addToCart("honey", 1)
	before := sh.cartLines()
	if len(before) != 2 {
		t.Fatalf("cart before restart: %v", before)
	}

	shop.restart(t)

	st, doc := sh.get("/cart")
	if st != http.StatusOK {
		t.Fatalf("GET /cart after restart: %d", st)
	}
	after := linesOf(doc)
	if len(after) != len(before) {
		t.Fatalf("cart after restart = %v, before = %v", after, before)
	}
	for id, q := range before {
		if after[id] != q {
			t.Errorf("line %s: %q after restart, %q before", id, after[id], q)
		}
	}
	if got := cartCount(t, doc); got != "4" {
		t.Errorf("header count after restart = %q, want 4", got)
	}
	// And the demo catalogue was not seeded a second time.
	if n := shop.queryInt(t, `SELECT count(*) FROM products WHERE slug = 'espresso-beans'`); n != 1 {
		t.Errorf("%d espresso products after restart", n)
	}
}

// The cart page and the order form read the cart anyway and show its count from it: the
// header sums the lines' quantities there as on every other page.
func TestHeaderCount_CartPageAndOrderFormSumTheLines(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	sh.addToCart("espresso-beans", 2)
	sh.addToCart("mug", 3)
	for _, path := range []string{"/cart", "/checkout", "/"} {
		st, doc := sh.get(path)
		if st != http.StatusOK {
			t.Fatalf("GET %s: status %d", path, st)
		}
		if got := cartCount(t, doc); got != "5" {
			t.Errorf("GET %s: header count %q, want 5", path, got)
		}
	}
}
