package store

import (
	"context"
	"database/sql"
	"errors"
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

func insertCategory(ctx context.Context, tx *sql.Tx, c *Category) error {
	res, err := tx.ExecContext(ctx,
		`INSERT INTO categories (slug, name, description, position) VALUES (?, ?, ?, ?)`,
		c.Slug, c.Name, c.Description, c.Position)
	if err != nil {
		return err
	}
	c.ID, err = res.LastInsertId()
	return err
}
