package store

import (
	"context"
	"database/sql"
	"errors"
)

// keepOldSlug records, inside the write that renames a product or a category (table is
// "product" or "category"), that old was its address, so that links to it redirect.
// new is no one's old address any more: it is a page of its own.
func keepOldSlug(ctx context.Context, tx *Tx, table string, id int64, old, new string) error {
	if old == new {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+`_old_slugs WHERE slug = ?`, new); err != nil {
		return err
	}
	if old == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO `+table+`_old_slugs (slug, `+table+`_id) VALUES (?, ?)
		ON CONFLICT (slug) DO UPDATE SET `+table+`_id = excluded.`+table+`_id`, old, id)
	return err
}

// MovedProduct is the current slug of the published product that slug was the address
// of, or NotFound.
func (db *DB) MovedProduct(ctx context.Context, slug string) (string, error) {
	var now string
	err := db.ReadRow(ctx, `SELECT p.slug FROM product_old_slugs o JOIN products p ON p.id = o.product_id
		WHERE o.slug = ? AND p.published = 1`, slug).Scan(&now)
	if errors.Is(err, sql.ErrNoRows) {
		return "", Errorf(NotFound, "This product does not exist or is no longer sold.")
	}
	return now, err
}

// MovedCategory is the current slug of the category that slug was the address of, or
// NotFound.
func (db *DB) MovedCategory(ctx context.Context, slug string) (string, error) {
	var now string
	err := db.ReadRow(ctx, `SELECT c.slug FROM category_old_slugs o JOIN categories c ON c.id = o.category_id
		WHERE o.slug = ?`, slug).Scan(&now)
	if errors.Is(err, sql.ErrNoRows) {
		return "", Errorf(NotFound, "This category does not exist.")
	}
	return now, err
}
