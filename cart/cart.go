// Package cart owns the server-side cart: its tables, its rules (positive quantities
// capped by stock, prices always read from the catalogue) and its pages.
package cart

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"strconv"
	"strings"
	"time"

	"shop/store"
)

//go:embed migrations/*.sql
var migrationsFS embed.FS

// Migrations are the cart's tables, applied by store.Open after the catalogue's.
var Migrations = store.Migrations{Name: "cart", FS: migrationsFS}

// MaxQuantity bounds one line, whatever the stock, so a typo cannot order a pallet.
const MaxQuantity = 999

// Cart keeps each visitor's lines in SQLite.
type Cart struct {
	DB  *store.DB
	Now func() time.Time
}

// Line is one product in a cart, joined with the catalogue's current values.
type Line struct {
	ProductID  int64
	Slug       string
	Name       string
	Image      string
	PriceCents int64
	VATRate    int
	Stock      int
	Published  bool
	Quantity   int
}

// Total is the line's price at today's catalogue price, VAT included.
func (l Line) Total() int64 { return l.PriceCents * int64(l.Quantity) }

// Items is how many items lines hold, the count the header shows (see Count).
func Items(lines []Line) int {
	n := 0
	for _, l := range lines {
		n += l.Quantity
	}
	return n
}

// Problem says why the line cannot be ordered as it is, or "" when it can.
func (l Line) Problem() string {
	switch {
	case !l.Published:
		return "No longer available: remove it to check out."
	case l.Stock <= 0:
		return "Sold out: remove it to check out."
	case l.Quantity > l.Stock:
		return "Only " + strconv.Itoa(l.Stock) + " left: lower the quantity to check out."
	}
	return ""
}

// ParseQuantity reads a quantity typed by a shopper: a whole number from 1 to MaxQuantity.
func ParseQuantity(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, store.Errorf(store.Invalid, "Enter a quantity.")
	}
	n, err := strconv.Atoi(s)
	switch {
	case errors.Is(err, strconv.ErrRange) && s[0] != '-':
		return 0, store.Errorf(store.Invalid, "You can order at most %d at a time.", MaxQuantity)
	case err != nil && !errors.Is(err, strconv.ErrRange): // a huge negative number falls to n < 1
		return 0, store.Errorf(store.Invalid, "Enter the quantity as a whole number, such as 1 or 2.")
	case n < 1:
		return 0, store.Errorf(store.Invalid, "The quantity must be at least 1. To take an item out, use Remove.")
	case n > MaxQuantity:
		return 0, store.Errorf(store.Invalid, "You can order at most %d at a time.", MaxQuantity)
	}
	return n, nil
}

// Add puts qty more of a product in the visitor's cart; more than the stock puts the
// stock (see LineChange.Capped). It refuses, leaving the cart as it was, when the product is
// not for sale or sold out, when the cart already holds all the stock, and above
// MaxQuantity.
func (s *Cart) Add(ctx context.Context, visitor string, productID int64, qty int) error {
	_, err := s.AddProduct(ctx, visitor, productID, qty)
	return err
}

// LineChange names the product a change of the cart took, as its transaction read it, and
// the line's quantity after it.
type LineChange struct {
	Name, Slug string
	Quantity   int
	// Capped says the shopper asked for more than the stock, and the line holds the
	// stock: the page says so.
	Capped bool
}

// AddProduct is Add, also naming the product for the page that says it was added,
// which then needs no read of its own.
func (s *Cart) AddProduct(ctx context.Context, visitor string, productID int64, qty int) (LineChange, error) {
	return s.change(ctx, visitor, productID, true, func(current int) int { return current + qty })
}

// Set changes the quantity of a line already in the cart, to the stock at most (see
// LineChange.Capped).
func (s *Cart) Set(ctx context.Context, visitor string, productID int64, qty int) (LineChange, error) {
	return s.change(ctx, visitor, productID, false, func(current int) int {
		if current == 0 {
			return 0
		}
		return qty
	})
}

