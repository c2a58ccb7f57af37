package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var catalogueFS embed.FS

var catalogueMigrations = Migrations{Name: "store", FS: catalogueFS}

// Migrations is one package's numbered SQL files ("migrations/001_name.sql"). Each
// package embeds its own, next to the code that owns the tables, and main passes them to
// Open in import order.
type Migrations struct {
	Name string
	FS   fs.FS
}

func (db *DB) migrate(ctx context.Context, set Migrations) error {
	if _, err := db.W.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		package TEXT NOT NULL,
		version INTEGER NOT NULL,
		name TEXT NOT NULL,
		applied_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
		PRIMARY KEY (package, version))`); err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	files, err := fs.Glob(set.FS, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("store: migrations of %s: %w", set.Name, err)
	}
	sort.Strings(files)
	for _, f := range files {
		name := path.Base(f)
		num, _, ok := strings.Cut(name, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil {
			return fmt.Errorf("store: migration %s/%s: name must start with a number and '_'", set.Name, name)
		}
		body, err := fs.ReadFile(set.FS, f)
		if err != nil {
			return err
		}
		// Each file applies in its own transaction, recorded in the same one, so a crash
		// half-way leaves nothing applied twice.
		err = db.Tx(ctx, func(tx *Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE package = ? AND version = ?`,
				set.Name, version).Scan(&n); err != nil || n > 0 {
				return err
			}
			// A script of several statements: run as text, never kept as a statement.
			if _, err := tx.Tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("store: migration %s/%s: %w", set.Name, name, err)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (package, version, name) VALUES (?, ?, ?)`,
				set.Name, version, name)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
