package cart

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"shop/store"
)

// mustOpenStore opens a new database file with the cart's tables under the test's
// temporary directory; it is closed when the test ends.
func mustOpenStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "shop.db"), Migrations)
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// clock is a settable time for carts.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

var t0 = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))

// mustNewCart is a cart on a fresh database, with a clock the test controls.
func mustNewCart(t *testing.T) (*Cart, *clock) {
	t.Helper()
	clk := &clock{now: t0}
	return &Cart{DB: mustOpenStore(t), Now: clk.Now}, clk
}

// testProduct is a catalogue row for a test.
type testProduct struct {
	slug      string
	price     int64
	stock     int
	published bool
}

// mustAddProduct inserts a product and returns its id.
func mustAddProduct(t *testing.T, db *store.DB, p testProduct) int64 {
	t.Helper()
	res, err := db.W.Exec(`INSERT INTO products (slug, name, price_cents, vat_rate, stock, published)
		VALUES (?, ?, ?, 2000, ?, ?)`, p.slug, "Product "+p.slug, p.price, p.stock, p.published)
	if err != nil {
		t.Fatalf("insert product %s: %v", p.slug, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustExec(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.W.Exec(q, args...); err != nil {
		t.Fatalf("exec %q: %v", q, err)
	}
}

// quantities reads a visitor's cart as product id → quantity.
func quantities(t *testing.T, c *Cart, visitor string) map[int64]int {
	t.Helper()
	lines, err := c.Lines(context.Background(), visitor)
	if err != nil {
		t.Fatalf("Lines: %v", err)
	}
	out := map[int64]int{}
	for _, l := range lines {
		out[l.ProductID] = l.Quantity
	}
	return out
}

func sameQuantities(a, b map[int64]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

const alice, bob = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

func TestParseQuantity(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr string // part of the message; "" for no error
	}{
		{"1", 1, ""},
		{" 3 ", 3, ""},
		{"999", 999, ""},
		{"007", 7, ""},
		{"0", 0, "at least 1"},
		{"-1", 0, "at least 1"},
		{"abc", 0, "whole number"},
		{"1.5", 0, "whole number"},
		{"1e3", 0, "whole number"},
		{"", 0, "Enter a quantity"},
		{"   ", 0, "Enter a quantity"},
		{"99999999999999999999", 0, "at most 999"},
		{"-99999999999999999999", 0, "at least 1"},
		{"1000", 0, "at most 999"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.in), func(t *testing.T) {
			got, err := ParseQuantity(tt.in)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Errorf("ParseQuantity(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseQuantity(%q) = %d, want an error", tt.in, got)
			}
			if store.ErrorCode(err) != store.Invalid {
				t.Errorf("code = %s, want invalid", store.ErrorCode(err))
			}
			if msg := store.ErrorMessage(err); !strings.Contains(msg, tt.wantErr) {
				t.Errorf("message %q does not say %q", msg, tt.wantErr)
			}
		})
	}
}

func TestCart_AddSetRemove(t *testing.T) {
	c, _ := mustNewCart(t)
	ctx := context.Background()
	a := mustAddProduct(t, c.DB, testProduct{"a", 250, 10, true})
	b := mustAddProduct(t, c.DB, testProduct{"b", 1000, 10, true})

	// remove removes id from alice's cart, checking whether Remove says it was there.
	remove := func(id int64, wasThere bool) func() error {
		return func() error {
			removed, err := c.Remove(ctx, alice, id)
			if err == nil && removed != wasThere {
				err = fmt.Errorf("Remove says removed=%v, want %v", removed, wasThere)
			}
			return err
		}
	}
	steps := []struct {
		name string
		do   func() error
		want map[int64]int
	}{
		{"add 2 a", func() error { return c.Add(ctx, alice, a, 2) }, map[int64]int{a: 2}},
		{"add 1 more a", func() error { return c.Add(ctx, alice, a, 1) }, map[int64]int{a: 3}},
		{"add 1 b", func() error { return c.Add(ctx, alice, b, 1) }, map[int64]int{a: 3, b: 1}},
		{"set a to 5", func() error { return setQty(c, ctx, alice, a, 5) }, map[int64]int{a: 5, b: 1}},
		{"set a to 1", func() error { return setQty(c, ctx, alice, a, 1) }, map[int64]int{a: 1, b: 1}},
		{"remove b", remove(b, true), map[int64]int{a: 1}},
		{"remove b again", remove(b, false), map[int64]int{a: 1}},
		{"remove a", remove(a, true), map[int64]int{}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := quantities(t, c, alice); !sameQuantities(got, s.want) {
			t.Fatalf("after %s: cart = %v, want %v", s.name, got, s.want)
		}
	}
	if got := quantities(t, c, bob); len(got) != 0 {
		t.Errorf("bob's cart = %v, want empty", got)
	}
}

func TestCart_LinesKeepOrderAndCarryCatalogueValues(t *testing.T) {
	c, clk := mustNewCart(t)
	ctx := context.Background()
	late := mustAddProduct(t, c.DB, testProduct{"late", 100, 5, true})
	early := mustAddProduct(t, c.DB, testProduct{"early", 200, 5, true})
	if err := c.Add(ctx, alice, early, 1); err != nil {
		t.Fatal(err)
	}
	clk.set(t0.Add(time.Minute))
	if err := c.Add(ctx, alice, late, 2); err != nil {
		t.Fatal(err)
	}
	lines, err := c.Lines(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || lines[0].ProductID != early || lines[1].ProductID != late {
		t.Fatalf("lines = %+v, want early then late (order added)", lines)
	}
	l := lines[1]
	if l.Slug != "late" || l.Name != "Product late" || l.PriceCents != 100 || l.VATRate != 2000 || l.Stock != 5 ||
		!l.Published || l.Quantity != 2 || l.Total() != 200 {
		t.Errorf("line = %+v (total %d)", l, l.Total())
	}
}

func TestCart_SetRefusesALineNotInTheCart(t *testing.T) {
	c, _ := mustNewCart(t)
	a := mustAddProduct(t, c.DB, testProduct{"a", 100, 5, true})
	err := setQty(c, context.Background(), alice, a, 2)
	if store.ErrorCode(err) != store.NotFound {
		t.Errorf("Set on an empty cart = %v, want NotFound", err)
	}
	var carts int
	c.DB.R.QueryRow(`SELECT count(*) FROM carts`).Scan(&carts)
	if carts != 0 || len(quantities(t, c, alice)) != 0 {
		t.Errorf("a refused Set created a cart or a line")
	}
}

func TestCart_AddRefusesOverStock(t *testing.T) {
	tests := []struct {
		name    string
		stock   int
		before  int // already in the cart
		qty     int
		wantMsg string
	}{
		{"add one too many", 3, 3, 1, "already holds 3"},
		{"add over the per-line maximum", 5000, 0, MaxQuantity + 1, "at most 999"},
		{"add up to over the maximum", 5000, 900, 100, "at most 999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, id := cartHolding(t, tt.stock, tt.before)
			ctx := context.Background()
			before := quantities(t, c, alice)
			err := c.Add(ctx, alice, id, tt.qty)
			if store.ErrorCode(err) != store.Invalid {
				t.Fatalf("add %d with %d in stock = %v, want Invalid", tt.qty, tt.stock, err)
			}
			if msg := store.ErrorMessage(err); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message %q does not say %q", msg, tt.wantMsg)
			}
			if got := quantities(t, c, alice); !sameQuantities(got, before) {
				t.Errorf("cart changed from %v to %v", before, got)
			}
		})
	}
}

// Asking for more than the stock puts the stock in the cart, and says it was capped.
func TestCart_OverStockIsCappedToTheStock(t *testing.T) {
	tests := []struct {
		name   string
		stock  int
		before int // already in the cart
		op     string
		qty    int
	}{
		{"add more than stock", 3, 0, "add", 4},
		{"add on top of the cart", 3, 2, "add", 2},
		{"set above stock", 3, 1, "set", 4},
		{"set the whole stock and more", 3, 3, "set", 7},
		{"add 999 with 2 of 3 in the cart", 3, 2, "add", MaxQuantity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, id := cartHolding(t, tt.stock, tt.before)
			ctx := context.Background()
			var got LineChange
			var err error
			if tt.op == "add" {
				got, err = c.AddProduct(ctx, alice, id, tt.qty)
			} else {
				got, err = c.Set(ctx, alice, id, tt.qty)
			}
			if err != nil || !got.Capped || got.Quantity != tt.stock || got.Name != "Product p" {
				t.Fatalf("%s %d with %d in stock = %+v, %v; want capped to %d", tt.op, tt.qty, tt.stock, got, err, tt.stock)
			}
			if q := quantities(t, c, alice)[id]; q != tt.stock {
				t.Errorf("cart holds %d, want the stock, %d", q, tt.stock)
			}
		})
	}
	// An add never lowers a line that the stock fell under: it refuses, the line kept.
	c, _ := mustNewCart(t)
	id := mustAddProduct(t, c.DB, testProduct{"p", 100, 5, true})
	if err := c.Add(context.Background(), alice, id, 5); err != nil {
		t.Fatal(err)
	}
	mustExec(t, c.DB, `UPDATE products SET stock = 3 WHERE id = ?`, id)
	if err := c.Add(context.Background(), alice, id, 1); store.ErrorCode(err) != store.Invalid || !strings.Contains(store.ErrorMessage(err), "already holds 5") {
		t.Errorf("adding to a line above the stock = %v, want Invalid saying the cart holds 5", err)
	}
	if got := quantities(t, c, alice)[id]; got != 5 {
		t.Errorf("the line holds %d, want 5 left as it was", got)
	}
	// Within the stock nothing is capped.
	c, _ = mustNewCart(t)
	id = mustAddProduct(t, c.DB, testProduct{"p", 100, 3, true})
	if got, err := c.AddProduct(context.Background(), alice, id, 3); err != nil || got.Capped || got.Quantity != 3 {
		t.Errorf("adding exactly the stock = %+v, %v", got, err)
	}
}

