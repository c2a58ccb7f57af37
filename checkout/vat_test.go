package checkout

import (
	"reflect"
	"testing"
)

// The expected figures were computed by hand: VAT in a TTC amount is
// TTC × rate / (1 + rate), rounded half up to the cent, per rate.
func TestComputeTotals_MixedRates(t *testing.T) {
	tests := []struct {
		name          string
		lines         []Line
		delivery      int64
		deliveryRate  int
		wantTotal     int64
		wantHT        int64
		wantVAT       int64
		wantBreakdown []VATLine
	}{
		{
			name: "food, goods and delivery",
			lines: []Line{
				{VATRate: 550, Quantity: 2, UnitCents: 1290, TotalCents: 2580},
				{VATRate: 2000, Quantity: 1, UnitCents: 1800, TotalCents: 1800},
			},
			delivery: 590, deliveryRate: 2000,
			// 20 %: 2390 × 2000/12000 = 398.33 → 398; 5.5 %: 2580 × 550/10550 = 134.50… → 135
			wantTotal: 4970, wantHT: 4437, wantVAT: 533,
			wantBreakdown: []VATLine{{Rate: 2000, TTC: 2390, HT: 1992, VAT: 398}, {Rate: 550, TTC: 2580, HT: 2445, VAT: 135}},
		},
		{
			name:      "exact half cent rounds up",
			lines:     []Line{{VATRate: 2000, Quantity: 1, UnitCents: 9, TotalCents: 9}}, // 9/6 = 1.5 → 2
			wantTotal: 9, wantHT: 7, wantVAT: 2,
			wantBreakdown: []VATLine{{Rate: 2000, TTC: 9, HT: 7, VAT: 2}},
		},
		{
			name: "press 2.1 %, books 10 %, gift card 0 %, free delivery",
			lines: []Line{
				{VATRate: 210, Quantity: 1, UnitCents: 1000, TotalCents: 1000}, // 20.57 → 21
				{VATRate: 1000, Quantity: 2, UnitCents: 550, TotalCents: 1100}, // 100 exactly
				{VATRate: 0, Quantity: 1, UnitCents: 2500, TotalCents: 2500},
			},
			wantTotal: 4600, wantHT: 4479, wantVAT: 121,
			wantBreakdown: []VATLine{{Rate: 1000, TTC: 1100, HT: 1000, VAT: 100}, {Rate: 210, TTC: 1000, HT: 979, VAT: 21},
				{Rate: 0, TTC: 2500, HT: 2500, VAT: 0}},
		},
		{
			name: "many lines at one rate are rounded once, not per line",
			lines: []Line{
				{VATRate: 2000, Quantity: 1, UnitCents: 3, TotalCents: 3}, // alone: 0.5 → 1 each
				{VATRate: 2000, Quantity: 1, UnitCents: 3, TotalCents: 3},
				{VATRate: 2000, Quantity: 1, UnitCents: 3, TotalCents: 3},
			},
			// together: 9/6 = 1.5 → 2 (per line it would have been 3)
			wantTotal: 9, wantHT: 7, wantVAT: 2,
			wantBreakdown: []VATLine{{Rate: 2000, TTC: 9, HT: 7, VAT: 2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := computeTotals(tt.lines, tt.delivery, tt.deliveryRate)
			if got.Total != tt.wantTotal || got.HT != tt.wantHT || got.VATAmount != tt.wantVAT {
				t.Errorf("total %d HT %d VAT %d, want %d %d %d", got.Total, got.HT, got.VATAmount, tt.wantTotal, tt.wantHT, tt.wantVAT)
			}
			if !reflect.DeepEqual(got.VAT, tt.wantBreakdown) {
				t.Errorf("breakdown %+v, want %+v", got.VAT, tt.wantBreakdown)
			}
			if got.HT+got.VATAmount != got.Total {
				t.Errorf("HT + VAT = %d, want the TTC total %d", got.HT+got.VATAmount, got.Total)
			}
		})
	}
}

func TestDeliveryMethod_FreeAboveThreshold(t *testing.T) {
	m := DeliveryMethod{PriceCents: 590}
	m.FreeAboveCents.Valid, m.FreeAboveCents.Int64 = true, 6000
	for items, want := range map[int64]int64{5999: 590, 6000: 0, 12000: 0, 0: 590} {
		if got := m.PriceFor(items); got != want {
			t.Errorf("PriceFor(%d) = %d, want %d", items, got, want)
		}
	}
}
