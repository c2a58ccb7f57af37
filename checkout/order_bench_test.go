package checkout

import (
	"context"
	"strconv"
	"testing"

	"shop/store"
)

// BenchmarkOrderByReference reads a placed order of two lines at two VAT rates, as the
// payment, card and order pages each do once per purchase.
func BenchmarkOrderByReference(b *testing.B) {
	f := newPlaceFixture(b)
	mug, book := f.product(b, "mug", 1250, 2000, 10), f.product(b, "book", 2390, 550, 10)
	o, _, err := f.svc.Place(context.Background(), f.fill(b, "v1", map[int64]int{mug: 2, book: 1}))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		got, err := f.svc.OrderByReference(ctx, o.Reference)
		if err != nil || len(got.Lines) != 2 || len(got.VAT) != 2 {
			b.Fatalf("%d lines, %d VAT lines, %v", len(got.Lines), len(got.VAT), err)
		}
	}
}

// BenchmarkPurchase is the service side of a card purchase: fill a new cart, place the
// order, take the card details with the merchant's and the shopper's mails queued. Its
// ns/op is mostly the wait for each write's disk sync; cpu-µs/op is what a purchase
// costs the machine.
func BenchmarkPurchase(b *testing.B) {
	f := newPlaceFixture(b)
	ctx := context.Background()
	mug, book := f.product(b, "mug", 1250, 2000, 1<<30), f.product(b, "book", 2390, 550, 1<<30)
	key := newTestDigitsKey(b)
	cpu := processCPU()
	n := 0
	for b.Loop() {
		n++
		o, _, err := f.svc.Place(ctx, f.fill(b, "v"+strconv.Itoa(n), map[int64]int{mug: 1, book: 2}))
		if err != nil {
			b.Fatal(err)
		}
		changed, err := f.svc.CompletePayment(ctx, o.ID, Completion{Method: "card", To: AwaitingCertification,
			Card:   &CardDetails{Brand: "Visa", Expiry: "12/2030"},
			Secret: key.Seal("881881", o.Reference),
			Record: func(ctx context.Context, tx *store.Tx, o Order) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO card_payments (order_id, brand, expiry, stored, created_at)
					VALUES (?, 'visa', '12/2030', '4012888888', ?)`, o.ID, f.clock.Now())
				return err
			}})
		if err != nil || !changed {
			b.Fatalf("CompletePayment: changed=%v err=%v", changed, err)
		}
	}
	b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(n), "cpu-µs/op")
}
