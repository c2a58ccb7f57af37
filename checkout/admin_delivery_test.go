package checkout

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"shop/store"
)

func TestParseDeliveryEuros(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "0,00": 0, "€0.00": 0, "0 €": 0, "5,90": 590, "12": 1200} {
		if got, err := parseDeliveryEuros(in); err != nil || got != want {
			t.Errorf("parseDeliveryEuros(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "abc", ".", "1,2,3"} {
		if _, err := parseDeliveryEuros(in); store.ErrorCode(err) != store.Invalid {
			t.Errorf("parseDeliveryEuros(%q): %v, want invalid", in, err)
		}
	}
}

func TestDeliveryMethods_CreateMoveAndKeepOneActive(t *testing.T) {
	f := newPlaceFixture(t)
	ctx := context.Background()
	m := DeliveryMethod{Code: "relay", Name: "Relay point", PriceCents: 350, VATRate: 2000, NeedsAddress: true, Active: true,
		FreeAboveCents: sql.NullInt64{Int64: 4000, Valid: true}}
	if err := f.svc.CreateDeliveryMethod(ctx, &m); err != nil {
		t.Fatal(err)
	}
	if dup := (DeliveryMethod{Code: "relay", Name: "Again"}); !errors.Is(f.svc.CreateDeliveryMethod(ctx, &dup), errDeliveryCodeTaken) {
		t.Error("a second method with the same code was created")
	}
	codes := func() []string {
		ms, err := f.svc.DeliveryMethods(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.Code)
		}
		return out
	}
	if got := codes(); len(got) != 4 || got[3] != "relay" {
		t.Fatalf("methods %v, want relay last", got)
	}
	for _, up := range []bool{true, true, false} {
		if err := f.svc.MoveDeliveryMethod(ctx, m.ID, up); err != nil {
			t.Fatal(err)
		}
	}
	if got := codes(); got[2] != "relay" {
		t.Errorf("after up, up, down: %v", got)
	}
	if err := f.svc.MoveDeliveryMethod(ctx, 999, true); store.ErrorCode(err) != store.NotFound {
		t.Errorf("moving a missing method: %v", err)
	}
	got, err := f.svc.DeliveryMethodByID(ctx, m.ID)
	if err != nil || got.PriceFor(4000) != 0 || got.PriceFor(3999) != 350 {
		t.Errorf("stored method %+v, %v", got, err)
	}

	all, _ := f.svc.DeliveryMethods(ctx, true)
	for i, m := range all {
		m.Active = false
		err := f.svc.UpdateDeliveryMethod(ctx, m)
		if last := i == len(all)-1; last != errors.Is(err, errLastActive) {
			t.Errorf("switching off %s (last %v): %v", m.Code, last, err)
		}
	}
	if active, _ := f.svc.DeliveryMethods(ctx, false); len(active) != 1 {
		t.Errorf("%d active methods, want 1 kept", len(active))
	}
}
