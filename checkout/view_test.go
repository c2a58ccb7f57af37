package checkout

import (
	"strings"
	"testing"
)

// An order's free delivery reads "free", as the order form said it, not "€0.00".
func TestOrderSummary_FreeDeliveryReadsFree(t *testing.T) {
	o := Order{Delivery: Delivery{Name: "Pick-up", Cents: 0}, ItemsCents: 1200, TotalCents: 1200}
	if got := orderSummary(o).Delivery; got != "free" {
		t.Errorf("free delivery reads %q", got)
	}
	o.Delivery.Cents = 590
	if got := orderSummary(o).Delivery; got != "€5.90" {
		t.Errorf("paid delivery reads %q", got)
	}
}

// The order form's script shows a free method's delivery as "free" too.
func TestMethodOptions_FreeDeliveryReadsFree(t *testing.T) {
	opts := methodOptions([]DeliveryMethod{{Code: "pickup", Name: "Pick-up", Active: true}}, nil, 0)
	if len(opts) != 1 || !strings.Contains(opts[0].Totals, `"delivery":"free"`) || opts[0].Price != "free" {
		t.Errorf("pick-up option = %+v", opts)
	}
}
