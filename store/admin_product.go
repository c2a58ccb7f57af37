package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrSlugTaken is the answer when a slug typed by the merchant belongs to another row.
var ErrSlugTaken = Errorf(Conflict, "This slug is already used. Choose another or leave it empty to generate one.")

// ProductOrders tells whether any order refers to a product. checkout implements it; it
// runs inside the deleting transaction, so no order can refer to the product in between.
type ProductOrders interface {
	ProductInOrders(ctx context.Context, tx *Tx, productID int64) (bool, error)
}

// StockMovement is one audited change of a product's stock.
type StockMovement struct {
	ID         int64
	ProductID  int64
	Delta      int
	StockAfter int
	Reason     string
	Actor      string
	At         time.Time
	Order      string // the reference of the order that made it, if one did
}

// OrderStockMoves lists the stock orders took from a product and gave back, newest
// first, at most limit of each kind, read with q; StockAfter is not known. checkout
// implements it, and the admin's stock history shows them among the admin's own moves.
type OrderStockMoves interface {
	OrderStockMoves(ctx context.Context, q Querier, productID int64, limit int) ([]StockMovement, error)
}

// Querier reads: a write transaction (*Tx), which settles what it checks, or the read
// pool or a read transaction, which let a form report a taken value beside its other
// errors, or a page be drawn from one snapshot.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// StockHistory is a product's stock now and its latest limit moves, newest first: the
// admin's, and with orders (when not nil) those orders made. All are read in one read
// transaction, so an order placed meanwhile is in both the stock and the moves or in
// neither.
func (db *DB) StockHistory(ctx context.Context, productID int64, limit int, orders OrderStockMoves) (int, []StockMovement, error) {
	// A deferred BEGIN on a reader: the snapshot starts at the first SELECT and holds
	// until the end, whatever the writer commits meanwhile (WAL).
	tx, err := db.R.BeginTx(ctx, nil)
	if err != nil {
		return 0, nil, err
	}
	defer tx.Rollback() // it only read
	var stock int
	if err := tx.QueryRowContext(ctx, `SELECT stock FROM products WHERE id = ?`, productID).Scan(&stock); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil, Errorf(NotFound, "This product does not exist.")
		}
		return 0, nil, err
	}
	moves, err := stockMovements(ctx, tx, productID, limit)
	if err != nil || orders == nil {
		return stock, moves, err
	}
	made, err := orders.OrderStockMoves(ctx, tx, productID, limit)
	if err != nil {
		return 0, nil, err
	}
	return stock, mergeMoves(moves, made, limit, stock), nil
}

// mergeMoves puts orders' moves among the admin's, newest first, keeps limit, and
// fills in the stock after each order's move: counted back from the admin's move just
// older, whose stock after was recorded, or from stock, the stock now.
func mergeMoves(admin, orders []StockMovement, limit, stock int) []StockMovement {
	all := append(append([]StockMovement(nil), admin...), orders...)
	slices.SortStableFunc(all, func(a, b StockMovement) int { return b.At.Compare(a.At) })
	all = all[:min(len(all), limit)]
	after := stock
	for i := range all {
		if all[i].Order == "" {
			after = all[i].StockAfter
		} else {
			all[i].StockAfter = after
		}
		after -= all[i].Delta
	}
	return all
}

// AdminProductFilter narrows the admin's product list. Zero values mean "any".
type AdminProductFilter struct {
	Query         string // words of the name (accents ignored) or part of the slug
	CategoryID    int64
	Published     string // "yes", "no", or "" for both
	LowStock      bool   // stock at or under LowStock
	Offset, Limit int
}

// likeLiteral makes typed text literal inside a LIKE pattern written with ESCAPE '\'.
var likeLiteral = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// LikeLiteral escapes s for a LIKE pattern written with ESCAPE '\', so that a typed % or _
// matches itself.
func LikeLiteral(s string) string { return likeLiteral.Replace(s) }

