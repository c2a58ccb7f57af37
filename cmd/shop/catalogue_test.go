package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// cardNames lists the product names shown in a grid, in order.
func cardNames(doc *html.Node) []string {
	var out []string
	for _, card := range byTestID(doc, "product-card") {
		for _, n := range findAll(card, func(n *html.Node) bool { return n.Type == html.ElementNode && attrIs(n, "class", "name") }) {
			out = append(out, textOf(n))
		}
	}
	return out
}

func TestHome_ListsPublishedProductsOnPages(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	published := int(shop.queryInt(t, `SELECT count(*) FROM products WHERE published = 1`))
	if published <= 24 {
		t.Fatalf("the demo catalogue has %d products; this test needs more than one page", published)
	}

	st, doc := sh.get("/")
	if st != http.StatusOK {
		t.Fatalf("GET /: status %d", st)
	}
	first := cardNames(doc)
	if len(first) != 24 {
		t.Fatalf("home page shows %d product cards, want 24 (a full page)", len(first))
	}
	next := findAll(doc, func(n *html.Node) bool { return isElem(n, "a") && attrIs(n, "rel", "next") })
	if len(next) != 1 {
		t.Fatalf("home page has %d next-page links, want 1", len(next))
	}
	href, _ := attr(next[0], "href")
	st, doc = sh.get(href)
	if st != http.StatusOK {
		t.Fatalf("GET %s: status %d", href, st)
	}
	second := cardNames(doc)
	if len(first)+len(second) != published {
		t.Errorf("pages show %d + %d products, want %d in all", len(first), len(second), published)
	}
	seen := map[string]bool{}
	for _, n := range append(first, second...) {
		if seen[n] {
			t.Errorf("%q is listed twice across pages", n)
		}
		seen[n] = true
	}

	// An unpublished product leaves the listing.
	shop.exec(t, `UPDATE products SET published = 0 WHERE slug = 'espresso-beans'`)
	_, doc = sh.get("/")
	_, doc2 := sh.get(href)
	for _, n := range append(cardNames(doc), cardNames(doc2)...) {
		if n == "Espresso Beans" {
			t.Errorf("unpublished product %q is still listed", n)
		}
	}
}

func TestCategoryPage_ListsOnlyItsProducts(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	want := shop.queryInt(t, `SELECT count(*) FROM products p JOIN categories c ON c.id = p.category_id
		WHERE c.slug = 'kitchen' AND p.published = 1`)

	st, doc := sh.get("/categories/kitchen")
	if st != http.StatusOK {
		t.Fatalf("GET /categories/kitchen: status %d", st)
	}
	names := cardNames(doc)
	if int64(len(names)) != want || want == 0 {
		t.Fatalf("kitchen page lists %d products, want %d", len(names), want)
	}
	for _, n := range names {
		in := shop.queryInt(t, `SELECT count(*) FROM products p JOIN categories c ON c.id = p.category_id
			WHERE p.name = ? AND c.slug = 'kitchen'`, n)
		if in != 1 {
			t.Errorf("kitchen page lists %q, which is not in the kitchen category", n)
		}
	}
	h1 := findAll(doc, func(n *html.Node) bool { return isElem(n, "h1") })
	if len(h1) != 1 || textOf(h1[0]) != "Kitchen" {
		t.Errorf("heading = %q, want Kitchen", textOf(h1[0]))
	}
	current := findAll(doc, func(n *html.Node) bool { return isElem(n, "a") && attrIs(n, "aria-current", "page") })
	if len(current) != 1 || !attrIs(current[0], "href", "/categories/kitchen") {
		t.Errorf("the kitchen link should be the one marked aria-current=page, got %d marked", len(current))
	}

	st, doc = sh.get("/categories/no-such-category")
	if st != http.StatusNotFound || len(byTestID(doc, "error-page")) != 1 {
		t.Errorf("unknown category: status %d, error page %d; want 404 with the error page", st, len(byTestID(doc, "error-page")))
	}
}

