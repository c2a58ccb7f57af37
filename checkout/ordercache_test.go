package checkout

import (
	"context"
	"reflect"
	"testing"
	"time"
)

// TestShopperOrder_EveryWriteLeavesTheOrderAsStored: after each kind of write to an
// order, the shopper's pages get the order exactly as the database now holds it, and
// (but for the bank hand-off, which only drops the old copy) without reading it.
func TestShopperOrder_EveryWriteLeavesTheOrderAsStored(t *testing.T) {
	f := newPlaceFixture(t)
	ctx := context.Background()
	check := func(step string, ref string, cached bool) {
		t.Helper()
		stored, err := f.svc.OrderByReference(ctx, ref)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if _, ok := f.svc.orders.get(ref, time.Now()); ok != cached {
			t.Errorf("%s: cached = %v, want %v", step, ok, cached)
		}
		got, err := f.svc.ShopperOrder(ctx, ref)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if !reflect.DeepEqual(got, stored) {
			t.Errorf("%s: the shopper's page gets\n%+v\nthe database holds\n%+v", step, got, stored)
		}
	}

	o, tea := f.paidByCard(t, 10, 2) // placed, then card details received
	check("card details received", o.Reference, true)
	if err := f.svc.Certify(ctx, o.ID, Action{Actor: "admin"}); err != nil {
		t.Fatal(err)
	}
	check("certified", o.Reference, true)
	if err := f.svc.Ship(ctx, o.ID, "TRK1", Action{Actor: "admin"}); err != nil {
		t.Fatal(err)
	}
	check("shipped", o.Reference, true)

	placed, dup, err := f.svc.Place(ctx, f.fill(t, "v2", map[int64]int{tea: 1}))
	if err != nil || dup {
		t.Fatalf("Place: dup=%v err=%v", dup, err)
	}
	check("placed", placed.Reference, true)
	if err := f.svc.ExtendForBank(ctx, placed.ID); err != nil {
		t.Fatal(err)
	}
	check("left for the bank", placed.Reference, false)
	if err := f.svc.Cancel(ctx, placed.ID, Action{Actor: "admin", Reason: "asked to"}); err != nil {
		t.Fatal(err)
	}
	check("cancelled", placed.Reference, true)

	late, _, err := f.svc.Place(ctx, f.fill(t, "v3", map[int64]int{tea: 1}))
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(31 * time.Minute)
	if n, err := f.svc.ExpireDue(ctx); err != nil || n != 1 {
		t.Fatalf("ExpireDue = %d, %v", n, err)
	}
	check("expired", late.Reference, true)

	rejected, _, err := f.svc.Place(ctx, f.fill(t, "v4", map[int64]int{tea: 1}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CompletePayment(ctx, rejected.ID, Completion{Method: "card", To: AwaitingCertification}); err != nil {
		t.Fatal(err)
	}
	check("card details received, no record", rejected.Reference, true)
	if err := f.svc.Reject(ctx, rejected.ID, Action{Actor: "admin"}); err != nil {
		t.Fatal(err)
	}
	check("rejected", rejected.Reference, true)

	// Several lines at two VAT rates: placing keeps them in the order it wrote them.
	mug := f.product(t, "mug", 1250, 2000, 10)
	mixed, _, err := f.svc.Place(ctx, f.fill(t, "v5", map[int64]int{tea: 1, mug: 3}))
	if err != nil {
		t.Fatal(err)
	}
	if len(mixed.Lines) != 2 || len(mixed.VAT) != 2 { // 5.5 % and 20 % (with the delivery's)
		t.Fatalf("%d lines, %d VAT lines; want 2 and 2", len(mixed.Lines), len(mixed.VAT))
	}
	check("placed, two rates", mixed.Reference, true)
	if _, err := f.svc.CompletePayment(ctx, mixed.ID, Completion{Method: "card", To: AwaitingCertification}); err != nil {
		t.Fatal(err)
	}
	check("card details received, two rates", mixed.Reference, true)

	// A page that changes its copy changes nobody else's.
	got, _ := f.svc.ShopperOrder(ctx, o.Reference)
	got.Lines[0].Quantity = 99
	if again, _ := f.svc.ShopperOrder(ctx, o.Reference); again.Lines[0].Quantity != 2 {
		t.Errorf("a page's change to its copy reached the next page: quantity %d", again.Lines[0].Quantity)
	}
}

func TestOrderCache_ForgetsOldCopiesAndStaysBounded(t *testing.T) {
	var c orderCache
	start := time.Now()
	c.put(Order{Reference: "R1"}, start)
	if _, ok := c.get("R1", start.Add(orderCacheTTL-time.Millisecond)); !ok {
		t.Error("a fresh copy was not served")
	}
	if _, ok := c.get("R1", start.Add(orderCacheTTL)); ok {
		t.Error("a copy orderCacheTTL old was served: another process's writes would never show")
	}
	for i := range 3 * orderCacheSize {
		c.put(Order{Reference: string(rune(0x4e00 + i))}, start)
	}
	if n := len(c.m); n > orderCacheSize {
		t.Errorf("%d copies kept, want at most %d", n, orderCacheSize)
	}
	c.put(Order{Reference: "R2"}, start)
	if _, ok := c.get("R2", start); !ok {
		t.Error("the newest copy was swept")
	}
}
