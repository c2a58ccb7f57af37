package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Fifty shoppers add at once to one cart (same visitor, each on its own connection and
// jar) while fifty others add to carts of their own. Every add succeeds and none is lost.
func TestCart_ConcurrentAddsOverHTTP(t *testing.T) {
	shop := startShop(t)
	const n = 50
	gift := strconv.FormatInt(shop.productID(t, "gift-card"), 10)      // 100 in stock
	croissant := strconv.FormatInt(shop.productID(t, "croissant"), 10) // 60 in stock

	owner := shop.newShopper(t)
	owner.get("/products/gift-card")
	same := make([]*shopper, n)
	own := make([]*shopper, n)
	for i := range n {
		same[i] = owner.clone(t)
		own[i] = shop.newShopper(t)
		own[i].get("/products/croissant")
	}

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures []string
		sameSum  int
		ownWant  = make([]int, n)
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, fmt.Sprintf(format, args...))
	}
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			qty := 1 + i%2
			p, err := same[i].trySubmit("/cart/add", url.Values{"product_id": {gift}, "quantity": {strconv.Itoa(qty)}})
			switch {
			case err != nil:
				fail("same cart #%d: %v", i, err)
			case p.Status != http.StatusSeeOther:
				fail("same cart #%d: status %d: %s", i, p.Status, textOf(p.Doc))
			default:
				mu.Lock()
				sameSum += qty
				mu.Unlock()
			}
		})
		wg.Go(func() {
			<-start
			qty := 1 + i%3
			p, err := own[i].trySubmit("/cart/add", url.Values{"product_id": {croissant}, "quantity": {strconv.Itoa(qty)}})
			switch {
			case err != nil:
				fail("own cart #%d: %v", i, err)
			case p.Status != http.StatusSeeOther:
				fail("own cart #%d: status %d: %s", i, p.Status, textOf(p.Doc))
			default:
				ownWant[i] = qty
			}
		})
	}
	close(start)
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}

	if got := owner.cartLines(); got[gift] != strconv.Itoa(sameSum) || len(got) != 1 {
		t.Errorf("shared cart = %v, want gift card × %d (the sum of successful adds)", got, sameSum)
	}
	if sameSum != n/2*1+n/2*2 {
		t.Errorf("only %d of the shared cart's items were added", sameSum)
	}
	for i, s := range own {
		if got := s.cartLines(); got[croissant] != strconv.Itoa(ownWant[i]) || len(got) != 1 {
			t.Errorf("cart #%d = %v, want croissant × %d", i, got, ownWant[i])
		}
	}
	if carts := shop.queryInt(t, `SELECT count(*) FROM carts`); carts != n+1 {
		t.Errorf("%d carts in the database, want %d", carts, n+1)
	}
	logs := shop.logs.String()
	for _, bad := range []string{"database is locked", "SQLITE_BUSY", "level=ERROR"} {
		if strings.Contains(logs, bad) {
			t.Errorf("logs contain %q:\n%s", bad, logs)
		}
	}
}