// AdminProducts lists products, published or not, and how many match in all.
func (db *DB) AdminProducts(ctx context.Context, f AdminProductFilter) ([]Product, int, error) {
	var where []string
	var args []any
	if q := strings.TrimSpace(f.Query); q != "" {
		like := "%" + LikeLiteral(strings.ToLower(q)) + "%"
		cond := `p.slug LIKE ? ESCAPE '\' OR lower(p.name) LIKE ? ESCAPE '\'`
		args = append(args, like, like)
		if m := ftsQuery(q, true); m != "" {
			cond += ` OR p.id IN (SELECT rowid FROM products_fts WHERE products_fts MATCH ?)`
			args = append(args, m)
		}
		where = append(where, "("+cond+")")
	}
	if f.CategoryID != 0 {
		where, args = append(where, `p.category_id = ?`), append(args, f.CategoryID)
	}
	switch f.Published {
	case "yes":
		where = append(where, `p.published = 1`)
	case "no":
		where = append(where, `p.published = 0`)
	}
	if f.LowStock {
		where, args = append(where, `p.stock <= ?`), append(args, LowStock)
	}
	from := ` FROM products p LEFT JOIN categories c ON c.id = p.category_id`
	if len(where) > 0 {
		from += ` WHERE ` + strings.Join(where, " AND ")
	}
	var total int
	if err := db.R.QueryRowContext(ctx, `SELECT count(*)`+from, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 {
		f.Limit = 25
	}
	rows, err := db.R.QueryContext(ctx, `SELECT `+productColumns+from+` ORDER BY lower(p.name), p.id LIMIT ? OFFSET ?`,
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Product
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, p)
	}
	return out, total, rows.Err()
}

// productSlug picks p's slug inside tx: the one typed, which must be free, or one made
// from the name, numbered until it is free.
func productSlug(ctx context.Context, tx *Tx, slug, name string, id int64) (string, error) {
	if slug == "" {
		return freeSlug(ctx, tx, "products", Slugify(name), id)
	}
	taken, err := slugTaken(ctx, tx, "products", slug, id)
	if err == nil && taken {
		err = ErrSlugTaken
	}
	return slug, err
}

// CreateProduct inserts p and records its opening stock as a movement by actor.
func (db *DB) CreateProduct(ctx context.Context, p *Product, actor, formKey string) error {
	return db.Tx(ctx, func(tx *Tx) error {
		if err := checkFormKey(ctx, tx, formKey); err != nil {
			return err
		}
		var err error
		if p.Slug, err = productSlug(ctx, tx, p.Slug, p.Name, 0); err != nil {
			return err
		}
		if err := insertProduct(ctx, tx, p); err != nil {
			return err
		}
		tx.searchTextsChanged()
		if err := keepOldSlug(ctx, tx, "product", p.ID, "", p.Slug); err != nil {
			return err
		}
		if err := spendFormKey(ctx, tx, formKey, productAdminURL(p.ID), db.now()); err != nil {
			return err
		}
		if p.Stock == 0 {
			return nil
		}
		return insertMovement(ctx, tx, StockMovement{ProductID: p.ID, Delta: p.Stock, StockAfter: p.Stock,
			Reason: "Opening stock", Actor: actor, At: db.now()})
	})
}

// StockCount is a stock typed in the product form: To, if Set, replacing Shown, the
// stock the form showed (-1 when unknown).
type StockCount struct {
	Set       bool
	To, Shown int
}

// StockMovedError refuses a stock typed in the product form: the stock changed since
// the form showed it (an order, an expiry, another adjustment), so the figure was
// arrived at from a number no longer true.
type StockMovedError struct{ Now int }

func (e *StockMovedError) Error() string {
	return fmt.Sprintf("The stock changed since this page was shown (orders, expiries or another adjustment): it is %d now. Check your figure and save again.", e.Now)
}

