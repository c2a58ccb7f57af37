package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// goodProduct is a valid product form; tests change one field at a time.
func goodProduct(changes url.Values) url.Values {
	f := url.Values{"name": {"Blue Mug"}, "slug": {""}, "description": {"A blue mug."}, "price": {"12,50"},
		"vat_rate": {"2000"}, "stock": {"8"}, "category_id": {""}, "published": {"1"}}
	for k, v := range changes {
		f[k] = v
	}
	return f
}

// fieldError is the message shown beside the field named name, or "".
func fieldError(doc *html.Node, name string) string {
	return textOf(adminFirst(byTestID(doc, name+"-error")))
}

// inputValue is what the control named name shows.
func inputValue(doc *html.Node, name string) string {
	n := adminFirst(findAll(doc, func(n *html.Node) bool {
		return (isElem(n, "input") || isElem(n, "textarea")) && attrIs(n, "name", name)
	}))
	if n != nil && n.Data == "textarea" {
		return textOf(n)
	}
	v, _ := attr(n, "value")
	return v
}

func TestAdminProduct_CreateRejectsBadInput(t *testing.T) {
	ts := startAdminShop(t)
	sh := ts.newShopper(t)
	adminLogin(t, sh, adminEmail)
	tests := []struct {
		name, field, value, message string
	}{
		{"price with three decimals", "price", "12,345", "at most two decimals"},
		{"negative price", "price", "-3", "cannot be negative"},
		{"price in words", "price", "twelve", "such as 12.50"},
		{"no name", "name", "", "Enter the product's name"},
		{"negative stock", "stock", "-4", "cannot be negative"},
		{"stock in words", "stock", "lots", "whole number"},
		{"duplicate slug", "slug", "mug", "already used"},
		{"duplicate slug in capitals", "slug", "MUG", "already used"},
		{"slug with spaces", "slug", "Blue Mug!", "lower-case letters"},
		{"unknown VAT rate", "vat_rate", "1234", "Choose a VAT rate"},
		{"unknown category", "category_id", "99999", "Choose a category"},
	}
	before := ts.queryInt(t, `SELECT count(*) FROM products`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sh.get("/admin/products/new")
			form := goodProduct(url.Values{tt.field: {tt.value}, "description": {"Kept <b>as typed</b>"}})
			p := sh.submit("/admin/products", form)
			if p.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", p.Status)
			}
			if msg := fieldError(p.Doc, tt.field); !strings.Contains(msg, tt.message) {
				t.Errorf("beside %s: %q, want %q", tt.field, msg, tt.message)
			}
			if len(byTestID(p.Doc, "error-summary")) != 1 {
				t.Error("no error summary")
			}
			for _, name := range []string{"name", "slug", "price", "stock", "description"} {
				if got := inputValue(p.Doc, name); got != form.Get(name) {
					t.Errorf("%s shows %q, typed %q", name, got, form.Get(name))
				}
			}
		})
	}
	// A taken slug shows with the form's other errors, not once they are fixed.
	sh.get("/admin/products/new")
	p := sh.submit("/admin/products", goodProduct(url.Values{"slug": {"mug"}, "price": {"twelve"}}))
	if !strings.Contains(fieldError(p.Doc, "slug"), "already used") || fieldError(p.Doc, "price") == "" {
		t.Errorf("taken slug and a bad price: slug %q, price %q", fieldError(p.Doc, "slug"), fieldError(p.Doc, "price"))
	}
	if after := ts.queryInt(t, `SELECT count(*) FROM products`); after != before {
		t.Errorf("%d products stored by invalid forms", after-before)
	}
}

func TestAdminProduct_EditRejectsBadInputAndChangesNothing(t *testing.T) {
	ts := startAdminShop(t)
	sh := ts.newShopper(t)
	adminLogin(t, sh, adminEmail)
	id := ts.productID(t, "teapot")
	edit := fmt.Sprintf("/admin/products/%d", id)
	snapshot := func() string {
		return ts.queryText(t, `SELECT name || '|' || slug || '|' || price_cents || '|' || stock || '|' || published FROM products WHERE id = ?`, id)
	}
	before := snapshot()
	for _, change := range []url.Values{
		{"price": {"12,345"}}, {"slug": {"mug"}}, {"name": {""}}, {"price": {"2000000"}},
	} {
		sh.get(edit)
		p := sh.submit(edit, goodProduct(change))
		if p.Status != http.StatusUnprocessableEntity {
			t.Errorf("%v: %d, want 422", change, p.Status)
		}
		for field := range change {
			if fieldError(p.Doc, field) == "" {
				t.Errorf("%v: no message beside %s", change, field)
			}
		}
	}
	if after := snapshot(); after != before {
		t.Errorf("the product changed: %s → %s", before, after)
	}
	sh.get(edit)
	if p := sh.submit(edit, goodProduct(url.Values{"name": {"Cast Iron Teapot XL"}, "slug": {"teapot-xl"}, "price": {"1 049,9"}})); p.Status != http.StatusSeeOther {
		t.Fatalf("a good edit: %d; %q", p.Status, textOf(adminFirst(byTestID(p.Doc, "error-summary"))))
	}
	if got := snapshot(); got != "Cast Iron Teapot XL|teapot-xl|104990|8|1" { // goodProduct's stock: 8
		t.Errorf("after the edit: %s", got)
	}
	if st, doc := sh.get(edit); st != http.StatusOK || !strings.Contains(textOf(adminFirst(byTestID(doc, "flash"))), "saved") {
		t.Errorf("no confirmation after saving")
	}
}