func TestCart_AddAcceptsExactlyTheStock(t *testing.T) {
	c, _ := mustNewCart(t)
	ctx := context.Background()
	id := mustAddProduct(t, c.DB, testProduct{"p", 100, 3, true})
	if err := c.Add(ctx, alice, id, 2); err != nil {
		t.Fatal(err)
	}
	if err := c.Add(ctx, alice, id, 1); err != nil {
		t.Fatalf("adding up to exactly the stock: %v", err)
	}
	if got := quantities(t, c, alice)[id]; got != 3 {
		t.Errorf("quantity = %d, want 3", got)
	}
}

func TestCart_RefusesWhatIsNotForSale(t *testing.T) {
	c, _ := mustNewCart(t)
	ctx := context.Background()
	soldOut := mustAddProduct(t, c.DB, testProduct{"sold-out", 100, 0, true})
	hidden := mustAddProduct(t, c.DB, testProduct{"hidden", 100, 10, false})
	tests := []struct {
		name string
		id   int64
		code store.Code
	}{
		{"sold out", soldOut, store.Invalid},
		{"unpublished", hidden, store.NotFound},
		{"unknown", 424242, store.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Add(ctx, alice, tt.id, 1)
			if store.ErrorCode(err) != tt.code {
				t.Errorf("Add = %v (code %s), want %s", err, store.ErrorCode(err), tt.code)
			}
			if store.ErrorMessage(err) == "" {
				t.Errorf("no message for the shopper")
			}
			if got := quantities(t, c, alice); len(got) != 0 {
				t.Errorf("cart = %v, want empty", got)
			}
		})
	}
	var carts int
	c.DB.R.QueryRow(`SELECT count(*) FROM carts`).Scan(&carts)
	if carts != 0 {
		t.Errorf("refused adds created %d carts", carts)
	}
}