// EditedMeanwhileError refuses a product form opened before another save of the same
// product: saving it would undo that save without a word.
type EditedMeanwhileError struct{}

func (*EditedMeanwhileError) Error() string {
	return "Someone saved this product after you opened it, so your changes were not saved."
}

// UpdateProduct saves the product form's fields, and a new stock in the same
// transaction, recorded as an adjustment by actor; *StockMovedError refuses the stock
// (and so the whole form). The same form sent twice sets the same stock once.
func (db *DB) UpdateProduct(ctx context.Context, p *Product, count StockCount, actor string) error {
	return db.UpdateProductSeen(ctx, p, count, actor, -1)
}

// UpdateProductSeen is UpdateProduct for a form opened when the product had been saved
// editsShown times (ProductEdits): *EditedMeanwhileError if it has been saved since.
// A negative editsShown checks nothing.
func (db *DB) UpdateProductSeen(ctx context.Context, p *Product, count StockCount, actor string, editsShown int) error {
	return db.Tx(ctx, func(tx *Tx) error {
		var err error
		if p.Slug, err = productSlug(ctx, tx, p.Slug, p.Name, p.ID); err != nil {
			return err
		}
		var old string
		var edits int
		err = tx.QueryRowContext(ctx, `SELECT slug, edits FROM products WHERE id = ?`, p.ID).Scan(&old, &edits)
		if errors.Is(err, sql.ErrNoRows) {
			return Errorf(NotFound, "This product does not exist.")
		}
		if err != nil {
			return err
		}
		if editsShown >= 0 && edits != editsShown {
			return &EditedMeanwhileError{}
		}
		if err := keepOldSlug(ctx, tx, "product", p.ID, old, p.Slug); err != nil {
			return err
		}
		var cat any
		if p.CategoryID != 0 {
			cat = p.CategoryID
		}
		res, err := tx.ExecContext(ctx, `UPDATE products SET slug = ?, name = ?, description = ?, price_cents = ?,
			vat_rate = ?, category_id = ?, published = ?, updated_at = ?, edits = edits + 1 WHERE id = ?`,
			p.Slug, p.Name, p.Description, p.PriceCents, p.VATRate, cat, p.Published, db.now(), p.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return Errorf(NotFound, "This product does not exist.")
		}
		tx.searchTextsChanged()
		if count.Set {
			return setStock(ctx, tx, p.ID, count, actor, db.now())
		}
		return nil
	})
}

// setStock applies a stock count typed in the product form.
func setStock(ctx context.Context, tx *Tx, productID int64, count StockCount, actor string, now time.Time) error {
	var before int
	if err := tx.QueryRowContext(ctx, `SELECT stock FROM products WHERE id = ?`, productID).Scan(&before); err != nil {
		return err
	}
	switch {
	case before == count.To: // already so: this form, sent again
		return nil
	case count.Shown >= 0 && before != count.Shown:
		return &StockMovedError{Now: before}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE products SET stock = ?, updated_at = ? WHERE id = ?`, count.To, now, productID); err != nil {
		return err
	}
	return insertMovement(ctx, tx, StockMovement{ProductID: productID, Delta: count.To - before, StockAfter: count.To,
		Reason: "Set in the product form", Actor: actor, At: now})
}

// AdjustStock adds delta (negative to remove) to a product's stock and records who did it
// and why. It never takes the stock below zero, even if orders took some meanwhile.
func (db *DB) AdjustStock(ctx context.Context, productID int64, delta int, reason, actor, formKey string) (int, error) {
	var after int
	err := db.Tx(ctx, func(tx *Tx) error {
		if err := checkFormKey(ctx, tx, formKey); err != nil {
			return err
		}
		now := db.now()
		err := tx.QueryRowContext(ctx, `UPDATE products SET stock = stock + ?, updated_at = ?
			WHERE id = ? AND stock + ? >= 0 RETURNING stock`, delta, now, productID, delta).Scan(&after)
		if errors.Is(err, sql.ErrNoRows) {
			var stock int
			if err := tx.QueryRowContext(ctx, `SELECT stock FROM products WHERE id = ?`, productID).Scan(&stock); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return Errorf(NotFound, "This product does not exist.")
				}
				return err
			}
			return Errorf(Invalid, "Only %d in stock: you cannot remove %d.", stock, -delta)
		} else if err != nil {
			return err
		}
		if err := spendFormKey(ctx, tx, formKey, productAdminURL(productID), now); err != nil {
			return err
		}
		return insertMovement(ctx, tx, StockMovement{ProductID: productID, Delta: delta, StockAfter: after,
			Reason: reason, Actor: actor, At: now})
	})
	return after, err
}

func insertMovement(ctx context.Context, tx *Tx, m StockMovement) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO stock_movements (product_id, delta, stock_after, reason, actor, at)
		VALUES (?, ?, ?, ?, ?, ?)`, m.ProductID, m.Delta, m.StockAfter, m.Reason, m.Actor, m.At)
	return err
}