// The edit form shows the stock, and a new count saved there sets it, recorded in the
// stock history; sent twice it counts once, and against a stock that orders changed
// since the page was shown it is refused with the stock as it is now.
func TestAdminProduct_EditFormSetsACountedStock(t *testing.T) {
	ts := startAdminShop(t)
	sh := ts.newShopper(t)
	adminLogin(t, sh, adminEmail)
	id := ts.productID(t, "teapot")
	edit := fmt.Sprintf("/admin/products/%d", id)
	stock := func() int64 { return ts.queryInt(t, `SELECT stock FROM products WHERE id = ?`, id) }
	moves := func() int64 { return ts.queryInt(t, `SELECT count(*) FROM stock_movements WHERE product_id = ?`, id) }
	formOf := func(doc *html.Node) url.Values {
		f, ok := formByTestID(doc, "product-form")
		if !ok {
			t.Fatal("no product form")
		}
		// formByTestID reads inputs only; the form's textarea and selects as they are.
		f.Set("description", "Cast iron.")
		f.Set("vat_rate", "2000")
		return f
	}
	_, doc := sh.get(edit)
	f := formOf(doc)
	if f.Get("stock") != "6" || f.Get("stock_shown") != "6" {
		t.Fatalf("the edit form shows stock %q (shown %q), want 6", f.Get("stock"), f.Get("stock_shown"))
	}
	before := moves()
	f.Set("stock", "10")
	if p := sh.submit(edit, f); p.Status != http.StatusSeeOther || stock() != 10 || moves() != before+1 {
		t.Fatalf("count 10: %d, stock %d, %d new movements", p.Status, stock(), moves()-before)
	}
	if got := ts.queryText(t, `SELECT delta || '|' || stock_after || '|' || actor FROM stock_movements WHERE product_id = ? ORDER BY id DESC LIMIT 1`, id); got != "4|10|"+adminEmail {
		t.Errorf("the count is recorded as %q, want +4 to 10 by the admin", got)
	}
	if p := sh.submit(edit, f); p.Status != http.StatusSeeOther || stock() != 10 || moves() != before+1 {
		t.Errorf("the same form again: %d, stock %d, %d new movements; want 10 and one", p.Status, stock(), moves()-before)
	}

	_, doc = sh.get(edit)
	f = formOf(doc)
	ts.exec(t, `UPDATE products SET stock = 9 WHERE id = ?`, id) // an order took one meanwhile
	f.Set("stock", "12")
	p := sh.submit(edit, f)
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(fieldError(p.Doc, "stock"), "it is 9 now") || stock() != 9 {
		t.Fatalf("a count against a changed stock: %d %q, stock %d", p.Status, fieldError(p.Doc, "stock"), stock())
	}
	again := formOf(p.Doc)
	if again.Get("stock") != "12" || again.Get("stock_shown") != "9" {
		t.Errorf("the form came back with stock %q shown %q, want 12 typed against 9", again.Get("stock"), again.Get("stock_shown"))
	}
	if p := sh.submit(edit, again); p.Status != http.StatusSeeOther || stock() != 12 {
		t.Errorf("saved again: %d, stock %d, want 12", p.Status, stock())
	}

	// Saving other fields, the stock untouched, leaves what orders did alone.
	_, doc = sh.get(edit)
	f = formOf(doc)
	ts.exec(t, `UPDATE products SET stock = 11 WHERE id = ?`, id)
	f.Set("name", "Teapot")
	if p := sh.submit(edit, f); p.Status != http.StatusSeeOther || stock() != 11 {
		t.Errorf("a rename: %d, stock %d, want 11 kept", p.Status, stock())
	}
}