func TestProductPage_ShowsPriceStockAndAddForm(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	tests := []struct {
		slug, price, stock string
		canAdd             bool
	}{
		{"honey", "€11.20", "Only 2 left", true},
		{"candle", "€22.00", "Only 1 left", true},
		{"espresso-beans", "€12.90", "40 left in stock", true},
		{"kettle", "€45.00", "Sold out", false},
	}
	for _, tt := range tests {
		t.Run(tt.slug, func(t *testing.T) {
			st, doc := sh.get("/products/" + tt.slug)
			if st != http.StatusOK {
				t.Fatalf("status %d", st)
			}
			price := byTestID(doc, "price")
			if len(price) != 1 || !strings.HasPrefix(textOf(price[0]), tt.price+" ") {
				t.Errorf("price = %q, want it to start with %q", textOf(price[0]), tt.price)
			}
			stock := byTestID(doc, "stock")
			if len(stock) != 1 || textOf(stock[0]) != tt.stock {
				t.Errorf("stock = %q, want %q", textOf(stock[0]), tt.stock)
			}
			forms := formsPostingTo(doc, "/cart/add")
			if tt.canAdd != (len(forms) == 1) {
				t.Errorf("add-to-cart forms: %d, want the form: %v", len(forms), tt.canAdd)
			}
			if tt.canAdd {
				id, _ := attr(findAll(forms[0], func(n *html.Node) bool { return attrIs(n, "name", "product_id") })[0], "value")
				if want := shop.productID(t, tt.slug); id != strconv.FormatInt(want, 10) {
					t.Errorf("form product_id = %q, want %d", id, want)
				}
			}
		})
	}
}

func TestProductPage_UnknownOrUnpublishedIs404(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	shop.exec(t, `UPDATE products SET published = 0 WHERE slug = 'mug'`)
	for _, path := range []string{"/products/no-such-product", "/products/mug", "/no/such/page", "/products/"} {
		t.Run(path, func(t *testing.T) {
			st, doc := sh.get(path)
			if st != http.StatusNotFound {
				t.Errorf("status %d, want 404", st)
			}
			if n := len(byTestID(doc, "error-page")); n != 1 {
				t.Errorf("error page shown %d times, want once", n)
			}
			if len(formsPostingTo(doc, "/cart/add")) != 0 {
				t.Errorf("a 404 page offers an add-to-cart form")
			}
		})
	}
}

func TestSearch_FindsAccentInsensitiveAndSurvivesSyntax(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	tests := []struct {
		q    string
		want string // a product name that must be listed; "" when none need be
	}{
		{"cafe", "Café moulu"},
		{"CAFÉ", "Café moulu"},
		{"moulu", "Café moulu"},
		{`"`, ""},
		{`*`, ""},
		{`cafe OR`, ""}, // every word must match: "or" starts no word of it
		{`(`, ""},
		{`"cafe`, "Café moulu"},
		{`NEAR(cafe`, ""},
		{`-cafe ^`, "Café moulu"},
		{`name:cafe`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			st, doc := sh.get("/search?q=" + url.QueryEscape(tt.q))
			if st != http.StatusOK {
				t.Fatalf("status %d, want 200", st)
			}
			if len(byTestID(doc, "error-page")) != 0 {
				t.Fatalf("search shows the error page")
			}
			names := cardNames(doc)
			if tt.want != "" && !contains(names, tt.want) {
				t.Errorf("results %q do not include %q", names, tt.want)
			}
			if len(names) == 0 && len(byTestID(doc, "empty")) != 1 {
				t.Errorf("no results and no empty-state message")
			}
		})
	}
}

