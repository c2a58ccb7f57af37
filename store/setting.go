package store

import (
	"context"
	"database/sql"
)

// Setting returns the value kept under key, creating it with generate on first use. Two
// processes starting at once agree on one value: the insert and the read share one
// IMMEDIATE transaction and INSERT OR IGNORE keeps the first.
func (db *DB) Setting(ctx context.Context, key string, generate func() ([]byte, error)) ([]byte, error) {
	var v []byte
	err := db.Tx(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
		if err != sql.ErrNoRows {
			return err
		}
		if v, err = generate(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)`, key, v)
		return err
	})
	return v, err
}
