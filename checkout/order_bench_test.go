package checkout

import (
	"context"
	"testing"
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
