package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Product is a catalogue item. Prices include VAT (TTC); VATRate is in basis points.
type Product struct {
	ID           int64
	Slug         string
	Name         string
	Description  string
	PriceCents   int64
	VATRate      int
	Stock        int
	Image        string
	CategoryID   int64
	CategorySlug string
	CategoryName string
	Published    bool
}

// LowStock is the level under which pages say "only N left".
const LowStock = 5

// ProductFilter narrows a product listing. Zero values mean "any".
type ProductFilter struct {
	CategoryID    int64
	Query         string // full-text, case and accent insensitive
	OnlyPublished bool
	Offset, Limit int
}

const productColumns = `p.id, p.slug, p.name, p.description, p.price_cents, p.vat_rate, p.stock,
	p.image, coalesce(p.category_id, 0), coalesce(c.slug, ''), coalesce(c.name, ''), p.published`

func scanProduct(row interface{ Scan(...any) error }) (Product, error) {
	var p Product
	err := row.Scan(&p.ID, &p.Slug, &p.Name, &p.Description, &p.PriceCents, &p.VATRate, &p.Stock,
		&p.Image, &p.CategoryID, &p.CategorySlug, &p.CategoryName, &p.Published)
	return p, err
}

// Products lists products matching f, and the total number of matches (for the admin
// area's pager; shop pages use ProductPage, which never counts).
func (db *DB) Products(ctx context.Context, f ProductFilter) ([]Product, int, error) {
	from, cond, args, ok := productQuery(f)
	if !ok {
		return nil, 0, nil
	}
	var total int
	if err := db.ReadRow(ctx, `SELECT count(*) FROM `+from+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	list, err := db.productRows(ctx, f, from, cond, args, f.Limit)
	return list, total, err
}

// ProductPage lists one page of the products shoppers see (f.Query empty: the home page
// or a category, by name) and says whether another page follows. It reads one row more
// than the page instead of counting every match, which on a large catalogue costs more
// than the page itself, and only the columns a product card shows.
//
// A listing of published products (the shop's) is read through the listing cache
// (listing.go); its slice is shared, and callers must not change it.
func (db *DB) ProductPage(ctx context.Context, f ProductFilter) ([]Product, bool, error) {
	if f.Query != "" {
		return db.searchPage(ctx, f)
	}
	if !f.OnlyPublished {
		return db.listingPage(ctx, f)
	}
	k := listingKey{category: f.CategoryID, offset: f.Offset, limit: f.Limit}
	gen, now := db.watch.gen.Load(), time.Now()
	if p, ok := db.listings.get(k, gen, now); ok {
		return p.cards, p.more, nil
	}
	cards, more, err := db.listingPage(ctx, f)
	if err == nil {
		db.listings.put(k, listingPage{cards: cards, more: more, gen: gen, at: now})
	}
	return cards, more, err
}

func (db *DB) listingPage(ctx context.Context, f ProductFilter) ([]Product, bool, error) {
	from, cond, args, _ := productQuery(f)
	return db.cards(ctx, `SELECT `+cardColumns+` FROM `+from+cond+` ORDER BY p.name, p.id LIMIT ? OFFSET ?`,
		f.Limit, append(args, f.Limit+1, f.Offset)...)
}

// cardColumns are what a product card shows: no description, no category.
const cardColumns = `p.id, p.slug, p.name, p.price_cents, p.stock, p.image`

// cards reads up to limit+1 product cards and says whether the extra row was there.
func (db *DB) cards(ctx context.Context, query string, limit int, args ...any) ([]Product, bool, error) {
	rows, err := db.Read(ctx, query, args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	out := make([]Product, 0, min(limit+1, 100))
	for rows.Next() {
		var p Product
		if err := rows.Scan(&p.ID, &p.Slug, &p.Name, &p.PriceCents, &p.Stock, &p.Image); err != nil {
			return nil, false, err
		}
		p.Published = true
		out = append(out, p)
	}
	if err := rows.Err(); err != nil || len(out) <= limit {
		return out, false, err
	}
	return out[:limit:limit], true, nil // cached and shared: an append must copy
}

// searchPage lists, newest first within each group: the products whose name holds every
// word whole, then those whose name holds them as word beginnings ("mug" in "Mugs"), then
// those that hold them only in their description. Each group is walked in the full-text
// index's own order (its rowids, backwards), so a page reads about as many rows as it
// shows whether a word matches ten products or ten thousand: sorting the matches by name
// or by relevance scored every one of them (13 ms for a word in 5,000 of 100,000
// products). A word beginning costs a merge of every word it begins, which only pages
// past the whole-word matches pay.
func (db *DB) searchPage(ctx context.Context, f ProductFilter) ([]Product, bool, error) {
	whole, begun := ftsQuery(f.Query, false), ftsQuery(f.Query, true)
	if whole == "" {
		return nil, false, nil
	}
	groups := []string{
		`{name} : (` + whole + `)`,
		`{name} : (` + begun + `) NOT {name} : (` + whole + `)`,
		`(` + begun + `) NOT {name} : (` + begun + `)`,
	}
	var cat string
	var catArg []any
	if f.CategoryID != 0 {
		cat, catArg = ` AND p.category_id = ?`, []any{f.CategoryID}
	}
	matches := ` FROM products_fts JOIN products p ON p.id = products_fts.rowid
		WHERE products_fts MATCH ? AND p.published = 1` + cat
	var out []Product
	offset := f.Offset
	for i, match := range groups {
		want := f.Limit + 1 - len(out)
		args := append(append([]any{match}, catArg...), want, offset)
		list, _, err := db.cards(ctx, `SELECT `+cardColumns+matches+` ORDER BY products_fts.rowid DESC LIMIT ? OFFSET ?`,
			want, args...)
		if err != nil {
			return nil, false, err
		}
		out = append(out, list...)
		if len(out) > f.Limit || i == len(groups)-1 {
			break
		}
		switch {
		case len(list) > 0:
			offset = 0 // this page reached the end of the group: the next starts at once
		case offset > 0:
			// The page starts beyond this group: skip as many of the next as this one
			// had left over. Counting reads every match, but only for such deep pages.
			var n int
			if err := db.ReadRow(ctx, `SELECT count(*)`+matches, append([]any{match}, catArg...)...).Scan(&n); err != nil {
				return nil, false, err
			}
			offset = max(offset-n, 0)
		}
	}
	if len(out) > f.Limit {
		return out[:f.Limit], true, nil
	}
	return out, false, nil
}

// productQuery builds the FROM and WHERE of a listing. Categories are joined only to
// read rows, never to count them.
func productQuery(f ProductFilter) (from, cond string, args []any, ok bool) {
	var where []string
	from = `products p`
	if f.Query != "" {
		match := ftsQuery(f.Query, true)
		if match == "" {
			return "", "", nil, false
		}
		from += ` JOIN products_fts ON products_fts.rowid = p.id`
		where = append(where, `products_fts MATCH ?`)
		args = append(args, match)
	}
	if f.OnlyPublished {
		where = append(where, `p.published = 1`)
	}
	if f.CategoryID != 0 {
		where = append(where, `p.category_id = ?`)
		args = append(args, f.CategoryID)
	}
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	return from, cond, args, true
}

func (db *DB) productRows(ctx context.Context, f ProductFilter, from, cond string, args []any, limit int) ([]Product, error) {
	if limit <= 0 {
		limit = 24
	}
	// The admin area's searches come by name too: ranking by relevance scores every
	// match (9 ms against 2 ms for a common word at 100,000 products).
	rows, err := db.Read(ctx, `SELECT `+productColumns+` FROM `+from+` LEFT JOIN categories c ON c.id = p.category_id`+
		cond+` ORDER BY p.name, p.id LIMIT ? OFFSET ?`, append(args, limit, f.Offset)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]Product, 0, min(limit, 100))
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ftsQuery turns what a shopper typed into an FTS5 query: every word must match, whole
// or (prefix) as the beginning of a word, with FTS syntax characters dropped so no input
// is a syntax error.
func ftsQuery(q string, prefix bool) string {
	// A combining accent (an "é" typed as "e" then U+0301, as some keyboards and pasted
	// text give it) belongs to its word and is dropped, as the index drops accents.
	words := strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) })
	words = slices.DeleteFunc(words, func(w string) bool { return strings.IndexFunc(w, isNotMark) < 0 })
	for i, w := range words {
		words[i] = `"` + strings.Map(dropMark, w) + `"`
		if prefix {
			words[i] += `*`
		}
	}
	if len(words) > 8 {
		words = words[:8]
	}
	return strings.Join(words, " ")
}

