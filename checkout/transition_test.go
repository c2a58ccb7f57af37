package checkout

import (
	"context"
	"strconv"
	"testing"
)

// queued is the mail of kind queued for o, as the outbox holds it.
func (f *placeFixture) queued(t *testing.T, o Order, kind string) Mail {
	t.Helper()
	m := Mail{Key: "order/" + strconv.FormatInt(o.ID, 10) + "/" + o.Reference + "/" + kind}
	if err := f.db.R.QueryRow(`SELECT o.recipient, o.subject, b.text_body, b.html_body
		FROM outbox o JOIN outbox_bodies b ON b.outbox_id = o.id WHERE o.key = ?`, m.Key).
		Scan(&m.To, &m.Subject, &m.Text, &m.HTML); err != nil {
		t.Fatalf("mail %s: %v", m.Key, err)
	}
	return m
}

// The payment's mails are rendered from the order the caller read, before the
// transaction, and what is queued is what the order in the transaction makes: the same
// mails when nothing changed, mails rendered again from the stored order when it did.
func TestCompletePayment_MailsRenderedBeforeTheTransactionMatchTheOrder(t *testing.T) {
	f := newPlaceFixture(t)
	ctx := context.Background()
	tea := f.product(t, "tea", 950, 550, 10)
	card := &CardDetails{Brand: "Visa", Expiry: "12/2030"}
	key := newTestDigitsKey(t)
	pay := func(read *Order) Order {
		t.Helper()
		changed, err := f.svc.CompletePayment(ctx, read.ID, Completion{Method: "card", To: AwaitingCertification,
			Card: card, Secret: key.Seal("881881", read.Reference), Detail: "Card details received (Visa)", Read: read})
		if err != nil || !changed {
			t.Fatalf("CompletePayment = %v, %v", changed, err)
		}
		o, err := f.svc.OrderByID(ctx, read.ID)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	check := func(o Order, early int64) {
		t.Helper()
		if got := f.svc.MailsRenderedEarly(); got != early {
			t.Errorf("mails rendered before the transaction and queued: %d, want %d", got, early)
		}
		for kind, want := range map[string]Mail{
			"merchant-completed":   f.svc.Mails.OrderCompletedToMerchant(o, card),
			"shopper-confirmation": f.svc.Mails.OrderConfirmationToShopper(o),
		} {
			got := f.queued(t, o, kind)
			if got.To != want.To || got.Subject != want.Subject || got.Text != want.Text || got.HTML != want.HTML {
				t.Errorf("%s mail queued:\n%+v\nwant, as the stored order makes it:\n%+v", kind, got, want)
			}
		}
	}

	// place places an order of qty teas for visitor and reads it back as read does.
	place := func(visitor string, qty int, read func(context.Context, string) (Order, error)) Order {
		t.Helper()
		placed, _, err := f.svc.Place(ctx, f.fill(t, visitor, map[int64]int{tea: qty}))
		if err != nil {
			t.Fatal(err)
		}
		o, err := read(ctx, placed.Reference)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	change := func(o Order, set string) {
		t.Helper()
		if _, err := f.db.W.Exec(`UPDATE orders SET `+set+` WHERE id = ?`, o.ID); err != nil {
			t.Fatal(err)
		}
	}

	// As the card form reads it, from the order cache: both mails rendered early.
	read := place("v1", 1, f.svc.ShopperOrder)
	check(pay(&read), 2)

	// Read from the database (lines included), as the bank's notification reads it.
	read = place("v2", 2, f.svc.OrderByReference)
	check(pay(&read), 4)

	// The order changed after it was read: both mails show it as stored.
	read = place("v3", 1, f.svc.OrderByReference)
	change(read, `email = 'other@example.com', name = 'Another Name'`)
	o := pay(&read)
	if o.Email != "other@example.com" {
		t.Fatalf("the order's e-mail is %q: the change did not take", o.Email)
	}
	check(o, 4)

	// Only the phone changed, which only the merchant's mail shows: the shopper's
	// mail rendered early is still the one queued.
	read = place("v5", 1, f.svc.OrderByReference)
	change(read, `phone = '01 02 03 04 05'`)
	check(pay(&read), 5)

	// Without an order read before, the mails are rendered in the transaction.
	placed := place("v4", 1, f.svc.OrderByReference)
	changed, err := f.svc.CompletePayment(ctx, placed.ID, Completion{Method: "cmcic", To: Paid, AuthNumber: "A1"})
	if err != nil || !changed {
		t.Fatalf("CompletePayment = %v, %v", changed, err)
	}
	if o, err = f.svc.OrderByID(ctx, placed.ID); err != nil {
		t.Fatal(err)
	}
	card = nil
	check(o, 5)
}