// StockMovements lists a product's latest stock changes made in the admin area, newest
// first.
func (db *DB) StockMovements(ctx context.Context, productID int64, limit int) ([]StockMovement, error) {
	return stockMovements(ctx, db.R, productID, limit)
}

func stockMovements(ctx context.Context, q Querier, productID int64, limit int) ([]StockMovement, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, product_id, delta, stock_after, reason, actor, at
		FROM stock_movements WHERE product_id = ? ORDER BY id DESC LIMIT ?`, productID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StockMovement
	for rows.Next() {
		var m StockMovement
		if err := rows.Scan(&m.ID, &m.ProductID, &m.Delta, &m.StockAfter, &m.Reason, &m.Actor, &m.At); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// SetProductImage points a product at a stored image and returns the one it replaces.
func (db *DB) SetProductImage(ctx context.Context, productID int64, image string) (string, error) {
	var old string
	err := db.Tx(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT image FROM products WHERE id = ?`, productID).Scan(&old)
		if errors.Is(err, sql.ErrNoRows) {
			return Errorf(NotFound, "This product does not exist.")
		} else if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE products SET image = ?, updated_at = ? WHERE id = ?`,
			image, db.now(), productID)
		return err
	})
	return old, err
}

// RemoveProduct deletes a product that no order refers to, and only unpublishes one that
// some order does, so order pages and the audit trail keep making sense. Without refs it
// cannot know, so it only unpublishes. It returns the deleted product's image.
func (db *DB) RemoveProduct(ctx context.Context, productID int64, refs ProductOrders) (deleted bool, image string, err error) {
	err = db.Tx(ctx, func(tx *Tx) error {
		inOrders := true
		if refs != nil {
			if inOrders, err = refs.ProductInOrders(ctx, tx, productID); err != nil {
				return err
			}
		}
		if inOrders {
			res, err := tx.ExecContext(ctx, `UPDATE products SET published = 0, updated_at = ?, edits = edits + 1 WHERE id = ?`,
				db.now(), productID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return Errorf(NotFound, "This product does not exist.")
			}
			return nil
		}
		err := tx.QueryRowContext(ctx, `DELETE FROM products WHERE id = ? RETURNING image`, productID).Scan(&image)
		if errors.Is(err, sql.ErrNoRows) {
			return Errorf(NotFound, "This product does not exist.")
		}
		deleted = err == nil
		if deleted {
			tx.searchTextsChanged()
		}
		return err
	})
	return deleted, image, err
}

// ProductEdits is how many times the product form saved the product: what an edit form
// carries, for UpdateProductSeen.
func (db *DB) ProductEdits(ctx context.Context, id int64) (int, error) {
	var n int
	err := db.R.QueryRowContext(ctx, `SELECT edits FROM products WHERE id = ?`, id).Scan(&n)
	return n, err
}