func TestCart_LinesShowCurrentCataloguePrices(t *testing.T) {
	c, _ := mustNewCart(t)
	ctx := context.Background()
	id := mustAddProduct(t, c.DB, testProduct{"p", 1000, 10, true})
	if err := c.Add(ctx, alice, id, 3); err != nil {
		t.Fatal(err)
	}
	mustExec(t, c.DB, `UPDATE products SET price_cents = 1234 WHERE id = ?`, id)
	lines, err := c.Lines(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 || lines[0].PriceCents != 1234 || lines[0].Total() != 3*1234 {
		t.Errorf("lines after a price change = %+v, want 3 × 1234", lines)
	}
}

func TestLine_Problem(t *testing.T) {
	tests := []struct {
		name    string
		line    Line
		wantMsg string // "" when the line can be ordered
	}{
		{"fine", Line{Published: true, Stock: 5, Quantity: 5}, ""},
		{"unpublished", Line{Published: false, Stock: 5, Quantity: 1}, "No longer available"},
		{"sold out", Line{Published: true, Stock: 0, Quantity: 1}, "Sold out"},
		{"over stock", Line{Published: true, Stock: 2, Quantity: 3}, "Only 2 left"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.line.Problem()
			if (tt.wantMsg == "") != (got == "") || !strings.Contains(got, tt.wantMsg) {
				t.Errorf("Problem() = %q, want %q", got, tt.wantMsg)
			}
		})
	}
}