// change sets a line to next(its quantity); adding says the shopper adds to the line
// rather than sets it, which the stock message speaks of.
func (s *Cart) change(ctx context.Context, visitor string, productID int64, adding bool, next func(int) int) (LineChange, error) {
	var p LineChange
	err := s.DB.LightTx(ctx, func(tx *store.Tx) error {
		var stock int
		var published bool
		err := tx.QueryRowContext(ctx, `SELECT name, slug, stock, published FROM products WHERE id = ?`, productID).
			Scan(&p.Name, &p.Slug, &stock, &published)
		name := p.Name
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !published) {
			return store.Errorf(store.NotFound, "This product is no longer sold.")
		}
		if err != nil {
			return err
		}
		var current int
		err = tx.QueryRowContext(ctx, `SELECT quantity FROM cart_lines WHERE visitor_id = ? AND product_id = ?`,
			visitor, productID).Scan(&current)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		want := next(current)
		switch {
		case want == 0:
			return store.Errorf(store.NotFound, "This product is not in your cart.")
		case stock <= 0:
			return store.Errorf(store.Invalid, "%s is sold out.", name)
		case want > stock && adding && current >= stock: // an add never lowers a line
			return store.Errorf(store.Invalid, "Only %d left in stock, and your cart already holds %d.", stock, current)
		case want > stock:
			// Capped, as shops do: the shopper gets what there is, and is told.
			want, p.Capped = stock, true
		}
		if want > MaxQuantity {
			return store.Errorf(store.Invalid, "You can order at most %d at a time.", MaxQuantity)
		}
		p.Quantity = want
		now := s.Now().UTC()
		if _, err := tx.ExecContext(ctx, `INSERT INTO carts (visitor_id, created_at, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (visitor_id) DO UPDATE SET updated_at = excluded.updated_at`, visitor, now, now); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO cart_lines (visitor_id, product_id, quantity, added_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (visitor_id, product_id) DO UPDATE SET quantity = excluded.quantity`, visitor, productID, want, now)
		return err
	})
	if err != nil {
		return LineChange{}, err
	}
	return p, nil
}

// Remove takes a product out of the cart and says whether it was there; removing what
// is not there (a second click, an old tab) is not an error.
func (s *Cart) Remove(ctx context.Context, visitor string, productID int64) (removed bool, err error) {
	err = s.DB.LightTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM cart_lines WHERE visitor_id = ? AND product_id = ?`, visitor, productID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		removed = true
		_, err = tx.ExecContext(ctx, `UPDATE carts SET updated_at = ? WHERE visitor_id = ?`, s.Now().UTC(), visitor)
		return err
	})
	return removed && err == nil, err
}

// Lines reads the visitor's cart with current catalogue values.
func (s *Cart) Lines(ctx context.Context, visitor string) ([]Line, error) {
	rows, err := s.DB.Read(ctx, linesQuery, visitor)
	return scanLines(rows, err)
}

// LinesTx reads the cart inside a write transaction: checkout uses it to price an order
// from what the catalogue says at that very moment.
func LinesTx(ctx context.Context, tx *store.Tx, visitor string) ([]Line, error) {
	rows, err := tx.QueryContext(ctx, linesQuery, visitor)
	return scanLines(rows, err)
}

// ClearTx empties the visitor's cart inside the transaction that placed the order.
func ClearTx(ctx context.Context, tx *store.Tx, visitor string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM carts WHERE visitor_id = ?`, visitor)
	return err
}

const linesQuery = `SELECT p.id, p.slug, p.name, p.image, p.price_cents, p.vat_rate, p.stock,
	p.published, l.quantity
	FROM cart_lines l JOIN products p ON p.id = l.product_id
	WHERE l.visitor_id = ? ORDER BY l.added_at, p.id`

func scanLines(rows *sql.Rows, err error) ([]Line, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Line
	for rows.Next() {
		var l Line
		if err := rows.Scan(&l.ProductID, &l.Slug, &l.Name, &l.Image, &l.PriceCents, &l.VATRate, &l.Stock,
			&l.Published, &l.Quantity); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Count is the number of items in the visitor's cart, for the header.
func (s *Cart) Count(ctx context.Context, visitor string) (int, error) {
	var n int
	err := s.DB.ReadRow(ctx, `SELECT coalesce(sum(quantity), 0) FROM cart_lines WHERE visitor_id = ?`, visitor).Scan(&n)
	return n, err
}

// DeleteIdle removes carts untouched since before; it is idempotent, so two processes
// running it at once do no harm.
func (s *Cart) DeleteIdle(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.DB.LightTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM carts WHERE updated_at < ?`, before.UTC())
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	return n, err
}
