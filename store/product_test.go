package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestSeedDemo_SeedsOnceWithEveryStockState(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	mustSeed(t, db)

	count := func(q string) int {
		t.Helper()
		var n int
		if err := db.R.QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	products := count(`SELECT count(*) FROM products WHERE published = 1`)
	categories := count(`SELECT count(DISTINCT category_id) FROM products WHERE category_id IS NOT NULL`)
	soldOut := count(`SELECT count(*) FROM products WHERE stock = 0`)
	low := count(`SELECT count(*) FROM products WHERE stock > 0 AND stock <= 5`)
	if products < 24 || categories < 4 || soldOut < 1 || low < 2 {
		t.Errorf("demo: %d products in %d categories, %d sold out, %d low; want ≥24 in ≥4, ≥1 sold out, a few low",
			products, categories, soldOut, low)
	}
	noImage := count(`SELECT count(*) FROM products WHERE image = ''`)
	if noImage != 0 {
		t.Errorf("%d demo products have no image", noImage)
	}

	again, err := db.SeedDemo(ctx)
	if err != nil || again {
		t.Errorf("second SeedDemo = %v, %v; want false, nil", again, err)
	}
	if n := count(`SELECT count(*) FROM products`); n != products {
		t.Errorf("second SeedDemo changed the product count from %d to %d", products, n)
	}
	if n := count(`SELECT count(*) FROM categories`); n != len(demoCatalogue) {
		t.Errorf("%d categories after two seeds, want %d", n, len(demoCatalogue))
	}
}

func TestSeedDemo_LeavesAnExistingCatalogueAlone(t *testing.T) {
	db := mustOpenStore(t)
	if _, err := db.W.Exec(`INSERT INTO products (slug, name, price_cents, vat_rate) VALUES ('own', 'Own product', 100, 2000)`); err != nil {
		t.Fatal(err)
	}
	seeded, err := db.SeedDemo(context.Background())
	if err != nil || seeded {
		t.Errorf("SeedDemo on a shop with products = %v, %v; want false, nil", seeded, err)
	}
	_, total, err := db.Products(context.Background(), ProductFilter{})
	if err != nil || total != 1 {
		t.Errorf("products after SeedDemo = %d, %v; want the shop's own 1", total, err)
	}
}

func slugs(ps []Product) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Slug
	}
	return out
}

