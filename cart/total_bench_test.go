package cart_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"shop/cart"
	"shop/store"
)

// benchLines is a cart of ten lines as the catalogue prices it.
func benchLines() []cart.Line {
	lines := make([]cart.Line, 10)
	for i := range lines {
		lines[i] = cart.Line{ProductID: int64(i + 1), PriceCents: int64(120 + 731*i), VATRate: 550, Stock: 40,
			Published: true, Quantity: 1 + i%3}
	}
	return lines
}

// BenchmarkLineTotals is the arithmetic of a cart's total: each line's total, its
// problem check, the sum.
func BenchmarkLineTotals(b *testing.B) {
	lines := benchLines()
	b.ReportAllocs()
	var total int64
	for b.Loop() {
		total = 0
		for _, l := range lines {
			if l.Problem() == "" {
				total += l.Total()
			}
		}
	}
	if total <= 0 {
		b.Fatal("no total")
	}
}

// BenchmarkCart_LinesTotal is what the cart page and the header pay for a ten-line
// cart: reading its lines with the catalogue's current prices from a real SQLite file,
// then totalling them.
func BenchmarkCart_LinesTotal(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "shop.db"), cart.Migrations)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SeedDemo(ctx); err != nil {
		b.Fatal(err)
	}
	c := &cart.Cart{DB: db, Now: time.Now}
	const visitor = "0123456789abcdef0123456789abcdef"
	added := 0
	for id := int64(1); added < 10; id++ {
		if err := c.Add(ctx, visitor, id, 1); err == nil {
			added++
		} else if id > 100 {
			b.Fatalf("only %d demo products could be added: %v", added, err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		lines, err := c.Lines(ctx, visitor)
		if err != nil || len(lines) != 10 {
			b.Fatalf("lines: %d, %v", len(lines), err)
		}
		var total int64
		for _, l := range lines {
			total += l.Total()
		}
		if total <= 0 {
			b.Fatal("no total")
		}
	}
}
