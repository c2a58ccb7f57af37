package store

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"time"
)

// Category groups products on the shop's pages.
type Category struct {
	ID          int64
	Slug        string
	Name        string
	Description string
	Position    int
}

// Categories lists every category in display order.
func (db *DB) Categories(ctx context.Context) ([]Category, error) {
	rows, err := db.Read(ctx, `SELECT id, slug, name, description, position FROM categories ORDER BY position, name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Category
	for rows.Next() {
		var c Category
		if err := rows.Scan(&c.ID, &c.Slug, &c.Name, &c.Description, &c.Position); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// categoriesTTL is how long the shop's pages reuse the category list. Every page's
// navigation shows it and it was an eighth of a listing's cost; the admin area of this
// process forgets it at once on a change, another process sharing the database within
// these seconds.
const categoriesTTL = 5 * time.Second

type categoryList struct {
	list []Category
	at   time.Time
	gen  uint64 // the cache's generation when the read began
}

// categoryCache holds the last list read for the shop's pages. forget bumps the
// generation, so a read that began before a change can never be kept after it.
type categoryCache struct {
	p   atomic.Pointer[categoryList]
	gen atomic.Uint64
}

func (cc *categoryCache) forget() { cc.gen.Add(1) }

// ShopCategories is Categories for the shop's pages: read at most every categoriesTTL.
// The slice is shared: callers must not change it.
func (db *DB) ShopCategories(ctx context.Context) ([]Category, error) {
	gen := db.categories.gen.Load()
	if c := db.categories.p.Load(); c != nil && c.gen == gen && time.Since(c.at) < categoriesTTL {
		return c.list, nil
	}
	at := time.Now()
	list, err := db.Categories(ctx)
	if err != nil {
		return nil, err
	}
	db.categories.p.Store(&categoryList{list: list, at: at, gen: gen})
	return list, nil
}

// ShopCategoryBySlug is CategoryBySlug from the shop's list, asking the database only
// for a slug the list does not hold (a category created a moment ago, or none).
func (db *DB) ShopCategoryBySlug(ctx context.Context, slug string) (Category, error) {
	list, err := db.ShopCategories(ctx)
	if err != nil {
		return Category{}, err
	}
	for _, c := range list {
		if c.Slug == slug {
			return c, nil
		}
	}
	return db.CategoryBySlug(ctx, slug)
}

// CategoryBySlug finds a category, or returns a NotFound error.
func (db *DB) CategoryBySlug(ctx context.Context, slug string) (Category, error) {
	var c Category
	err := db.ReadRow(ctx, `SELECT id, slug, name, description, position FROM categories WHERE slug = ?`, slug).
		Scan(&c.ID, &c.Slug, &c.Name, &c.Description, &c.Position)
	if errors.Is(err, sql.ErrNoRows) {
		return c, Errorf(NotFound, "This category does not exist.")
	}
	return c, err
}

func insertCategory(ctx context.Context, tx *Tx, c *Category) error {
	res, err := tx.ExecContext(ctx,
		`INSERT INTO categories (slug, name, description, position) VALUES (?, ?, ?, ?)`,
		c.Slug, c.Name, c.Description, c.Position)
	if err != nil {
		return err
	}
	c.ID, err = res.LastInsertId()
	return err
}
