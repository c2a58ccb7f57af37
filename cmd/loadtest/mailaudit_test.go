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

// auditOrder is an order of the fixture: its payment state and its outbox rows.
type auditOrder struct {
	state string
	mails []auditMail
}

type auditMail struct{ kind, status string }

var (
	merchantSent = auditMail{"merchant-completed", "sent"}
	shopperSent  = auditMail{"shopper-confirmation", "sent"}
)

// auditFixture is a shop database holding orders.
func auditFixture(t *testing.T, orders []auditOrder) string {
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
			for _, m := range o.mails {
				if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (key, order_id, order_ref, recipient, subject, status,
					next_attempt_at, created_at) VALUES (?, ?, ?, 'a@example.com', 's', ?, '2026-11-24 10:00:00', '2026-11-24 10:00:00')`,
					fmt.Sprintf("order/%d/%s/%s", i+1, ref, m.kind), i+1, ref, m.status); err != nil {
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

func TestAuditMails(t *testing.T) {
	ctx := context.Background()
	t.Run("every completed order has its two mails sent", func(t *testing.T) {
		path := auditFixture(t, []auditOrder{
			{"paid", []auditMail{merchantSent, shopperSent}},
			{"awaiting_certification", []auditMail{merchantSent, shopperSent, {"shopper-certified", "sent"}}},
			{"awaiting_payment", nil}, // not paid: no mail expected
		})
		a, err := auditMails(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		want := MailAudit{CompletedOrders: 2, Sent: 5}
		if a != want {
			t.Errorf("audit = %+v, want %+v", a, want)
		}
		if !a.ok(5) || a.ok(4) || !a.ok(-1) {
			t.Errorf("ok(5), ok(4), ok(-1) = %v, %v, %v; want true, false, true", a.ok(5), a.ok(4), a.ok(-1))
		}
	})
	t.Run("a missing, waiting or failed mail shows", func(t *testing.T) {
		path := auditFixture(t, []auditOrder{
			{"paid", []auditMail{merchantSent}},                                                              // the shopper's lost
			{"paid", []auditMail{merchantSent, {"shopper-confirmation", "queued"}}},                          // left behind
			{"awaiting_certification", []auditMail{{"merchant-completed", "failed"}}},                        // given up
			{"paid", []auditMail{{"shopper-payment-refused", "sent"}, {"merchant-payment-refused", "sent"}}}, // other mails
			{"awaiting_certification", []auditMail{merchantSent, shopperSent}},
		})
		a, err := auditMails(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		want := MailAudit{CompletedOrders: 5, WithoutMails: 4, Sent: 6, Waiting: 1, Failed: 1}
		if a != want {
			t.Errorf("audit = %+v, want %+v", a, want)
		}
		if a.ok(-1) {
			t.Error("ok with orders short of their mails")
		}
	})
}