// testPNG is a real PNG image of w×h pixels.
func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{B: 255, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// uploadImage posts data as the "image" file of the product's upload form, as a
// browser would, claiming contentType.
func uploadImage(t *testing.T, sh *shopper, productID int64, filename, contentType string, data []byte) *page {
	t.Helper()
	path := fmt.Sprintf("/admin/products/%d", productID)
	sh.get(path)
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("_csrf", sh.token())
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="image"; filename=%q`, filename))
	h.Set("Content-Type", contentType)
	part, err := w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data)
	w.Close()
	return sh.adminPostBody(path+"/image", w.FormDataContentType(), body.Bytes())
}

func mediaFiles(t *testing.T, ts *testShop) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(ts.Dir, "media", "products"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestAdminProduct_ImageUploadRejectsWhatIsNotASmallImage(t *testing.T) {
	ts := startAdminShop(t)
	sh := ts.newShopper(t)
	adminLogin(t, sh, adminEmail)
	id := ts.productID(t, "mug")
	before := ts.queryText(t, `SELECT image FROM products WHERE id = ?`, id)
	big := append(testPNG(t, 2, 2), make([]byte, 20<<20)...)
	tests := []struct {
		name, filename, contentType string
		data                        []byte
		message                     string
	}{
		{"20 MB image", "huge.png", "image/png", big, "larger than 5 MB"},
		{"PHP file renamed .jpg", "shell.jpg", "image/jpeg", []byte("<?php system($_GET['c']); ?>"), "not a JPEG, PNG or WebP"},
		{"HTML renamed .png", "page.png", "image/png", []byte("<html><script>alert(1)</script>"), "not a JPEG, PNG or WebP"},
		{"empty file", "empty.png", "image/png", nil, "Choose an image file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := uploadImage(t, sh, id, tt.filename, tt.contentType, tt.data)
			if p.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", p.Status)
			}
			if msg := fieldError(p.Doc, "image"); !strings.Contains(msg, tt.message) {
				t.Errorf("beside the image field: %q, want %q", msg, tt.message)
			}
		})
	}
	if after := ts.queryText(t, `SELECT image FROM products WHERE id = ?`, id); after != before {
		t.Errorf("image changed from %q to %q", before, after)
	}
	if files := mediaFiles(t, ts); len(files) != 0 {
		t.Errorf("files stored: %v", files)
	}
}

// A product created in the admin is in the shop at once, image included, and the image
// is served with a long cache lifetime under a name that changes with every upload.
func TestAdminProduct_CreatedProductIsInTheShopAtOnce(t *testing.T) {
	ts := startAdminShop(t)
	sh := ts.newShopper(t)
	adminLogin(t, sh, adminEmail)
	kitchen := ts.queryInt(t, `SELECT id FROM categories WHERE slug = 'kitchen'`)
	sh.get("/admin/products/new")
	p := sh.submit("/admin/products", goodProduct(url.Values{"name": {"Bol à café"}, "price": {"1 234,5"},
		"category_id": {strconv.FormatInt(kitchen, 10)}}))
	if p.Status != http.StatusSeeOther {
		t.Fatalf("create: %d; %q", p.Status, textOf(adminFirst(byTestID(p.Doc, "error-summary"))))
	}
	id := ts.productID(t, "bol-a-cafe")
	if loc := p.Header.Get("Location"); loc != fmt.Sprintf("/admin/products/%d", id) {
		t.Errorf("after create: sent to %q", loc)
	}
	if got := ts.queryInt(t, `SELECT price_cents FROM products WHERE id = ?`, id); got != 123450 {
		t.Errorf("price stored as %d cents, want 123450", got)
	}
	for i, data := range [][]byte{testPNG(t, 4, 3), testPNG(t, 5, 5)} {
		if up := uploadImage(t, sh, id, "photo.png", "image/png", data); up.Status != http.StatusSeeOther {
			t.Fatalf("upload %d: %d %q", i+1, up.Status, fieldError(up.Doc, "image"))
		}
	}
	if files := mediaFiles(t, ts); len(files) != 1 {
		t.Errorf("media files %v: want only the latest image", files)
	}

	shopper := ts.newShopper(t)
	st, doc := shopper.get("/products/bol-a-cafe")
	if st != http.StatusOK || textOf(adminFirst(findAll(doc, func(n *html.Node) bool { return isElem(n, "h1") }))) != "Bol à café" {
		t.Fatalf("the shop's product page: %d", st)
	}
	if price := textOf(adminFirst(byTestID(doc, "price"))); !strings.Contains(price, "€1,234.50") {
		t.Errorf("price shown %q", price)
	}
	img, _ := attr(adminFirst(findAll(doc, func(n *html.Node) bool { return isElem(n, "img") && attrIs(n, "class", "product-image") })), "src")
	if !strings.HasPrefix(img, "/media/products/") {
		t.Fatalf("image URL %q", img)
	}
	got := shopper.getPage(img)
	if got.Status != http.StatusOK || got.Header.Get("Content-Type") != "image/png" ||
		!strings.Contains(got.Header.Get("Cache-Control"), "max-age=31536000") || !bytes.Equal(got.Body, testPNG(t, 5, 5)) {
		t.Errorf("GET %s: %d %s %q", img, got.Status, got.Header.Get("Content-Type"), got.Header.Get("Cache-Control"))
	}
	if _, doc := shopper.get("/categories/kitchen"); !contains(cardNames(doc), "Bol à café") {
		t.Errorf("not in its category: %v", cardNames(doc))
	}
	if _, doc := shopper.get("/search?q=bol+cafe"); !contains(cardNames(doc), "Bol à café") {
		t.Errorf("search does not find it: %v", cardNames(doc))
	}
	// Unpublished, it is gone from the shop at once too.
	edit := fmt.Sprintf("/admin/products/%d", id)
	sh.get(edit)
	unpublished := goodProduct(url.Values{"name": {"Bol à café"}, "price": {"1234.50"}})
	unpublished.Del("published")
	if p := sh.submit(edit, unpublished); p.Status != http.StatusSeeOther {
		t.Fatalf("unpublish: %d", p.Status)
	}
	if st, _ := shopper.get("/products/bol-a-cafe"); st != http.StatusNotFound {
		t.Errorf("an unpublished product's page: %d, want 404", st)
	}
}

func TestAdminProduct_NameIsEscapedEverywhere(t *testing.T) {
	ts := startAdminShop(t)
	sh := ts.newShopper(t)
	adminLogin(t, sh, adminEmail)
	const evil = `<script>alert(1)</script>`
	sh.get("/admin/products/new")
	if p := sh.submit("/admin/products", goodProduct(url.Values{"name": {evil}, "description": {`<img src=x onerror=alert(2)>`}})); p.Status != http.StatusSeeOther {
		t.Fatalf("create: %d", p.Status)
	}
	id := ts.productID(t, "script-alert-1-script")
	pages := map[string]*shopper{
		"/products/script-alert-1-script":            ts.newShopper(t),
		"/search?q=alert":                            ts.newShopper(t),
		"/admin/products":                            sh,
		"/admin/products?q=" + url.QueryEscape(evil): sh,
		fmt.Sprintf("/admin/products/%d", id):        sh,
	}
	for path, who := range pages {
		p := who.getPage(path)
		if p.Status != http.StatusOK {
			t.Errorf("GET %s: %d", path, p.Status)
			continue
		}
		if bytes.Contains(p.Body, []byte(evil)) || bytes.Contains(p.Body, []byte("<img src=x")) {
			t.Errorf("%s contains the markup unescaped", path)
		}
		for _, s := range findAll(p.Doc, func(n *html.Node) bool { return isElem(n, "script") }) {
			if strings.Contains(textOf(s), "alert") {
				t.Errorf("%s runs a script: %q", path, textOf(s))
			}
		}
		if !strings.Contains(textOf(p.Doc), evil) {
			t.Errorf("%s does not show the name as text", path)
		}
	}
}

func TestAdminProduct_StockAdjustmentsAreAudited(t *testing.T) {
	ts := startAdminShop(t)
	sh := ts.newShopper(t)
	adminLogin(t, sh, adminEmail)
	id := ts.productID(t, "teapot") // 6 in stock
	path := fmt.Sprintf("/admin/products/%d", id)
	sh.get(path)
	if p := sh.submit(path+"/stock", url.Values{"delta": {"+10"}, "reason": {"Delivery received"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("adjust: %d", p.Status)
	}
	for _, tt := range []struct{ delta, reason, field string }{
		{"-100", "Stocktake", "delta"}, {"0", "Nothing", "delta"}, {"abc", "x", "delta"}, {"3", "", "reason"},
	} {
		sh.get(path)
		p := sh.submit(path+"/stock", url.Values{"delta": {tt.delta}, "reason": {tt.reason}})
		if p.Status != http.StatusUnprocessableEntity || fieldError(p.Doc, tt.field) == "" || inputValue(p.Doc, "delta") != tt.delta {
			t.Errorf("delta %q reason %q: %d, %s says %q", tt.delta, tt.reason, p.Status, tt.field, fieldError(p.Doc, tt.field))
		}
	}
	if stock := ts.queryInt(t, `SELECT stock FROM products WHERE id = ?`, id); stock != 16 {
		t.Errorf("stock %d, want 16", stock)
	}
	_, doc := sh.get(path)
	rows := byTestID(doc, "stock-movement")
	if len(rows) != 1 || !strings.Contains(textOf(rows[0]), adminEmail) || !strings.Contains(textOf(rows[0]), "+10") ||
		!strings.Contains(textOf(rows[0]), "Delivery received") {
		t.Errorf("history: %d rows, first %q", len(rows), textOf(adminFirst(rows)))
	}
}

func TestAdminProduct_ListFiltersAndPages(t *testing.T) {
	ts := startAdminShop(t)
	sh := ts.newShopper(t)
	adminLogin(t, sh, adminEmail)
	total := ts.queryInt(t, `SELECT count(*) FROM products`)
	count := func(query string) (int, *html.Node) {
		t.Helper()
		st, doc := sh.get("/admin/products" + query)
		if st != http.StatusOK {
			t.Fatalf("GET %s: %d", query, st)
		}
		return len(byTestID(doc, "product-row")), doc
	}
	if n, doc := count(""); int64(n) != min(total, 25) || !strings.HasPrefix(textOf(adminFirst(byTestID(doc, "product-count"))), strconv.FormatInt(total, 10)) {
		t.Errorf("first page: %d rows", n)
	}
	low := ts.queryInt(t, `SELECT count(*) FROM products WHERE stock <= 5`)
	if n, _ := count("?low=1"); int64(n) != low {
		t.Errorf("low stock: %d rows, want %d", n, low)
	}
	if n, _ := count("?q=teapot"); n != 1 {
		t.Errorf("search teapot: %d rows", n)
	}
	ts.exec(t, `UPDATE products SET published = 0 WHERE slug IN ('mug', 'teapot')`)
	if n, _ := count("?published=no"); n != 2 {
		t.Errorf("hidden: %d rows", n)
	}
	kitchen := ts.queryInt(t, `SELECT id FROM categories WHERE slug = 'kitchen'`)
	if n, _ := count(fmt.Sprintf("?category=%d&published=yes", kitchen)); n != 4 {
		t.Errorf("published in kitchen: %d rows, want 4", n)
	}
}

func TestAdminCategories_CreateEditAndReorder(t *testing.T) {
	ts := startAdminShop(t)
	sh := ts.newShopper(t)
	adminLogin(t, sh, adminEmail)
	sh.get("/admin/categories/new")
	if p := sh.submit("/admin/categories", url.Values{"name": {""}}); p.Status != http.StatusUnprocessableEntity || fieldError(p.Doc, "name") == "" {
		t.Errorf("no name: %d", p.Status)
	}
	if p := sh.submit("/admin/categories", url.Values{"name": {"Épicerie fine"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("create: %d", p.Status)
	}
	id := ts.queryInt(t, `SELECT id FROM categories WHERE slug = 'epicerie-fine'`)
	order := func() string {
		return ts.queryText(t, `SELECT group_concat(slug, ',') FROM (SELECT slug FROM categories ORDER BY position, name)`)
	}
	if got := order(); !strings.HasSuffix(got, ",epicerie-fine") {
		t.Errorf("new category not last: %s", got)
	}
	sh.get("/admin/categories")
	sh.submit(fmt.Sprintf("/admin/categories/%d/move", id), url.Values{"direction": {"up"}})
	if got := order(); !strings.HasSuffix(got, ",epicerie-fine,pantry") {
		t.Errorf("after moving up: %s", got)
	}
	edit := fmt.Sprintf("/admin/categories/%d", id)
	sh.get(edit)
	if p := sh.submit(edit, url.Values{"name": {"Fine food"}, "slug": {"kitchen"}}); p.Status != http.StatusUnprocessableEntity || fieldError(p.Doc, "slug") == "" {
		t.Errorf("taken slug: %d", p.Status)
	}
	// Every conflict and every other error show at once.
	p := sh.submit(edit, url.Values{"name": {"Pantry"}, "slug": {"kitchen"}, "description": {strings.Repeat("x", 1001)}})
	for field, want := range map[string]string{"name": "already has this name", "slug": "already used", "description": "at most 1000"} {
		if got := fieldError(p.Doc, field); !strings.Contains(got, want) {
			t.Errorf("beside %s: %q, want %q", field, got, want)
		}
	}
	if p := sh.submit(edit, url.Values{"name": {"Fine food"}, "slug": {"fine-food"}}); p.Status != http.StatusSeeOther {
		t.Errorf("rename: %d", p.Status)
	}
	if st, _ := ts.newShopper(t).get("/categories/fine-food"); st != http.StatusOK {
		t.Errorf("the shop's page of the renamed category: %d", st)
	}
	// A second category of the same name (letter case aside) would show twice in the menu.
	sh.get("/admin/categories/new")
	if p := sh.submit("/admin/categories", url.Values{"name": {"FINE FOOD"}}); p.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(fieldError(p.Doc, "name"), "already has this name") {
		t.Errorf("same name: %d, name error %q", p.Status, fieldError(p.Doc, "name"))
	}
	sh.get("/admin/categories")
	if p := sh.submit(fmt.Sprintf("/admin/categories/%d/move", id), url.Values{"direction": {"sideways"}}); p.Status != http.StatusUnprocessableEntity {
		t.Errorf("move sideways: %d, want 422", p.Status)
	}
}

// A category is deleted only once empty; one that holds products is refused, saying how
// many and what to do, and stays in the shop's menu.
func TestAdminCategories_DeleteOnlyWhenEmpty(t *testing.T) {
	ts := startAdminShop(t)
	sh := ts.newShopper(t)
	adminLogin(t, sh, adminEmail)
	full := ts.queryInt(t, `SELECT category_id FROM products WHERE category_id IS NOT NULL GROUP BY category_id ORDER BY count(*) DESC LIMIT 1`)
	held := ts.queryInt(t, `SELECT count(*) FROM products WHERE category_id = ?`, full)
	_, doc := sh.get(fmt.Sprintf("/admin/categories/%d", full))
	if len(byTestID(doc, "delete-category")) != 1 {
		t.Fatal("the category's page has no delete button")
	}
	// Refused, back on the category's own admin page, which says why.
	p := sh.submit(fmt.Sprintf("/admin/categories/%d/delete", full), nil)
	edit := fmt.Sprintf("/admin/categories/%d", full)
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != edit {
		t.Errorf("deleting a category of %d products: %d to %q, want 303 back to %s", held, p.Status, p.Header.Get("Location"), edit)
	}
	if _, doc := sh.get(edit); !strings.Contains(testIDText(doc, "flash"), fmt.Sprintf("still holds %d products", held)) ||
		len(byTestID(doc, "admin-nav")) != 1 {
		t.Errorf("the category's page then says %q", testIDText(doc, "flash"))
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM categories WHERE id = ?`, full); n != 1 {
		t.Fatal("the category holding products was deleted")
	}

	sh.get("/admin/categories/new")
	if p := sh.submit("/admin/categories", url.Values{"name": {"Seasonal"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("create: %d", p.Status)
	}
	id := ts.queryInt(t, `SELECT id FROM categories WHERE slug = 'seasonal'`)
	if _, doc := ts.newShopper(t).get("/"); !strings.Contains(textOf(doc), "Seasonal") {
		t.Fatal("the new category is not in the shop's menu")
	}
	sh.get(fmt.Sprintf("/admin/categories/%d", id))
	// The edit page's button asks first; the confirmation's button deletes.
	p = sh.submit(fmt.Sprintf("/admin/categories/%d/delete", id), nil)
	if p.Status != http.StatusOK || len(byTestID(p.Doc, "delete-category")) != 1 || len(byTestID(p.Doc, "keep")) != 1 ||
		!strings.Contains(textOf(p.Doc), "“Seasonal”") {
		t.Fatalf("deleting the empty category asks: %d %q", p.Status, textOf(p.Doc))
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM categories WHERE id = ?`, id); n != 1 {
		t.Fatal("the category was deleted before the merchant confirmed")
	}
	if p := sh.submit(fmt.Sprintf("/admin/categories/%d/delete", id), url.Values{"confirmed": {"1"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("deleting the empty category: %d %q", p.Status, textOf(p.Doc))
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM categories WHERE id = ?`, id); n != 0 {
		t.Error("the empty category is still there")
	}
	if _, doc := ts.newShopper(t).get("/"); strings.Contains(textOf(doc), "Seasonal") {
		t.Error("the deleted category is still in the shop's menu")
	}
	if st, _ := ts.newShopper(t).get("/categories/seasonal"); st != http.StatusNotFound {
		t.Errorf("the deleted category's page: %d, want 404", st)
	}
}

// A product or category whose slug the merchant changes keeps its old address: a
// permanent redirect to the new one, query and all. An old address that another product
// takes is that product's page; a deleted product's old address is gone.
func TestRenamedSlugs_OldAddressesRedirect(t *testing.T) {
	ts := startAdminShop(t)
	admin := ts.newShopper(t)
	adminLogin(t, admin, adminEmail)
	visitor := ts.newShopper(t)
	wantMoved := func(from, to string) {
		t.Helper()
		p := visitor.getPage(from)
		if loc := p.Header.Get("Location"); p.Status != http.StatusMovedPermanently || loc != to {
			t.Errorf("GET %s: %d to %q, want 301 to %s", from, p.Status, loc, to)
		}
		// A browser keeps a 301 for good unless told to check it again.
		if cc := p.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache", from, cc)
		}
		if st, _ := visitor.get(to); st != http.StatusOK {
			t.Errorf("GET %s: %d", to, st)
		}
	}

	id := ts.productID(t, "teapot")
	edit := fmt.Sprintf("/admin/products/%d", id)
	admin.get(edit)
	if p := admin.submit(edit, goodProduct(url.Values{"name": {"Teapot"}, "slug": {"cast-iron-teapot"}})); p.Status != http.StatusSeeOther {
		t.Fatalf("rename the teapot: %d", p.Status)
	}
	wantMoved("/products/teapot", "/products/cast-iron-teapot")
	admin.get(edit)
	if p := admin.submit(edit, goodProduct(url.Values{"name": {"Teapot"}, "slug": {"iron-teapot"}})); p.Status != http.StatusSeeOther {
		t.Fatalf("rename the teapot again: %d", p.Status)
	}
	wantMoved("/products/teapot", "/products/iron-teapot")
	wantMoved("/products/cast-iron-teapot", "/products/iron-teapot")
	// Given back its first slug, the product is there again, and the others lead to it.
	admin.get(edit)
	if p := admin.submit(edit, goodProduct(url.Values{"name": {"Teapot"}, "slug": {"teapot"}})); p.Status != http.StatusSeeOther {
		t.Fatalf("rename the teapot back: %d", p.Status)
	}
	if st, _ := visitor.get("/products/teapot"); st != http.StatusOK {
		t.Errorf("GET /products/teapot once given back: %d", st)
	}
	wantMoved("/products/iron-teapot", "/products/teapot")
	admin.get(edit)
	if p := admin.submit(edit, goodProduct(url.Values{"name": {"Teapot"}, "slug": {"iron-teapot"}})); p.Status != http.StatusSeeOther {
		t.Fatalf("rename the teapot once more: %d", p.Status)
	}

	// Another product takes the first address: it is that product's page.
	admin.get("/admin/products/new")
	if p := admin.submit("/admin/products", goodProduct(url.Values{"name": {"Glass teapot"}, "slug": {"teapot"}})); p.Status != http.StatusSeeOther {
		t.Fatalf("create a product at the old address: %d", p.Status)
	}
	if p := visitor.getPage("/products/teapot"); p.Status != http.StatusOK || !strings.Contains(textOf(p.Doc), "Glass teapot") {
		t.Errorf("GET /products/teapot: %d, want the new product's page", p.Status)
	}

	cat := ts.queryInt(t, `SELECT id FROM categories WHERE slug = 'kitchen'`)
	cedit := fmt.Sprintf("/admin/categories/%d", cat)
	admin.get(cedit)
	if p := admin.submit(cedit, url.Values{"name": {"Kitchen"}, "slug": {"cookware"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("rename the category: %d", p.Status)
	}
	wantMoved("/categories/kitchen?page=1", "/categories/cookware?page=1")

	// A product deleted takes its old addresses with it.
	admin.get(edit)
	if p := admin.submit(edit+"/delete", nil); p.Status != http.StatusOK || len(byTestID(p.Doc, "confirm-delete")) != 1 {
		t.Fatalf("the teapot's Delete product: %d, want the page that asks first", p.Status)
	}
	if st, _ := visitor.get("/products/cast-iron-teapot"); st == http.StatusNotFound {
		t.Fatal("the teapot was deleted before the merchant confirmed")
	}
	if p := admin.submit(edit+"/delete", url.Values{"confirmed": {"1"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("delete the teapot: %d", p.Status)
	}
	if st, _ := visitor.get("/products/cast-iron-teapot"); st != http.StatusNotFound {
		t.Errorf("old address of a deleted product: %d, want 404", st)
	}
}

// The stock history shows what orders took and gave back among the admin's own
// moves, newest first, each with the stock after it and a link to the order.
func TestAdminProduct_StockHistoryShowsOrders(t *testing.T) {
	ts := startAdminShop(t)
	admin := ts.newShopper(t)
	adminLogin(t, admin, adminEmail)
	id := ts.productID(t, "teapot") // 6 in stock
	path := fmt.Sprintf("/admin/products/%d", id)
	admin.get(path)
	if p := admin.submit(path+"/stock", url.Values{"delta": {"+10"}, "reason": {"Delivery received"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("adjust: %d", p.Status)
	}
	first := placeOrder(t, ts, ts.newShopper(t), "teapot", 2)
	second := placeOrder(t, ts, ts.newShopper(t), "teapot", 1)
	if p := orderAction(t, admin, second.Ref, "cancel", url.Values{"reason": {"Changed their mind"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("cancel: %d", p.Status)
	}
	_, doc := admin.get(path)
	var got []string
	for _, row := range byTestID(doc, "stock-movement") {
		var cells []string
		for _, td := range findAll(row, func(n *html.Node) bool { return isElem(n, "td") }) {
			cells = append(cells, strings.Join(strings.Fields(textOf(td)), " "))
		}
		got = append(got, strings.Join(cells[1:], " | ")) // all but the time
	}
	want := []string{
		adminEmail + " | +1 | 14 | Order " + second.Ref + " cancelled: stock returned",
		"shopper | -1 | 13 | Order " + second.Ref + " placed",
		"shopper | -2 | 14 | Order " + first.Ref + " placed",
		adminEmail + " | +10 | 16 | Delivery received",
	}
	if !slices.Equal(got, want) {
		t.Errorf("stock history:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	link := adminFirst(findAll(doc, func(n *html.Node) bool {
		return isElem(n, "a") && attrIs(n, "href", "/admin/orders/"+first.Ref)
	}))
	if link == nil {
		t.Error("the history does not link to the order")
	}
	if stock := ts.queryInt(t, `SELECT stock FROM products WHERE id = ?`, id); stock != 14 {
		t.Errorf("stock %d, want 14", stock)
	}
}

// The stock form and the new-product form sent twice (back and resubmit, a replayed
// request) change things once: the second lands where the first's change is seen and
// says so. A form shown again is a new form, whose change counts.
func TestAdminProduct_FormsSentTwiceChangeOnce(t *testing.T) {
	ts := startAdminShop(t)
	sh := ts.newShopper(t)
	adminLogin(t, sh, adminEmail)
	id := ts.productID(t, "teapot") // 6 in stock
	path := fmt.Sprintf("/admin/products/%d", id)
	key := inputValue(sh.getPage(path).Doc, "form_key")
	if key == "" {
		t.Fatal("the product page's stock form has no form key")
	}
	delivery := url.Values{"delta": {"+10"}, "reason": {"Delivery received"}, "form_key": {key}}
	for i := range 2 {
		if p := sh.submit(path+"/stock", delivery); p.Status != http.StatusSeeOther || p.Header.Get("Location") != path {
			t.Fatalf("stock form, send %d: %d to %q", i+1, p.Status, p.Header.Get("Location"))
		}
	}
	if got := textOf(sh.getPage(path).Doc); !strings.Contains(got, "This form was sent already: nothing was changed again.") {
		t.Errorf("the page after the second send does not say so: %q", got)
	}
	if stock := ts.queryInt(t, `SELECT stock FROM products WHERE id = ?`, id); stock != 16 {
		t.Errorf("stock %d after the same delivery sent twice, want 16", stock)
	}
	delivery.Set("form_key", inputValue(sh.getPage(path).Doc, "form_key")) // the form shown again
	if p := sh.submit(path+"/stock", delivery); p.Status != http.StatusSeeOther {
		t.Fatalf("a second delivery: %d", p.Status)
	}
	if stock := ts.queryInt(t, `SELECT stock FROM products WHERE id = ?`, id); stock != 26 {
		t.Errorf("stock %d after a second delivery, want 26", stock)
	}

	form := goodProduct(url.Values{"form_key": {inputValue(sh.getPage("/admin/products/new").Doc, "form_key")}})
	var locations []string
	for range 2 {
		p := sh.submit("/admin/products", form)
		if p.Status != http.StatusSeeOther {
			t.Fatalf("new product form: %d", p.Status)
		}
		locations = append(locations, p.Header.Get("Location"))
	}
	if locations[0] != locations[1] {
		t.Errorf("the second send went to %q, the product made by the first is at %q", locations[1], locations[0])
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM products WHERE name = 'Blue Mug'`); n != 1 {
		t.Errorf("%d products made by one form sent twice, want 1", n)
	}
}

// Two admins, or two tabs, on one product: a save from a form opened before another
// save keeps that save's changes where the form did not touch them; where both changed
// one field differently it is refused with 409, the field saying what it holds now, and
// sent again it wins. The same form sent twice is saved.
func TestAdminProduct_StaleFormDoesNotUndoAnotherSave(t *testing.T) {
	ts := startAdminShop(t)
	one, two := ts.newShopper(t), ts.newShopper(t)
	adminLogin(t, one, adminEmail)
	adminLogin(t, two, adminEmail)
	id := ts.productID(t, "teapot")
	edit := fmt.Sprintf("/admin/products/%d", id)
	saved := func() string {
		return ts.queryText(t, `SELECT price_cents || '|' || description || '|' || name FROM products WHERE id = ?`, id)
	}
	formOf := func(sh *shopper) url.Values {
		_, doc := sh.get(edit)
		f, ok := formByTestID(doc, "product-form")
		if !ok {
			t.Fatal("no product form")
		}
		f.Set("description", ts.queryText(t, `SELECT description FROM products WHERE id = ?`, id))
		f.Set("vat_rate", "2000")
		return f
	}
	name := ts.queryText(t, `SELECT name FROM products WHERE id = ?`, id)

	// One changes the price, the other (opened before) the description: both stand.
	f1, f2 := formOf(one), formOf(two)
	f1.Set("price", "13.00")
	if p := one.submit(edit, f1); p.Status != http.StatusSeeOther {
		t.Fatalf("the first save: %d", p.Status)
	}
	f2.Set("description", "Cast iron, 1 litre.")
	if p := two.submit(edit, f2); p.Status != http.StatusSeeOther {
		t.Fatalf("the stale save of another field: %d %q", p.Status, textOf(p.Doc))
	}
	if got, want := saved(), "1300|Cast iron, 1 litre.|"+name; got != want {
		t.Errorf("after both saves: %q, want %q (neither undone)", got, want)
	}

	// Both change the price: the later one is refused, saying what the price is now.
	f1, f2 = formOf(one), formOf(two)
	f1.Set("price", "14.00")
	if p := one.submit(edit, f1); p.Status != http.StatusSeeOther {
		t.Fatalf("the first price: %d", p.Status)
	}
	f2.Set("price", "15.00")
	p := two.submit(edit, f2)
	if p.Status != http.StatusConflict || !strings.Contains(fieldError(p.Doc, "price"), "14.00") {
		t.Fatalf("two prices: %d, beside the price %q; want 409 naming 14.00", p.Status, fieldError(p.Doc, "price"))
	}
	if fieldError(p.Doc, "description") != "" || inputValue(p.Doc, "price") != "15.00" {
		t.Errorf("the form came back with price %q and a description message %q", inputValue(p.Doc, "price"), fieldError(p.Doc, "description"))
	}
	if got := ts.queryInt(t, `SELECT price_cents FROM products WHERE id = ?`, id); got != 1400 {
		t.Fatalf("price %d after the refused save, want 1400 kept", got)
	}
	again, _ := formByTestID(p.Doc, "product-form")
	again.Set("description", "Cast iron, 1 litre.")
	again.Set("vat_rate", "2000")
	if p := two.submit(edit, again); p.Status != http.StatusSeeOther {
		t.Fatalf("sent again: %d %q", p.Status, textOf(p.Doc))
	}
	if got := ts.queryInt(t, `SELECT price_cents FROM products WHERE id = ?`, id); got != 1500 {
		t.Errorf("price %d after sending again, want the admin's 1500", got)
	}

	// A browser sends a multi-line description, and what the form showed of it, with
	// CRLF line breaks: the same text, not a change to ask about.
	ts.exec(t, `UPDATE products SET description = 'Line one.' || char(10) || 'Line two.' WHERE id = ?`, id)
	f1, f2 = formOf(one), formOf(two)
	f2.Set("description", "Line one.\r\nLine three.")
	f2.Set("was_description", "Line one.\r\nLine two.")
	f1.Set("price", "16.00")
	if p := one.submit(edit, f1); p.Status != http.StatusSeeOther {
		t.Fatalf("the price: %d", p.Status)
	}
	if p := two.submit(edit, f2); p.Status != http.StatusSeeOther {
		t.Errorf("a stale form changing only the multi-line description: %d, beside it %q", p.Status, fieldError(p.Doc, "description"))
	}
	if got := saved(); got != "1600|Line one.\nLine three.|"+name {
		t.Errorf("after the price and the description: %q, want both", got)
	}

	// The same form sent twice: the second undoes nothing, and is saved.
	f3 := formOf(one)
	f3.Set("name", "Iron teapot")
	for i := range 2 {
		if p := one.submit(edit, f3); p.Status != http.StatusSeeOther {
			t.Errorf("the same form, time %d: %d", i+1, p.Status)
		}
	}
}

// A product that orders refer to is hidden, not deleted: that counts as a save, so a
// form opened before does not publish it again.
func TestAdminProduct_HiddenByDeleteStaysHiddenAfterAStaleSave(t *testing.T) {
	ts := startAdminShop(t)
	placeOrder(t, ts, ts.newShopper(t), "teapot", 1)
	one, two := ts.newShopper(t), ts.newShopper(t)
	adminLogin(t, one, adminEmail)
	adminLogin(t, two, adminEmail)
	id := ts.productID(t, "teapot")
	edit := fmt.Sprintf("/admin/products/%d", id)
	_, doc := one.get(edit)
	f, ok := formByTestID(doc, "product-form")
	if !ok || f.Get("published") != "1" {
		t.Fatalf("the edit form: %v, published %q", ok, f.Get("published"))
	}
	f.Set("description", ts.queryText(t, `SELECT description FROM products WHERE id = ?`, id))
	f.Set("vat_rate", "2000")
	two.get(edit)
	if p := two.submit(edit+"/delete", url.Values{"confirmed": {"1"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("delete: %d", p.Status)
	}
	f.Set("name", "Old teapot")
	if p := one.submit(edit, f); p.Status != http.StatusSeeOther {
		t.Fatalf("the stale save: %d %q", p.Status, textOf(p.Doc))
	}
	if got := ts.queryText(t, `SELECT name || '|' || published FROM products WHERE id = ?`, id); got != "Old teapot|0" {
		t.Errorf("after the stale save: %q, want the new name and still hidden", got)
	}
}