func TestProducts_ListsFiltersAndPages(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	mustSeed(t, db)
	var all int
	for _, g := range demoCatalogue {
		all += len(g.products)
	}

	list, total, err := db.Products(ctx, ProductFilter{OnlyPublished: true, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if total != all || len(list) != all {
		t.Fatalf("published products: %d listed of %d, want %d", len(list), total, all)
	}
	if !slices.IsSortedFunc(list, func(a, b Product) int { return strings.Compare(a.Name, b.Name) }) {
		t.Errorf("listing is not ordered by name: %v", slugs(list))
	}

	// Pages cover the listing once, in order.
	var paged []string
	for off := 0; off < all; off += 10 {
		page, total, err := db.Products(ctx, ProductFilter{OnlyPublished: true, Limit: 10, Offset: off})
		if err != nil {
			t.Fatal(err)
		}
		if total != all {
			t.Errorf("total on page at %d = %d, want %d", off, total, all)
		}
		paged = append(paged, slugs(page)...)
	}
	if !slices.Equal(paged, slugs(list)) {
		t.Errorf("pages %v differ from the listing %v", paged, slugs(list))
	}

	// By category.
	kitchen, err := db.CategoryBySlug(ctx, "kitchen")
	if err != nil {
		t.Fatal(err)
	}
	inKitchen, total, err := db.Products(ctx, ProductFilter{CategoryID: kitchen.ID, OnlyPublished: true})
	if err != nil {
		t.Fatal(err)
	}
	if total == 0 || len(inKitchen) != total {
		t.Fatalf("kitchen: %d listed of %d", len(inKitchen), total)
	}
	for _, p := range inKitchen {
		if p.CategoryID != kitchen.ID || p.CategorySlug != "kitchen" || p.CategoryName != "Kitchen" {
			t.Errorf("%s in the kitchen listing has category %d %q", p.Slug, p.CategoryID, p.CategorySlug)
		}
	}

	// Unpublished products leave the shop's listings but stay reachable by id.
	if _, err := db.W.Exec(`UPDATE products SET published = 0 WHERE slug = 'mug'`); err != nil {
		t.Fatal(err)
	}
	_, pub, _ := db.Products(ctx, ProductFilter{OnlyPublished: true})
	_, any, _ := db.Products(ctx, ProductFilter{})
	if pub != all-1 || any != all {
		t.Errorf("after unpublishing one: %d published, %d in all; want %d and %d", pub, any, all-1, all)
	}
	_, err = db.PublishedProductBySlug(ctx, "mug")
	if ErrorCode(err) != NotFound {
		t.Errorf("PublishedProductBySlug(unpublished) error = %v, want NotFound", err)
	}
	var mugID int64
	db.R.QueryRow(`SELECT id FROM products WHERE slug = 'mug'`).Scan(&mugID)
	mug, err := db.ProductByID(ctx, mugID)
	if err != nil || mug.Published || mug.Slug != "mug" {
		t.Errorf("ProductByID(unpublished) = %+v, %v; want the product, unpublished", mug, err)
	}
}

func TestProducts_ReadsEveryField(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	mustSeed(t, db)
	p, err := db.PublishedProductBySlug(ctx, "honey")
	if err != nil {
		t.Fatal(err)
	}
	if p.ID == 0 || p.Name != "Lavender Honey" || p.PriceCents != 1120 || p.VATRate != 550 || p.Stock != 2 ||
		p.Image != "img/products/honey.svg" || p.CategorySlug != "coffee-tea" || !p.Published || p.Description == "" {
		t.Errorf("honey = %+v", p)
	}
	byID, err := db.ProductByID(ctx, p.ID)
	if err != nil || byID != p {
		t.Errorf("ProductByID = %+v, %v; want %+v", byID, err, p)
	}
}

func TestProducts_NotFound(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	mustSeed(t, db)
	tests := []struct {
		name string
		call func() error
	}{
		{"slug", func() error { _, err := db.PublishedProductBySlug(ctx, "no-such"); return err }},
		{"id", func() error { _, err := db.ProductByID(ctx, 987654); return err }},
		{"category", func() error { _, err := db.CategoryBySlug(ctx, "no-such"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if ErrorCode(err) != NotFound || ErrorMessage(err) == "" {
				t.Errorf("error = %v (code %s), want NotFound with a message", err, ErrorCode(err))
			}
		})
	}
}

func TestCategories_InDisplayOrder(t *testing.T) {
	db := mustOpenStore(t)
	mustSeed(t, db)
	cats, err := db.Categories(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(cats) != len(demoCatalogue) {
		t.Fatalf("%d categories, want %d", len(cats), len(demoCatalogue))
	}
	for i, c := range cats {
		if c.Slug != demoCatalogue[i].cat.Slug || c.Position != demoCatalogue[i].cat.Position {
			t.Errorf("category %d = %s (position %d), want %s", i, c.Slug, c.Position, demoCatalogue[i].cat.Slug)
		}
	}
}

func TestProducts_SearchIgnoresCaseAndAccents(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	mustSeed(t, db)
	tests := []struct {
		q    string
		want []string // slugs that must be found
		none bool     // nothing may be found
	}{
		{q: "cafe", want: []string{"cafe-moulu"}},
		{q: "CAFÉ", want: []string{"cafe-moulu"}},
		{q: "Café", want: []string{"cafe-moulu"}},
		{q: "caf", want: []string{"cafe-moulu"}},
		{q: "café moulu", want: []string{"cafe-moulu"}},
		{q: "  MOULU  ", want: []string{"cafe-moulu"}},
		{q: "cafe\u0301", want: []string{"cafe-moulu"}},       // é typed as e and a combining accent
		{q: "CAFE\u0301 MOULU", want: []string{"cafe-moulu"}}, // the same, then another word
		{q: "mou\u0300lu", want: []string{"cafe-moulu"}},      // a combining mark inside a word
		{q: "\u0301", none: true},                             // an accent alone is no word
		{q: "tea", want: []string{"green-tea", "teapot"}},
		{q: "french", want: []string{"cafe-moulu", "french-press"}},
		{q: "zzzzqx", none: true},
		{q: "cafe teapot", none: true}, // every word must match
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			got, total, err := db.Products(ctx, ProductFilter{Query: tt.q, OnlyPublished: true})
			if err != nil {
				t.Fatalf("search %q: %v", tt.q, err)
			}
			if total != len(got) {
				t.Errorf("total %d, listed %d", total, len(got))
			}
			for _, w := range tt.want {
				if !slices.Contains(slugs(got), w) {
					t.Errorf("search %q found %v, not %s", tt.q, slugs(got), w)
				}
			}
			if tt.none && len(got) != 0 {
				t.Errorf("search %q found %v, want nothing", tt.q, slugs(got))
			}
		})
	}
}

func TestProducts_SearchFollowsRenames(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	mustSeed(t, db)
	if _, err := db.W.Exec(`UPDATE products SET name = 'Œuvre Torréfiée' WHERE slug = 'espresso-beans'`); err != nil {
		t.Fatal(err)
	}
	got, _, err := db.Products(ctx, ProductFilter{Query: "torrefiee"})
	if err != nil || !slices.Contains(slugs(got), "espresso-beans") {
		t.Errorf("search after rename = %v, %v; want espresso-beans", slugs(got), err)
	}
	if got, _, _ := db.Products(ctx, ProductFilter{Query: "espresso beans"}); slices.Contains(slugs(got), "espresso-beans") {
		t.Errorf("search still finds the old name")
	}
	if _, err := db.W.Exec(`DELETE FROM products WHERE slug = 'espresso-beans'`); err != nil {
		t.Fatal(err)
	}
	if got, _, err := db.Products(ctx, ProductFilter{Query: "torrefiee"}); err != nil || len(got) != 0 {
		t.Errorf("search after delete = %v, %v; want nothing", slugs(got), err)
	}
}

func TestProducts_SearchNeverFailsOnFTSSyntax(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	mustSeed(t, db)
	inputs := []string{
		`"`, `""`, `*`, `**`, `OR`, `AND`, `NOT`, `NEAR`, `(`, `)`, `()`, `cafe OR tea`, `cafe AND`, `NOT cafe`,
		`"cafe`, `cafe"`, `cafe*`, `*cafe`, `NEAR(cafe tea)`, `name:cafe`, `{name}: cafe`, `-cafe`, `+cafe`,
		`^cafe`, `cafe:`, `'`, `\`, `%`, `_`, `;DROP TABLE products;--`, "caf\x00e", "\xff\xfe", `😀 cafe`,
		strings.Repeat("a ", 200), strings.Repeat("é", 300), `a b c d e f g h i j k l`,
	}
	for _, q := range inputs {
		if _, _, err := db.Products(ctx, ProductFilter{Query: q, OnlyPublished: true, Limit: 5}); err != nil {
			t.Errorf("search %q: %v", q, err)
		}
	}
	// Syntax characters around a word do not stop it from matching.
	for _, q := range []string{`"cafe"`, `cafe*`, `(cafe)`, `cafe)`} {
		got, _, err := db.Products(ctx, ProductFilter{Query: q})
		if err != nil || !slices.Contains(slugs(got), "cafe-moulu") {
			t.Errorf("search %q = %v, %v; want cafe-moulu", q, slugs(got), err)
		}
	}
	var n int
	db.R.QueryRow(`SELECT count(*) FROM products`).Scan(&n)
	if n == 0 {
		t.Errorf("products are gone")
	}
}

func TestStockOf(t *testing.T) {
	tests := []struct {
		stock       int
		text, level string
	}{
		{-1, "Sold out", "out"},
		{0, "Sold out", "out"},
		{1, "Only 1 left", "low"},
		{LowStock, "Only 5 left", "low"},
		{LowStock + 1, "6 left in stock", "ok"},
		{999, "999 left in stock", "ok"},
		{1000, "1000 left in stock", "ok"},
	}
	for _, tt := range tests {
		if got := StockOf(tt.stock); got.Text != tt.text || got.Level != tt.level {
			t.Errorf("StockOf(%d) = %+v, want %q %q", tt.stock, got, tt.text, tt.level)
		}
	}
}

func TestFormatCents(t *testing.T) {
	tests := []struct {
		cents int64
		want  string
	}{
		{0, "€0.00"}, {5, "€0.05"}, {10, "€0.10"}, {99, "€0.99"}, {100, "€1.00"}, {1290, "€12.90"},
		{123450, "€1,234.50"}, {100000000, "€1,000,000.00"}, {-1, "-€0.01"}, {-123456, "-€1,234.56"},
	}
	for _, tt := range tests {
		if got := FormatCents(tt.cents); got != tt.want {
			t.Errorf("FormatCents(%d) = %q, want %q", tt.cents, got, tt.want)
		}
	}
}

func TestFormatMoney(t *testing.T) {
	tests := []struct {
		cents    int64
		currency string
		want     string
	}{{1440, "EUR", "€14.40"}, {1440, "", "€14.40"}, {1440, "USD", "14.40 USD"}, {-123456, "GBP", "-1,234.56 GBP"}}
	for _, tt := range tests {
		if got := FormatMoney(tt.cents, tt.currency); got != tt.want {
			t.Errorf("FormatMoney(%d, %q) = %q, want %q", tt.cents, tt.currency, got, tt.want)
		}
	}
}

func TestFormatRate(t *testing.T) {
	tests := []struct {
		bp   int
		want string
	}{{0, "0%"}, {210, "2.1%"}, {550, "5.5%"}, {1000, "10%"}, {2000, "20%"}, {1234, "12.34%"}, {105, "1.05%"}}
	for _, tt := range tests {
		if got := FormatRate(tt.bp); got != tt.want {
			t.Errorf("FormatRate(%d) = %q, want %q", tt.bp, got, tt.want)
		}
	}
}

func TestErrorCodeAndMessage(t *testing.T) {
	nf := Errorf(NotFound, "No %s here.", "thing")
	wrapped := &Error{Code: Conflict, Message: "Taken.", Err: context.Canceled}
	tests := []struct {
		name string
		err  error
		code Code
		msg  string
	}{
		{"store error", nf, NotFound, "No thing here."},
		{"wrapped twice", wrapError(nf), NotFound, "No thing here."},
		{"with cause", wrapped, Conflict, "Taken."},
		{"plain error", context.DeadlineExceeded, Internal, "Something went wrong on our side. Please try again in a moment."},
		{"internal store error", Errorf(Internal, "secret detail"), Internal, "Something went wrong on our side. Please try again in a moment."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ErrorCode(tt.err); got != tt.code {
				t.Errorf("code = %s, want %s", got, tt.code)
			}
			if got := ErrorMessage(tt.err); got != tt.msg {
				t.Errorf("message = %q, want %q", got, tt.msg)
			}
		})
	}
	if !strings.Contains(wrapped.Error(), "context canceled") {
		t.Errorf("Error() = %q should include the cause for logs", wrapped.Error())
	}
}

type wrapper struct{ err error }

func (w wrapper) Error() string { return "outer: " + w.err.Error() }
func (w wrapper) Unwrap() error { return w.err }

func wrapError(err error) error { return wrapper{wrapper{err}} }

// TestProductPage_SearchOrder: products whose name holds the words whole come first, then
// those whose name holds them as word beginnings, then those that hold them only in their
// description, newest first within each; pages split anywhere, even inside or after a
// group, and never repeat or skip one.
func TestProductPage_SearchOrder(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	var kitchen int64
	if err := db.W.QueryRow(`INSERT INTO categories (slug, name) VALUES ('kitchen', 'Kitchen') RETURNING id`).Scan(&kitchen); err != nil {
		t.Fatal(err)
	}
	// Inserted interleaved (ids ascending): 30 "Blue Mug n" with a category every third,
	// 20 "Plate n" that mention a mug, 5 unpublished mugs, 8 "Bluest Mugs n" and products
	// without mugs.
	insert := func(slug, name, desc string, published bool, cat any) {
		t.Helper()
		if _, err := db.W.Exec(`INSERT INTO products (slug, name, description, price_cents, vat_rate, stock, published, category_id)
			VALUES (?, ?, ?, 100, 2000, 5, ?, ?)`, slug, name, desc, published, cat); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 30 {
		var cat any
		if i%3 == 0 {
			cat = kitchen
		}
		insert(fmt.Sprintf("mug-%d", i), fmt.Sprintf("Blue Mug %d", i), "stoneware", true, cat)
		if i < 20 {
			insert(fmt.Sprintf("plate-%d", i), fmt.Sprintf("Plate %d", i), "goes with the blue mug", true, nil)
		}
		if i < 5 {
			insert(fmt.Sprintf("hidden-mug-%d", i), "Hidden Mug", "blue mug", false, nil)
		}
		if i < 8 {
			insert(fmt.Sprintf("mugs-%d", i), fmt.Sprintf("Bluest Mugs %d", i), "a set", true, nil)
		}
		insert(fmt.Sprintf("bowl-%d", i), "Bowl", "blue", true, nil)
	}
	var want []string
	for i := 29; i >= 0; i-- {
		want = append(want, fmt.Sprintf("mug-%d", i))
	}
	for i := 7; i >= 0; i-- {
		want = append(want, fmt.Sprintf("mugs-%d", i))
	}
	for i := 19; i >= 0; i-- {
		want = append(want, fmt.Sprintf("plate-%d", i))
	}
	for _, size := range []int{7, 24, 30, 37, 50, 60} {
		var got []string
		for page := 0; ; page++ {
			list, more, err := db.ProductPage(ctx, ProductFilter{Query: "MUG blue", OnlyPublished: true, Limit: size, Offset: page * size})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) > size || (more && len(list) != size) {
				t.Fatalf("page %d of %d: %d products, more=%v", page, size, len(list), more)
			}
			got = append(got, slugs(list)...)
			if !more {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("pages of %d: %v\nwant %v", size, got, want)
		}
	}
	// A page that starts past the first groups skips the right number of the next.
	for _, off := range []int{31, 38, 40, 50} {
		list, more, err := db.ProductPage(ctx, ProductFilter{Query: "blue mug", OnlyPublished: true, Limit: 5, Offset: off})
		if end := min(off+5, len(want)); err != nil || more != (end < len(want)) || !slices.Equal(slugs(list), want[off:end]) {
			t.Errorf("offset %d: %v more=%v err=%v; want %v", off, slugs(list), more, err, want[off:end])
		}
	}
	list, more, err := db.ProductPage(ctx, ProductFilter{Query: "mug", OnlyPublished: true, Limit: 5, Offset: 58})
	if err != nil || more || len(list) != 0 {
		t.Errorf("past the end: %v more=%v err=%v", slugs(list), more, err)
	}
	inKitchen, _, err := db.ProductPage(ctx, ProductFilter{Query: "mug", OnlyPublished: true, Limit: 24, CategoryID: kitchen})
	if err != nil || !slices.Equal(slugs(inKitchen), []string{"mug-27", "mug-24", "mug-21", "mug-18", "mug-15", "mug-12", "mug-9", "mug-6", "mug-3", "mug-0"}) {
		t.Errorf("in a category: %v, %v", slugs(inKitchen), err)
	}
}

// TestPublishedProduct_CategoryFromTheList: a product's category comes from the shop's
// category list, and a change the admin area makes shows on the next read.
func TestPublishedProduct_CategoryFromTheList(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	mustSeed(t, db)
	honey, err := db.PublishedProductBySlug(ctx, "honey")
	if err != nil || honey.CategorySlug != "coffee-tea" {
		t.Fatalf("honey = %+v, %v", honey, err)
	}
	cat, err := db.CategoryByID(ctx, honey.CategoryID)
	if err != nil {
		t.Fatal(err)
	}
	cat.Name, cat.Slug = "Tea & Coffee", "tea-coffee"
	if err := db.UpdateCategory(ctx, &cat); err != nil {
		t.Fatal(err)
	}
	honey, err = db.PublishedProductBySlug(ctx, "honey")
	if err != nil || honey.CategorySlug != "tea-coffee" || honey.CategoryName != "Tea & Coffee" {
		t.Errorf("after renaming its category, honey = %+v, %v; want tea-coffee, Tea & Coffee", honey, err)
	}

	if _, err := db.W.Exec(`UPDATE products SET category_id = NULL WHERE slug = 'honey'`); err != nil {
		t.Fatal(err)
	}
	honey, err = db.PublishedProductBySlug(ctx, "honey")
	if err != nil || honey.CategoryID != 0 || honey.CategorySlug != "" || honey.CategoryName != "" {
		t.Errorf("without a category, honey = %+v, %v; want no category", honey, err)
	}
}

// A product page reads by the id its slug led to before, but never trusts it: a slug
// changed, given to another product or unpublished behind this process's back (another
// process sharing the database) shows what the database says now.
func TestPublishedProduct_SlugHintsAreChecked(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	mustSeed(t, db)
	name := func(slug string) string {
		t.Helper()
		p, err := db.PublishedProductBySlug(ctx, slug)
		if ErrorCode(err) == NotFound {
			return "not found"
		}
		if err != nil {
			t.Fatalf("%s: %v", slug, err)
		}
		if p.Slug != slug {
			t.Errorf("%s: got the product of slug %q", slug, p.Slug)
		}
		return p.Name
	}
	exec := func(q string) {
		t.Helper()
		if _, err := db.W.Exec(q); err != nil {
			t.Fatal(err)
		}
	}

	if got := name("honey"); got != "Lavender Honey" {
		t.Fatalf("honey = %q", got)
	}
	honeyID, ok := db.slugs.get("honey")
	if !ok {
		t.Fatal("no hint kept for honey after its page")
	}

	// honey's slug goes to jam, and honey gets another one.
	exec(`UPDATE products SET slug = 'old-honey' WHERE slug = 'honey'`)
	exec(`UPDATE products SET slug = 'honey' WHERE slug = 'jam'`)
	if got := name("honey"); got != "Apricot Jam" {
		t.Errorf("after the slug went to jam, honey = %q, want Apricot Jam", got)
	}
	if id, _ := db.slugs.get("honey"); id == honeyID {
		t.Errorf("the hint still says %d, the product that lost the slug", id)
	}
	if got := name("old-honey"); got != "Lavender Honey" {
		t.Errorf("old-honey = %q, want Lavender Honey", got)
	}

	exec(`UPDATE products SET published = 0 WHERE slug = 'old-honey'`)
	if got := name("old-honey"); got != "not found" {
		t.Errorf("unpublished, old-honey = %q, want not found", got)
	}
	if _, ok := db.slugs.get("old-honey"); ok {
		t.Error("the hint of an unpublished product is kept")
	}
	exec(`DELETE FROM products WHERE slug = 'honey'`)
	if got := name("honey"); got != "not found" {
		t.Errorf("deleted, honey = %q, want not found", got)
	}
	if _, ok := db.slugs.get("honey"); ok {
		t.Error("the hint of a deleted product is kept")
	}

	// A failed read is an error, not "not found", and leaves the hint as it was.
	if got := name("mug"); got == "not found" {
		t.Fatal("mug not found")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.PublishedProductBySlug(cancelled, "mug"); err == nil || ErrorCode(err) == NotFound {
		t.Errorf("with a cancelled context: %v (code %s), want an error other than NotFound", err, ErrorCode(err))
	}
	if _, ok := db.slugs.get("mug"); !ok {
		t.Error("a failed read dropped mug's hint")
	}
}

// Pages read and write the hints at once, across the map starting over when full
// (run with -race).
func TestSlugHints_Concurrent(t *testing.T) {
	var h slugHints
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range slugHintsSize / 2 {
				slug := fmt.Sprint("p-", g, "-", i)
				h.put(slug, int64(i))
				if id, ok := h.get(slug); ok && id != int64(i) {
					t.Errorf("%s = %d, want %d", slug, id, i)
					return
				}
				if i%7 == 0 {
					h.forget(slug)
				}
			}
		}()
	}
	wg.Wait()
	if n := len(h.ids); n == 0 || n > slugHintsSize {
		t.Errorf("%d hints kept, want between 1 and %d", n, slugHintsSize)
	}
}

// The hints stay bounded: a full map starts over rather than grow.
func TestSlugHints_ForgetWhenFull(t *testing.T) {
	var h slugHints
	for i := range slugHintsSize {
		h.put(fmt.Sprint("p-", i), int64(i))
	}
	if id, ok := h.get("p-7"); !ok || id != 7 {
		t.Fatalf("p-7 = %d, %v before the map is full", id, ok)
	}
	h.put("one-more", 1)
	if _, ok := h.get("p-7"); ok || len(h.ids) != 1 {
		t.Errorf("after one more than %d hints, %d kept; want only the newest", slugHintsSize, len(h.ids))
	}
	if id, ok := h.get("one-more"); !ok || id != 1 {
		t.Errorf("one-more = %d, %v", id, ok)
	}
}

// WarmSlugHints gives every product its hint, published or not, and keeps the hints
// pages put there before it.
func TestWarmSlugHints(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	mustSeed(t, db)
	// More products than one batch of the warm-up holds, so that batches follow batches.
	if _, err := db.W.Exec(`WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < 2500)
		INSERT INTO products (slug, name, price_cents, vat_rate, published) SELECT 'p-' || n, 'P ' || n, 100, 2000, 1 FROM i`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.W.Exec(`UPDATE products SET published = 0 WHERE slug = 'jam'`); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{}
	rows, err := db.R.Query(`SELECT slug, id FROM products`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var slug string
		var id int64
		if err := rows.Scan(&slug, &id); err != nil {
			t.Fatal(err)
		}
		want[slug] = id
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if len(want) < 2500 || want["jam"] == 0 || want["honey"] == 0 || want["p-2500"] == 0 {
		t.Fatalf("catalogue of %d products, jam %d, honey %d, p-2500 %d", len(want), want["jam"], want["honey"], want["p-2500"])
	}

	db.slugs.put("honey", 999_999) // put by a page after a change this read predates
	n, err := db.WarmSlugHints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(want)-1 {
		t.Errorf("%d hints added, want %d (all products but honey)", n, len(want)-1)
	}
	for slug, id := range want {
		got, ok := db.slugs.get(slug)
		if slug == "honey" {
			id = 999_999
		}
		if !ok || got != id {
			t.Errorf("%s: hint %d, %v; want %d", slug, got, ok, id)
		}
	}
	// The stale hint costs a search of the index, nothing else.
	if p, err := db.PublishedProductBySlug(ctx, "honey"); err != nil || p.ID != want["honey"] {
		t.Errorf("honey = id %d, %v; want id %d", p.ID, err, want["honey"])
	}
	if _, err := db.PublishedProductBySlug(ctx, "jam"); ErrorCode(err) != NotFound {
		t.Errorf("unpublished jam: %v, want NotFound", err)
	}
}

// Warming fills the map only up to slugHintsWarm and never starts it over: the hints
// already there stay, and pages of new products still find room.
func TestSlugHints_WarmStopsShortOfFull(t *testing.T) {
	var h slugHints
	h.put("kept", 7)
	slugs := make([]string, slugHintsSize)
	ids := make([]int64, slugHintsSize)
	for i := range slugs {
		slugs[i], ids[i] = fmt.Sprint("p-", i), int64(i)
	}
	if n := h.add(slugs, ids); n != slugHintsWarm-1 {
		t.Errorf("%d added, want %d", n, slugHintsWarm-1)
	}
	if len(h.ids) != slugHintsWarm {
		t.Errorf("%d hints, want %d", len(h.ids), slugHintsWarm)
	}
	if id, ok := h.get("kept"); !ok || id != 7 {
		t.Errorf("kept = %d, %v; want 7", id, ok)
	}
	if id, ok := h.get("p-0"); !ok || id != 0 {
		t.Errorf("p-0 = %d, %v; want 0", id, ok)
	}
	if _, ok := h.get(fmt.Sprint("p-", slugHintsWarm)); ok {
		t.Error("a hint past slugHintsWarm was added")
	}
}