func TestCart_LinesFlagProblemsAfterCatalogueChanges(t *testing.T) {
	c, _ := mustNewCart(t)
	ctx := context.Background()
	ok := mustAddProduct(t, c.DB, testProduct{"ok", 100, 10, true})
	gone := mustAddProduct(t, c.DB, testProduct{"gone", 100, 10, true})
	out := mustAddProduct(t, c.DB, testProduct{"out", 100, 10, true})
	low := mustAddProduct(t, c.DB, testProduct{"low", 100, 10, true})
	for _, id := range []int64{ok, gone, out, low} {
		if err := c.Add(ctx, alice, id, 3); err != nil {
			t.Fatal(err)
		}
	}
	mustExec(t, c.DB, `UPDATE products SET published = 0 WHERE id = ?`, gone)
	mustExec(t, c.DB, `UPDATE products SET stock = 0 WHERE id = ?`, out)
	mustExec(t, c.DB, `UPDATE products SET stock = 2 WHERE id = ?`, low)
	lines, err := c.Lines(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]string{ok: "", gone: "No longer available", out: "Sold out", low: "Only 2 left"}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d: an unavailable product must stay visible in the cart", len(lines), len(want))
	}
	for _, l := range lines {
		got := l.Problem()
		if w := want[l.ProductID]; (w == "") != (got == "") || !strings.Contains(got, w) {
			t.Errorf("%s: Problem() = %q, want %q", l.Slug, got, w)
		}
	}
	// Lowering an over-stock line to what is left is allowed; a sold-out or gone line
	// cannot be changed, only removed.
	if err := setQty(c, ctx, alice, low, 2); err != nil {
		t.Errorf("Set to the stock left: %v", err)
	}
	if err := setQty(c, ctx, alice, out, 1); store.ErrorCode(err) != store.Invalid {
		t.Errorf("Set on a sold-out line = %v, want Invalid", err)
	}
	if err := setQty(c, ctx, alice, gone, 1); store.ErrorCode(err) != store.NotFound {
		t.Errorf("Set on an unpublished line = %v, want NotFound", err)
	}
	if removed, err := c.Remove(ctx, alice, gone); err != nil || !removed {
		t.Errorf("Remove an unpublished line: removed=%v, %v", removed, err)
	}
}