func isNotMark(r rune) bool { return !unicode.Is(unicode.Mn, r) }

func dropMark(r rune) rune {
	if unicode.Is(unicode.Mn, r) {
		return -1
	}
	return r
}

// PublishedProductBySlug finds a product shoppers may see, or returns NotFound.
//
// Its category's slug and name come from the shop's category list (ShopCategories),
// which the listings' navigation keeps in memory, rather than from a join: the join's
// B-tree search was a twentieth of a product page (1 µs of 19-25). A change to a
// category made in this process shows at once; one made by another process sharing the
// database within the list's few seconds, as on every other page. The row is read by
// the id the slug led to last time when there is one (slughint.go).
func (db *DB) PublishedProductBySlug(ctx context.Context, slug string) (Product, error) {
	const columns = `SELECT id, slug, name, description, price_cents, vat_rate, stock, image,
		coalesce(category_id, 0), published FROM products `
	var p Product
	scan := func(row *sql.Row) error {
		return row.Scan(&p.ID, &p.Slug, &p.Name, &p.Description, &p.PriceCents, &p.VATRate, &p.Stock,
			&p.Image, &p.CategoryID, &p.Published)
	}
	err := sql.ErrNoRows
	id, hinted := db.slugs.get(slug)
	if hinted {
		err = scan(db.ReadRow(ctx, columns+`WHERE id = ? AND slug = ? AND published = 1`, id, slug))
	}
	if errors.Is(err, sql.ErrNoRows) {
		err = scan(db.ReadRow(ctx, columns+`WHERE slug = ? AND published = 1`, slug))
		switch {
		case err == nil:
			db.slugs.put(slug, p.ID)
		case hinted && errors.Is(err, sql.ErrNoRows):
			db.slugs.forget(slug)
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return p, Errorf(NotFound, "This product does not exist or is no longer sold.")
	}
	if err != nil || p.CategoryID == 0 {
		return p, err
	}
	cats, err := db.ShopCategories(ctx)
	if err != nil {
		return p, err
	}
	for _, c := range cats {
		if c.ID == p.CategoryID {
			p.CategorySlug, p.CategoryName = c.Slug, c.Name
			break
		}
	}
	return p, nil
}

// ProductByID finds any product, published or not.
func (db *DB) ProductByID(ctx context.Context, id int64) (Product, error) {
	p, err := scanProduct(db.ReadRow(ctx, `SELECT `+productColumns+`
		FROM products p LEFT JOIN categories c ON c.id = p.category_id WHERE p.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, Errorf(NotFound, "This product does not exist.")
	}
	return p, err
}

func insertProduct(ctx context.Context, tx *Tx, p *Product) error {
	var cat any
	if p.CategoryID != 0 {
		cat = p.CategoryID
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO products
		(slug, name, description, price_cents, vat_rate, stock, image, category_id, published)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.Slug, p.Name, p.Description, p.PriceCents, p.VATRate, p.Stock, p.Image, cat, p.Published)
	if err != nil {
		return err
	}
	p.ID, err = res.LastInsertId()
	return err
}
