package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"shop/cart"
	"shop/checkout"
	"shop/store"
)

// auditFixture is a shop database with orders in the given payment states and, for
// each, outbox rows of the given statuses.
func auditFixture(t *testing.T, orders []struct {
	state string
	mails []string
}) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shop.db")
	db, err := store.Open(ctx, path, cart.Migrations, checkout.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Tx(ctx, func(tx *store.Tx) error {
		for i, o := range orders {
			ref := fmt.Sprintf("REF%d", i)
			if _, err := tx.ExecContext(ctx, `INSERT INTO orders (id, reference, access_token, submission, placed_by, owner,
				email, name, phone, billing_line1, billing_postcode, billing_city, billing_country, delivery_code,
				delivery_name, delivery_cents, delivery_vat, items_cents, total_cents, total_ht_cents, total_vat_cents,
				payment_state, expires_at, created_at, updated_at)
				VALUES (?, ?, 't', ?, 'v', 'v', 'a@example.com', 'A', '1', 'l', 'p', 'c', 'FR', 'home', 'Home', 0, 2000,
				100, 100, 83, 17, ?, '2026-11-24 10:00:00', '2026-11-24 10:00:00', '2026-11-24 10:00:00')`,
				i+1, ref, ref, o.state); err != nil {
				return err
			}
			for j, status := range o.mails {
				if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (key, order_id, order_ref, recipient, subject, status,
					next_attempt_at, created_at) VALUES (?, ?, ?, 'a@example.com', 's', ?, '2026-11-24 10:00:00', '2026-11-24 10:00:00')`,
					fmt.Sprintf("order/%d/%s/%d", i+1, ref, j), i+1, ref, status); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

type auditOrder = struct {
	state string
	mails []string
}

func TestAuditMails(t *testing.T) {
	ctx := context.Background()
	t.Run("every completed order has its two mails sent", func(t *testing.T) {
		path := auditFixture(t, []auditOrder{
			{"paid", []string{"sent", "sent"}},
			{"awaiting_certification", []string{"sent", "sent"}},
			{"awaiting_payment", nil}, // not paid: no mail expected
		})
		a, err := auditMails(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		want := MailAudit{CompletedOrders: 2, Sent: 4}
		if a != want {
			t.Errorf("audit = %+v, want %+v", a, want)
		}
		if !a.ok(4) || a.ok(3) || !a.ok(-1) {
			t.Errorf("ok(4), ok(3), ok(-1) = %v, %v, %v; want true, false, true", a.ok(4), a.ok(3), a.ok(-1))
		}
	})
	t.Run("a missing, waiting or failed mail shows", func(t *testing.T) {
		path := auditFixture(t, []auditOrder{
			{"paid", []string{"sent"}},                     // one mail lost
			{"paid", []string{"sent", "queued"}},           // one left behind
			{"awaiting_certification", []string{"failed"}}, // given up
			{"awaiting_certification", []string{"sent", "sent"}},
		})
		a, err := auditMails(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		want := MailAudit{CompletedOrders: 4, WithoutMails: 3, Sent: 4, Waiting: 1, Failed: 1}
		if a != want {
			t.Errorf("audit = %+v, want %+v", a, want)
		}
		if a.ok(-1) {
			t.Error("ok with orders short of their mails")
		}
	})
}
