package checkout

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"shop/cart"
	"shop/store"
)

// A database made before the bodies moved keeps its queued mails, whole, and sends them.
func TestMigration_OutboxBodiesMoveWithTheirMail(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shop.db")
	before := fstest.MapFS{}
	for _, name := range []string{"001_orders.sql", "002_outbox.sql", "003_payments.sql"} {
		body, err := fs.ReadFile(migrationsFS, "migrations/"+name)
		if err != nil {
			t.Fatal(err)
		}
		before["migrations/"+name] = &fstest.MapFile{Data: body}
	}
	old, err := store.Open(ctx, path, cart.Migrations, store.Migrations{Name: Migrations.Name, FS: before})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.W.Exec(`INSERT INTO outbox (key, recipient, subject, text_body, html_body, next_attempt_at, created_at)
		VALUES ('k1', 'a@example.com', 'Hello', 'plain text', '<p>html</p>', ?, ?)`, time.Time{}, time.Now()); err != nil {
		t.Fatal(err)
	}
	old.Close()

	db, err := store.Open(ctx, path, cart.Migrations, Migrations)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.R.QueryRow(`SELECT count(*) FROM pragma_table_info('outbox') WHERE name LIKE '%body'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("outbox still has %d body columns (%v)", n, err)
	}
	rows, err := claimDueMail(ctx, db, "token", time.Now(), time.Now().Add(time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Text != "plain text" || rows[0].HTML != "<p>html</p>" || rows[0].Subject != "Hello" {
		t.Fatalf("claimed %+v, want the mail with both bodies", rows)
	}
}
