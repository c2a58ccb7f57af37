package checkout

import (
	"context"
	"strings"
	"testing"
	"time"
)

// activeCodes is the order form's list of delivery methods, as "code:price" in order.
func activeCodes(t *testing.T, s *Service) string {
	t.Helper()
	ms, err := s.DeliveryMethods(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	return DeliverySnapshot(ms, 0)
}

// The order form's list of delivery methods is kept a few seconds, but every change the
// merchant makes in this process shows at once: created, edited, moved, withdrawn.
func TestDeliveryMethods_TheMerchantsChangesShowAtOnce(t *testing.T) {
	f := newPlaceFixture(t)
	ctx := context.Background()
	before := activeCodes(t, f.svc)
	m := DeliveryMethod{Code: "relay", Name: "Relay point", PriceCents: 350, VATRate: 2000, Active: true}
	if err := f.svc.CreateDeliveryMethod(ctx, &m); err != nil {
		t.Fatal(err)
	}
	if got, want := activeCodes(t, f.svc), before+",relay:350"; got != want {
		t.Fatalf("after create: %s, want %s", got, want)
	}
	m.PriceCents = 420
	if err := f.svc.UpdateDeliveryMethod(ctx, m); err != nil {
		t.Fatal(err)
	}
	if got := activeCodes(t, f.svc); !strings.HasSuffix(got, ",relay:420") {
		t.Fatalf("after the price change: %s", got)
	}
	if err := f.svc.MoveDeliveryMethod(ctx, m.ID, true); err != nil {
		t.Fatal(err)
	}
	if got := activeCodes(t, f.svc); strings.HasSuffix(got, ",relay:420") || !strings.Contains(got, "relay:420") {
		t.Fatalf("after moving it up: %s", got)
	}
	m.Active = false
	if err := f.svc.UpdateDeliveryMethod(ctx, m); err != nil {
		t.Fatal(err)
	}
	if got := activeCodes(t, f.svc); got != before {
		t.Fatalf("after withdrawing it: %s, want %s", got, before)
	}
}

// A change made elsewhere (another process on the same database) shows once the copy
// is deliveryCacheTTL old, and is never taken for the older list meanwhile by a read
// that overlapped it.
func TestDeliveryMethods_ChangesFromElsewhereShowWithinTheTTL(t *testing.T) {
	f := newPlaceFixture(t)
	before := activeCodes(t, f.svc)
	if !strings.Contains(before, "home:590") {
		t.Fatalf("methods %s, want home at 590", before)
	}
	if _, err := f.db.W.Exec(`UPDATE delivery_methods SET price_cents = 900 WHERE code = 'home'`); err != nil {
		t.Fatal(err)
	}
	if got := activeCodes(t, f.svc); got != before {
		t.Fatalf("within the TTL: %s, want the kept %s", got, before)
	}
	f.clock.Advance(deliveryCacheTTL)
	if got := activeCodes(t, f.svc); !strings.Contains(got, "home:900") {
		t.Fatalf("after the TTL: %s, want home at 900", got)
	}
}

// A read that began before a change cannot keep what it read.
func TestDeliveryCache_AReadOverlappingAChangeKeepsNothing(t *testing.T) {
	var c deliveryCache
	now := time.Now()
	_, gen, ok := c.get(now)
	if ok {
		t.Fatal("an empty cache had a list")
	}
	c.forget() // a change commits while the read runs
	c.put([]DeliveryMethod{{Code: "old"}}, gen, now)
	if _, _, ok := c.get(now); ok {
		t.Fatal("the overlapping read's list was kept")
	}
	_, gen, _ = c.get(now)
	c.put([]DeliveryMethod{{Code: "new"}}, gen, now)
	if ms, _, ok := c.get(now); !ok || ms[0].Code != "new" {
		t.Fatalf("a read after the change: %v, %v", ms, ok)
	}
	if _, _, ok := c.get(now.Add(deliveryCacheTTL)); ok {
		t.Fatal("kept past the TTL")
	}
}