func TestCart_Count(t *testing.T) {
	c, _ := mustNewCart(t)
	ctx := context.Background()
	a := mustAddProduct(t, c.DB, testProduct{"a", 100, 10, true})
	b := mustAddProduct(t, c.DB, testProduct{"b", 100, 10, true})
	count := func(v string) int {
		t.Helper()
		n, err := c.Count(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(alice); n != 0 {
		t.Errorf("empty cart count = %d", n)
	}
	c.Add(ctx, alice, a, 2)
	c.Add(ctx, alice, b, 3)
	c.Add(ctx, bob, a, 1)
	if n := count(alice); n != 5 {
		t.Errorf("alice's count = %d, want 5", n)
	}
	if n := count(bob); n != 1 {
		t.Errorf("bob's count = %d, want 1", n)
	}
	c.Remove(ctx, alice, b)
	if n := count(alice); n != 2 {
		t.Errorf("alice's count after remove = %d, want 2", n)
	}
}

func TestCart_DeleteIdleDeletesOnlyOldCarts(t *testing.T) {
	c, clk := mustNewCart(t)
	ctx := context.Background()
	id := mustAddProduct(t, c.DB, testProduct{"p", 100, 100, true})
	const stale, recent, touched, removed = "stale", "recent", "touched", "removed"

	clk.set(t0.Add(-40 * 24 * time.Hour))
	for _, v := range []string{stale, touched, removed} {
		if err := c.Add(ctx, v, id, 1); err != nil {
			t.Fatal(err)
		}
	}
	clk.set(t0.Add(-24 * time.Hour))
	if err := c.Add(ctx, recent, id, 1); err != nil {
		t.Fatal(err)
	}
	clk.set(t0)
	if err := setQty(c, ctx, touched, id, 2); err != nil { // a change keeps a cart alive
		t.Fatal(err)
	}
	if _, err := c.Remove(ctx, removed, id); err != nil { // so does a removal
		t.Fatal(err)
	}

	cutoff := t0.Add(-30 * 24 * time.Hour)
	n, err := c.DeleteIdle(ctx, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("DeleteIdle removed %d carts, want 1", n)
	}
	if got := quantities(t, c, stale); len(got) != 0 {
		t.Errorf("stale cart still has lines %v", got)
	}
	var lines int
	c.DB.R.QueryRow(`SELECT count(*) FROM cart_lines WHERE visitor_id = ?`, stale).Scan(&lines)
	if lines != 0 {
		t.Errorf("the stale cart's lines outlived it")
	}
	for _, v := range []string{recent, touched} {
		if got := quantities(t, c, v); len(got) != 1 {
			t.Errorf("%s cart = %v, want kept", v, got)
		}
	}
	var kept int
	c.DB.R.QueryRow(`SELECT count(*) FROM carts WHERE visitor_id = ?`, removed).Scan(&kept)
	if kept != 1 {
		t.Errorf("a cart touched by a removal was deleted")
	}
	if n, err := c.DeleteIdle(ctx, cutoff); err != nil || n != 0 {
		t.Errorf("second DeleteIdle = %d, %v; want 0, nil", n, err)
	}
}

func TestClearTx_EmptiesTheCartInTheCallersTransaction(t *testing.T) {
	c, _ := mustNewCart(t)
	ctx := context.Background()
	id := mustAddProduct(t, c.DB, testProduct{"p", 700, 10, true})
	c.Add(ctx, alice, id, 2)
	c.Add(ctx, bob, id, 1)
	err := c.DB.Tx(ctx, func(tx *store.Tx) error {
		lines, err := LinesTx(ctx, tx, alice)
		if err != nil {
			return err
		}
		if len(lines) != 1 || lines[0].Total() != 1400 {
			return fmt.Errorf("LinesTx = %+v", lines)
		}
		return ClearTx(ctx, tx, alice)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := quantities(t, c, alice); len(got) != 0 {
		t.Errorf("alice's cart after ClearTx = %v", got)
	}
	if got := quantities(t, c, bob); len(got) != 1 {
		t.Errorf("bob's cart was touched: %v", got)
	}
}

// Fifty goroutines add to one cart while fifty others add to carts of their own, all
// at once. No add fails (no "database is locked") and none is lost.
func TestCart_ConcurrentAddsLoseNothing(t *testing.T) {
	c, _ := mustNewCart(t)
	ctx := context.Background()
	const n = 50
	shared := mustAddProduct(t, c.DB, testProduct{"shared", 100, 1000, true})
	other := mustAddProduct(t, c.DB, testProduct{"other", 100, 1000, true})

	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		errs  []error
		added int
	)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			qty := 1 + i%3
			if err := c.Add(ctx, alice, shared, qty); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("shared cart #%d: %w", i, err))
				mu.Unlock()
				return
			}
			mu.Lock()
			added += qty
			mu.Unlock()
		})
		wg.Go(func() {
			<-start
			v := fmt.Sprintf("visitor-%02d", i)
			if err := c.Add(ctx, v, other, 1+i%4); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", v, err))
				mu.Unlock()
			}
			// Readers run alongside the writers.
			if _, err := c.Count(ctx, alice); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("count: %w", err))
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	want := 0
	for i := range n {
		want += 1 + i%3
	}
	if got := quantities(t, c, alice)[shared]; got != added || added != want {
		t.Errorf("shared cart holds %d; successful adds total %d of %d", got, added, want)
	}
	for i := range n {
		v := fmt.Sprintf("visitor-%02d", i)
		if got := quantities(t, c, v)[other]; got != 1+i%4 {
			t.Errorf("%s holds %d, want %d", v, got, 1+i%4)
		}
	}
}

// setQty is Cart.Set for the steps that only check its error.
func setQty(c *Cart, ctx context.Context, visitor string, id int64, qty int) error {
	_, err := c.Set(ctx, visitor, id, qty)
	return err
}

// cartHolding is a new cart whose product "p", with stock in stock, alice already has
// before of in her cart.
func cartHolding(t *testing.T, stock, before int) (*Cart, int64) {
	t.Helper()
	c, _ := mustNewCart(t)
	id := mustAddProduct(t, c.DB, testProduct{"p", 100, stock, true})
	if before > 0 {
		if err := c.Add(context.Background(), alice, id, before); err != nil {
			t.Fatal(err)
		}
	}
	return c, id
}