// The running shop merges its full-text index into one b-tree (store.KeepSearchIndexMerged):
// the demo catalogue, seeded in one transaction, starts with eleven.
func TestSearchIndex_TheRunningShopKeepsItMerged(t *testing.T) {
	shop := startShop(t)
	segments := func() int {
		var n int
		if err := shop.store().R.QueryRow(`SELECT count(DISTINCT segid) FROM products_fts_idx`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for end := time.Now().Add(10 * time.Second); segments() != 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%d segments ten seconds after the start, want 1", segments())
		}
	}
	st, doc := shop.newShopper(t).get("/search?q=" + url.QueryEscape("café"))
	if names := cardNames(doc); st != http.StatusOK || !contains(names, "Café moulu") {
		t.Errorf("search café on the merged index: status %d, %q", st, names)
	}
}

// The running shop reads every product's slug hint when it starts (store.WarmSlugHints),
// so that even a product's first page is read by id.
func TestSlugHints_TheRunningShopReadsThemAtStart(t *testing.T) {
	shop := startShopWith(t, shopSetup{Env: map[string]string{"SHOP_LOG_LEVEL": "debug"}})
	want := fmt.Sprintf(`msg="product slug hints read" count=%d `, shop.queryInt(t, `SELECT count(*) FROM products`))
	for end := time.Now().Add(10 * time.Second); !strings.Contains(shop.logs.String(), want); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("no %q in the log ten seconds after the start:\n%s", want, shop.logs.String())
		}
	}
}

// A shopper may type 100 characters; in bytes that is more, and the page must not cut a
// character in half.
func TestSearch_LongQueryStaysValidUTF8(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	q := strings.Repeat("a", 99) + "é" + "é"
	st, doc := sh.get("/search?q=" + url.QueryEscape(q))
	if st != http.StatusOK {
		t.Fatalf("status %d", st)
	}
	box := byID(doc, "site-search")
	v, _ := attr(box, "value")
	h1 := findAll(doc, func(n *html.Node) bool { return isElem(n, "h1") })
	for what, s := range map[string]string{"search box value": v, "heading": textOf(h1[0])} {
		if !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError) {
			t.Errorf("%s is not valid UTF-8 after truncation: %q", what, s)
		}
	}
	if !strings.HasPrefix(q, v) || len(v) < 99 {
		t.Errorf("search box value %q is not the start of what was typed", v)
	}
}

