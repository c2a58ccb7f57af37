package checkout

import "sort"

// Totals is an order's money: items and delivery, all tax-inclusive, and the VAT in
// them per rate.
type Totals struct {
	Items, Delivery, Total int64
	HT, VATAmount          int64
	VAT                    []VATLine
}

// computeTotals applies the shop's one rounding rule. Prices are TTC; for each rate, the
// TTC amounts at that rate (lines and delivery) are summed first, then the VAT in that
// sum is TTC × rate / (100 % + rate), rounded half up to the cent, and HT = TTC − VAT.
// Rounding per rate rather than per line keeps HT + VAT = TTC exactly, on every total.
func computeTotals(lines []Line, delivery int64, deliveryRate int) Totals {
	byRate := map[int]int64{}
	var t Totals
	for _, l := range lines {
		t.Items += l.TotalCents
		byRate[l.VATRate] += l.TotalCents
	}
	t.Delivery = delivery
	if delivery > 0 {
		byRate[deliveryRate] += delivery
	}
	t.Total = t.Items + t.Delivery
	for rate, ttc := range byRate {
		vat := vatIn(ttc, rate)
		t.VAT = append(t.VAT, VATLine{Rate: rate, TTC: ttc, HT: ttc - vat, VAT: vat})
		t.VATAmount += vat
	}
	sort.Slice(t.VAT, func(i, j int) bool { return t.VAT[i].Rate > t.VAT[j].Rate })
	t.HT = t.Total - t.VATAmount
	return t
}

// vatIn is the VAT contained in a tax-inclusive amount at rate (basis points), rounded
// half up: floor((2·ttc·rate + d) / 2d) with d = 10000 + rate, in integers only.
func vatIn(ttc int64, rate int) int64 {
	if rate == 0 || ttc == 0 {
		return 0
	}
	d := int64(10000 + rate)
	return (2*ttc*int64(rate) + d) / (2 * d)
}
