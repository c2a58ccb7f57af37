package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSlugify(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Espresso Beans", "espresso-beans"},
		{"Café Crème", "cafe-creme"},
		{"  Œufs & Bœuf — 100 % ", "oeufs-boeuf-100"},
		{"Straße", "strasse"},
		{"<script>alert(1)</script>", "script-alert-1-script"},
		{"日本茶", ""},
		{"---", ""},
		{strings.Repeat("word ", 30), strings.TrimSuffix(strings.Repeat("word-", 16), "-")},
	}
	for _, tt := range tests {
		if got := Slugify(tt.in); got != tt.want {
			t.Errorf("Slugify(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := Slugify(tt.in); got != "" && !ValidSlug(got) {
			t.Errorf("Slugify(%q) = %q, which ValidSlug refuses", tt.in, got)
		}
	}
}

func TestParseEuros(t *testing.T) {
	ok := []struct {
		in   string
		want int64
	}{
		{"12", 1200}, {"12.5", 1250}, {"12,5", 1250}, {"12.50", 1250}, {"12,50", 1250}, {"0,99", 99},
		{"€12.50", 1250}, {"12,50 €", 1250}, {" 7 EUR", 700}, {"1 234,50", 123450}, {"1\u00a0234", 123400},
		{"1000000", 100_000_000}, {"007.10", 710},
	}
	for _, tt := range ok {
		if got, err := ParseEuros(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseEuros(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	bad := []struct{ in, message string }{
		{"", "Enter a price"},
		{"12,345", "at most two decimals"},
		{"12.345", "at most two decimals"},
		{"1,234.50", "one decimal separator"},
		{"-5", "cannot be negative"},
		{"-0,50", "cannot be negative"},
		{"1000000.01", "at most €1,000,000.00"},
		{"99999999999999999999", "at most €1,000,000.00"},
		{"0", "more than zero"},
		{"0,00", "more than zero"},
		{"12.", "such as 12.50"},
		{",50", "such as 12.50"},
		{"12 34", "such as 12.50"},
		{"1e3", "such as 12.50"},
		{"twelve", "such as 12.50"},
		{"+12", "such as 12.50"},
	}
	for _, tt := range bad {
		_, err := ParseEuros(tt.in)
		if ErrorCode(err) != Invalid || !strings.Contains(ErrorMessage(err), tt.message) {
			t.Errorf("ParseEuros(%q) error = %v; want Invalid saying %q", tt.in, err, tt.message)
		}
	}
	for _, cents := range []int64{1, 99, 1250, 100_000_000} {
		if got, err := ParseEuros(CentsInput(cents)); err != nil || got != cents {
			t.Errorf("ParseEuros(CentsInput(%d)) = %d, %v", cents, got, err)
		}
	}
}

func newProduct(name string, stock int) Product {
	return Product{Name: name, PriceCents: 1000, VATRate: 2000, Stock: stock, Published: true}
}

func TestCreateProduct_GeneratesUniqueSlugsAndRecordsOpeningStock(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	var slugs []string
	for range 3 {
		p := newProduct("Café Crème", 7)
		if err := db.CreateProduct(ctx, &p, "boss@example.com", ""); err != nil {
			t.Fatal(err)
		}
		slugs = append(slugs, p.Slug)
	}
	if want := []string{"cafe-creme", "cafe-creme-2", "cafe-creme-3"}; !slices.Equal(slugs, want) {
		t.Errorf("slugs = %v, want %v", slugs, want)
	}
	p, err := db.PublishedProductBySlug(ctx, "cafe-creme-2")
	if err != nil || p.Stock != 7 {
		t.Fatalf("the shop sees %+v, %v", p, err)
	}
	moves, err := db.StockMovements(ctx, p.ID, 10)
	if err != nil || len(moves) != 1 || moves[0].Delta != 7 || moves[0].Actor != "boss@example.com" || moves[0].Reason == "" {
		t.Errorf("movements = %+v, %v; want the opening stock by boss", moves, err)
	}
}

func TestCreateProduct_TypedSlugMustBeFree(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	a := newProduct("Mug", 1)
	a.Slug = "mug"
	if err := db.CreateProduct(ctx, &a, "x", ""); err != nil {
		t.Fatal(err)
	}
	b := newProduct("Other mug", 1)
	b.Slug = "mug"
	if err := db.CreateProduct(ctx, &b, "x", ""); !errors.Is(err, ErrSlugTaken) {
		t.Errorf("a taken slug: %v, want ErrSlugTaken", err)
	}
	// Updating a product with its own slug is not a conflict; taking another's is.
	a.Name = "Big mug"
	if err := db.UpdateProduct(ctx, &a, StockCount{}, ""); err != nil {
		t.Errorf("update keeping its slug: %v", err)
	}
	b.Slug = ""
	if err := db.CreateProduct(ctx, &b, "x", ""); err != nil || b.Slug != "other-mug" {
		t.Fatalf("create with a generated slug = %q, %v", b.Slug, err)
	}
	b.Slug = "mug"
	if err := db.UpdateProduct(ctx, &b, StockCount{}, ""); !errors.Is(err, ErrSlugTaken) {
		t.Errorf("update to a taken slug: %v, want ErrSlugTaken", err)
	}
}

// A save counts in the product's edits; a save against an older count is refused and
// changes nothing. Stock adjustments (orders, the stock form) are not edits.
func TestUpdateProductSeen_RefusesAFormOpenedBeforeAnotherSave(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	p := newProduct("Mug", 5)
	if err := db.CreateProduct(ctx, &p, "x", ""); err != nil {
		t.Fatal(err)
	}
	seen, err := db.ProductEdits(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AdjustStock(ctx, p.ID, 3, "received", "x", NewFormKey()); err != nil {
		t.Fatal(err)
	}
	p.Name = "Big mug"
	if err := db.UpdateProductSeen(ctx, &p, StockCount{}, "", seen); err != nil {
		t.Fatalf("a save after a stock adjustment: %v", err)
	}
	p.Name = "Small mug"
	var meanwhile *EditedMeanwhileError
	if err := db.UpdateProductSeen(ctx, &p, StockCount{}, "", seen); !errors.As(err, &meanwhile) {
		t.Fatalf("a save against an older count: %v, want EditedMeanwhileError", err)
	}
	if got, _ := db.ProductByID(ctx, p.ID); got.Name != "Big mug" {
		t.Errorf("the refused save changed the name to %q", got.Name)
	}
	if err := db.UpdateProductSeen(ctx, &p, StockCount{}, "", seen+1); err != nil {
		t.Errorf("a save against the current count: %v", err)
	}
}

func TestAdjustStock_RecordsWhoAndWhyAndNeverGoesBelowZero(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	p := newProduct("Mug", 5)
	if err := db.CreateProduct(ctx, &p, "boss@example.com", ""); err != nil {
		t.Fatal(err)
	}
	if after, err := db.AdjustStock(ctx, p.ID, 10, "Delivery received", "clerk@example.com", ""); err != nil || after != 15 {
		t.Fatalf("AdjustStock(+10) = %d, %v", after, err)
	}
	if after, err := db.AdjustStock(ctx, p.ID, -2, "Broken", "clerk@example.com", ""); err != nil || after != 13 {
		t.Fatalf("AdjustStock(-2) = %d, %v", after, err)
	}
	if _, err := db.AdjustStock(ctx, p.ID, -14, "Too many", "clerk@example.com", ""); ErrorCode(err) != Invalid ||
		!strings.Contains(ErrorMessage(err), "Only 13 in stock") {
		t.Errorf("removing more than there is: %v", err)
	}
	if _, err := db.AdjustStock(ctx, 9999, 1, "x", "x", ""); ErrorCode(err) != NotFound {
		t.Errorf("unknown product: %v", err)
	}
	got, _ := db.ProductByID(ctx, p.ID)
	moves, _ := db.StockMovements(ctx, p.ID, 10)
	if got.Stock != 13 || len(moves) != 3 {
		t.Fatalf("stock %d with %d movements, want 13 and 3", got.Stock, len(moves))
	}
	if m := moves[0]; m.Delta != -2 || m.StockAfter != 13 || m.Reason != "Broken" || m.Actor != "clerk@example.com" || m.At.IsZero() {
		t.Errorf("latest movement = %+v", m)
	}
}

type fakeOrders map[int64]bool

func (f fakeOrders) ProductInOrders(_ context.Context, _ *Tx, id int64) (bool, error) {
	return f[id], nil
}

func TestRemoveProduct_UnpublishesWhatOrdersReferTo(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	ordered, unsold := newProduct("Ordered", 1), newProduct("Unsold", 1)
	ordered.Image, unsold.Image = "media/products/a.png", "media/products/b.png"
	for _, p := range []*Product{&ordered, &unsold} {
		if err := db.CreateProduct(ctx, p, "x", ""); err != nil {
			t.Fatal(err)
		}
	}
	refs := fakeOrders{ordered.ID: true}
	deleted, _, err := db.RemoveProduct(ctx, ordered.ID, refs)
	if err != nil || deleted {
		t.Fatalf("remove an ordered product = %v, %v; want unpublished", deleted, err)
	}
	if p, err := db.ProductByID(ctx, ordered.ID); err != nil || p.Published {
		t.Errorf("ordered product after removal: %+v, %v; want kept, unpublished", p, err)
	}
	deleted, image, err := db.RemoveProduct(ctx, unsold.ID, refs)
	if err != nil || !deleted || image != "media/products/b.png" {
		t.Fatalf("remove an unsold product = %v, %q, %v", deleted, image, err)
	}
	if _, err := db.ProductByID(ctx, unsold.ID); ErrorCode(err) != NotFound {
		t.Errorf("deleted product still found: %v", err)
	}
	// Without a way to ask, nothing is deleted.
	other := newProduct("Other", 0)
	db.CreateProduct(ctx, &other, "x", "")
	if deleted, _, err := db.RemoveProduct(ctx, other.ID, nil); err != nil || deleted {
		t.Errorf("remove without order information = %v, %v; want unpublished only", deleted, err)
	}
}

func TestAdminProducts_Filters(t *testing.T) {
	db := mustOpenStore(t)
	mustSeed(t, db)
	ctx := context.Background()
	db.W.Exec(`UPDATE products SET published = 0 WHERE slug = 'mug'`)
	kitchen, _ := db.CategoryBySlug(ctx, "kitchen")
	count := func(f AdminProductFilter) int {
		t.Helper()
		_, n, err := db.AdminProducts(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	var all, published, hidden, low, lowKitchen int
	db.R.QueryRow(`SELECT count(*), sum(published), sum(1 - published), sum(stock <= 5),
		sum(stock <= 5 AND category_id = ?) FROM products`, kitchen.ID).Scan(&all, &published, &hidden, &low, &lowKitchen)
	tests := []struct {
		name string
		f    AdminProductFilter
		want int
	}{
		{"everything", AdminProductFilter{}, all},
		{"published", AdminProductFilter{Published: "yes"}, published},
		{"hidden", AdminProductFilter{Published: "no"}, hidden},
		{"low stock", AdminProductFilter{LowStock: true}, low},
		{"low stock in kitchen", AdminProductFilter{LowStock: true, CategoryID: kitchen.ID}, lowKitchen},
		{"words without accents", AdminProductFilter{Query: "cafe moulu"}, 1},
		{"part of a slug", AdminProductFilter{Query: "oil"}, 1},
		{"LIKE wildcards are literal", AdminProductFilter{Query: "%"}, 0},
	}
	for _, tt := range tests {
		if got := count(tt.f); got != tt.want {
			t.Errorf("%s: %d products, want %d", tt.name, got, tt.want)
		}
	}
	page, total, _ := db.AdminProducts(ctx, AdminProductFilter{Limit: 5, Offset: 5})
	if len(page) != 5 || total != all {
		t.Errorf("page 2 of 5: %d rows of %d", len(page), total)
	}
}

func TestMoveCategory_SwapsWithItsNeighbour(t *testing.T) {
	db := mustOpenStore(t)
	mustSeed(t, db)
	ctx := context.Background()
	order := func() []string {
		cats, _ := db.Categories(ctx)
		var out []string
		for _, c := range cats {
			out = append(out, c.Slug)
		}
		return out
	}
	before := order()
	bakery, _ := db.CategoryBySlug(ctx, before[2])
	if err := db.MoveCategory(ctx, bakery.ID, true); err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(before)
	want[1], want[2] = want[2], want[1]
	if got := order(); !slices.Equal(got, want) {
		t.Errorf("after moving %s up: %v, want %v", before[2], got, want)
	}
	first, _ := db.CategoryBySlug(ctx, want[0])
	if err := db.MoveCategory(ctx, first.ID, true); err != nil || !slices.Equal(order(), want) {
		t.Errorf("moving the first up changes %v (%v)", order(), err)
	}
	if err := db.MoveCategory(ctx, 9999, false); ErrorCode(err) != NotFound {
		t.Errorf("unknown category: %v", err)
	}
	if err := db.CreateCategory(ctx, &Category{Name: "KITCHEN"}); !errors.Is(err, ErrCategoryNameTaken) {
		t.Errorf("a second Kitchen: %v, want ErrCategoryNameTaken", err)
	}
	c := Category{Name: "Kitchen!"} // another name, the same slug: the next free one
	if err := db.CreateCategory(ctx, &c); err != nil || c.Slug != "kitchen-2" || c.Position != len(before)+1 {
		t.Errorf("CreateCategory = %+v, %v; want slug kitchen-2 at the end", c, err)
	}
}

// Orders' moves sit among the admin's by time; the stock after each is counted back
// from the stock now, and again from each admin move's recorded stock after, so a
// change nobody recorded shows where it happened rather than shifting every older line.
func TestMergeMoves_CountsBackFromTheNearestRecordedStock(t *testing.T) {
	at := func(min int) time.Time { return time.Date(2026, 6, 15, 10, min, 0, 0, time.UTC) }
	admin := []StockMovement{
		{Delta: -1, StockAfter: 13, Reason: "Broken", At: at(30)},
		{Delta: +10, StockAfter: 16, Reason: "Delivery", At: at(10)},
	}
	orders := []StockMovement{
		{Delta: +1, Order: "B", At: at(50)},
		{Delta: -1, Order: "B", At: at(40)},
		{Delta: -2, Order: "A", At: at(20)},
	}
	// 100 came in unrecorded after the last move: the stock now is 113.
	got := mergeMoves(admin, orders, 10, 113)
	var lines []string
	for _, m := range got {
		lines = append(lines, fmt.Sprintf("%s%s %+d → %d", m.Order, m.Reason, m.Delta, m.StockAfter))
	}
	want := []string{"B +1 → 113", "B -1 → 112", "Broken -1 → 13", "A -2 → 14", "Delivery +10 → 16"}
	if !slices.Equal(lines, want) {
		t.Errorf("merged:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if got := mergeMoves(admin, orders, 2, 113); len(got) != 2 || got[1].StockAfter != 112 {
		t.Errorf("cut to 2: %+v", got)
	}
}

// movesWhileReading stands for the orders' side of the stock history: it changes the
// stock through the writer, as an order placed meanwhile would, then reads the stock
// through the history's own read transaction.
type movesWhileReading struct {
	db   *DB
	seen int
}

func (m *movesWhileReading) OrderStockMoves(ctx context.Context, q Querier, productID int64, _ int) ([]StockMovement, error) {
	if _, err := m.db.AdjustStock(ctx, productID, 5, "Meanwhile", "x", ""); err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT stock FROM products WHERE id = ?`, productID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&m.seen); err != nil {
			return nil, err
		}
	}
	return nil, rows.Err()
}

// The stock and every move of the history come from one snapshot: a change committed
// while it is read is in none of them. Its moves carry the shop's clock.
func TestStockHistory_OneSnapshotOnTheShopsClock(t *testing.T) {
	db := mustOpenStore(t)
	at := time.Date(2031, 3, 14, 9, 30, 0, 0, time.UTC)
	db.Now = func() time.Time { return at }
	ctx := context.Background()
	p := newProduct("Mug", 5)
	if err := db.CreateProduct(ctx, &p, "boss@example.com", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AdjustStock(ctx, p.ID, 2, "Delivery", "boss@example.com", ""); err != nil {
		t.Fatal(err)
	}
	orders := &movesWhileReading{db: db}
	stock, moves, err := db.StockHistory(ctx, p.ID, 10, orders)
	if err != nil {
		t.Fatal(err)
	}
	if stock != 7 || orders.seen != 7 || len(moves) != 2 {
		t.Errorf("history: stock %d, the orders' side saw %d, %d moves; want 7, 7 and 2 (the snapshot before the +5)",
			stock, orders.seen, len(moves))
	}
	if now, _ := db.ProductByID(ctx, p.ID); now.Stock != 12 {
		t.Errorf("stock after the change made meanwhile: %d, want 12", now.Stock)
	}
	for _, m := range moves {
		if !m.At.Equal(at) {
			t.Errorf("move %q at %v, want the shop's clock %v", m.Reason, m.At, at)
		}
	}
}