// A card number typed in the search box is shown back nowhere on the results page (not
// in the title, the heading or the box), and the words beside it are still searched.
func TestSearch_DoesNotShowBackACardNumber(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	for q, box := range map[string]string{"4242424242424242": "", "espresso 4242 4242 4242 4242": "espresso"} {
		p := sh.getPage("/search?q=" + url.QueryEscape(q))
		if p.Status != http.StatusOK {
			t.Fatalf("%q: status %d", q, p.Status)
		}
		for _, s := range []string{"4242424242424242", "4242 4242 4242 4242"} {
			if bytes.Contains(p.Body, []byte(s)) {
				t.Errorf("searching %q: the page shows %q", q, s)
			}
		}
		if v, _ := attr(byID(p.Doc, "site-search"), "value"); v != box {
			t.Errorf("searching %q: the box holds %q, want %q", q, v, box)
		}
	}
	if _, doc := sh.get("/search?q=espresso+4242424242424242"); len(byTestID(doc, "product-card")) == 0 {
		t.Errorf("the words beside the number found nothing")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// A page past the end of a listing (an old link, a typed address) says so and links back
// to the first page; the empty search keeps the category navigation of every shop page.
func TestListing_PastTheEndAndEmptySearchKeepTheirWayBack(t *testing.T) {
	shop := startShop(t)
	sh := shop.newShopper(t)
	st, doc := sh.get("/?page=999")
	if st != http.StatusNotFound {
		t.Fatalf("GET /?page=999: status %d, want 404 (with the page)", st)
	}
	if len(cardNames(doc)) != 0 || !strings.Contains(textOf(doc), "past the end of the list") {
		t.Errorf("page 999 shows %d products and says %q", len(cardNames(doc)), textOf(doc))
	}
	first := adminFirst(byTestID(doc, "first-page"))
	if href, _ := attr(first, "href"); first == nil || href != "/" || textOf(first) != "Back to the first page" {
		t.Errorf("page 999 links back with %v to %q, want \"Back to the first page\" to /", first, href)
	}
	// A page number past any catalogue is the same page, not one wrapped round to
	// page 1 with a link to a negative page.
	if p := sh.getPage("/?page=9223372036854775807"); p.Status != http.StatusNotFound || len(cardNames(p.Doc)) != 0 ||
		strings.Contains(string(p.Body), "page=-") {
		t.Errorf("GET /?page=MaxInt64: status %d, %d products", p.Status, len(cardNames(p.Doc)))
	}
	categoryNav := func(n *html.Node) bool { return isElem(n, "nav") && attrIs(n, "aria-label", "Categories") }
	for _, path := range []string{"/?page=999", "/search?q=", "/search", "/search?q=+++"} {
		_, doc := sh.get(path)
		if navs := findAll(doc, categoryNav); len(navs) != 1 || len(findAll(navs[0], func(n *html.Node) bool { return isElem(n, "a") })) == 0 {
			t.Errorf("%s: no category navigation", path)
		}
	}
	// Each page of a list has its own title.
	_, doc = sh.get("/?page=2")
	if titles := findAll(doc, func(n *html.Node) bool { return isElem(n, "title") }); len(titles) != 1 ||
		!strings.HasPrefix(textOf(titles[0]), "All products · page 2") {
		t.Errorf("page 2's title is not its own: %q", textOf(doc)[:60])
	}
	// Spaces alone are no search: the page asks for a word.
	if _, doc := sh.get("/search?q=+++"); !strings.Contains(textOf(doc), "Type a word to search the shop.") {
		t.Errorf("a search of spaces says %q", textOf(doc))
	}
}

// A button's accessible name holds the words it shows, so that "Add to cart" or
// "Remove", said or searched for, finds it; the product it acts on is its description,
// which points at an element of the page.
func TestButtons_NamedByTheirVisibleWords(t *testing.T) {
	ts := startShop(t)
	sh := ts.newShopper(t)
	sh.addToCart("honey", 1)
	for _, path := range []string{"/", "/categories/kitchen", "/search?q=mug", "/products/mug", "/cart"} {
		p := sh.getPage(path)
		if p.Status != http.StatusOK {
			t.Fatalf("%s: status %d", path, p.Status)
		}
		buttons := findAll(p.Doc, func(n *html.Node) bool { return isElem(n, "button") })
		if len(buttons) == 0 {
			t.Fatalf("%s: no buttons", path)
		}
		for _, b := range buttons {
			words := strings.Join(strings.Fields(textOf(b)), " ")
			if label, ok := attr(b, "aria-label"); ok && !strings.Contains(label, words) {
				t.Errorf("%s: button %q is named %q", path, words, label)
			}
			if d, ok := attr(b, "aria-describedby"); ok {
				for _, id := range strings.Fields(d) {
					if byID(p.Doc, id) == nil {
						t.Errorf("%s: button %q described by a missing #%s", path, words, id)
					}
				}
			}
		}
	}
}

// Every "Add to cart" form, on listings and product pages, is sent once per click: a
// double click would otherwise add the quantity twice (shop.js disables its button).
func TestAddToCartForms_AreSentOncePerClick(t *testing.T) {
	ts := startShop(t)
	sh := ts.newShopper(t)
	forms := 0
	for _, path := range []string{"/", "/products/honey", "/search?q=tea"} {
		_, doc := sh.get(path)
		for _, f := range findAll(doc, func(n *html.Node) bool { return isElem(n, "form") && attrIs(n, "action", "/cart/add") }) {
			forms++
			if _, ok := attr(f, "data-once"); !ok {
				t.Errorf("%s: an add-to-cart form without data-once", path)
			}
		}
	}
	if forms < 3 {
		t.Fatalf("only %d add-to-cart forms seen", forms)
	}
}
