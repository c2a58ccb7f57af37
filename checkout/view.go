package checkout

import (
	"encoding/json"
	"strconv"

	"shop/cart"
	"shop/store"
	"shop/templates"
)

// paymentWords says an order's payment state the way a shopper understands it.
var paymentWords = map[PaymentState]string{
	AwaitingPayment:       "Awaiting payment",
	AwaitingCertification: "Being verified by the merchant",
	Paid:                  "Paid",
	Failed:                "Payment failed",
	PaymentCancelled:      "Cancelled",
	Expired:               "Expired (not paid in time)",
}

var fulfilmentWords = map[FulfilmentState]string{
	Unfulfilled:         "Not shipped yet",
	Shipped:             "Shipped",
	FulfilmentCancelled: "Cancelled",
}

// PaymentWords is the shopper's wording of a payment state, for pages and mails.
func PaymentWords(s PaymentState) string { return paymentWords[s] }

// FulfilmentWords is the shopper's wording of a fulfilment state.
func FulfilmentWords(s FulfilmentState) string { return fulfilmentWords[s] }

func orderSummary(o Order) templates.OrderSummary {
	s := templates.OrderSummary{
		Items: store.FormatCents(o.ItemsCents), DeliveryName: o.Delivery.Name, Delivery: deliveryPrice(o.Delivery.Cents), // "free", as the form said
		TotalHT: store.FormatCents(o.TotalHTCents), TotalVAT: store.FormatCents(o.TotalVATCents),
		Total: store.FormatCents(o.TotalCents),
	}
	for _, l := range o.Lines {
		s.Lines = append(s.Lines, templates.SummaryLine{Name: l.Name, Quantity: strconv.Itoa(l.Quantity),
			Unit: store.FormatCents(l.UnitCents), Total: store.FormatCents(l.TotalCents), VATRate: store.FormatRate(l.VATRate)})
	}
	s.VAT = vatLines(o.VAT)
	return s
}

func vatLines(vs []VATLine) []templates.SummaryVAT {
	out := make([]templates.SummaryVAT, 0, len(vs))
	for _, v := range vs {
		out = append(out, templates.SummaryVAT{Rate: store.FormatRate(v.Rate), Base: store.FormatCents(v.HT),
			Amount: store.FormatCents(v.VAT)})
	}
	return out
}

// cartSummary prices the cart as the order would be, with the chosen delivery method.
func cartSummary(lines []cart.Line, m DeliveryMethod, ok bool) templates.OrderSummary {
	ls, items := orderLinesOf(lines)
	var delivery int64
	if ok {
		delivery = m.PriceFor(items)
	}
	t := computeTotals(ls, delivery, m.VATRate)
	o := Order{Lines: ls, ItemsCents: t.Items, TotalCents: t.Total, TotalHTCents: t.HT, TotalVATCents: t.VATAmount,
		VAT: t.VAT, Delivery: Delivery{Name: m.Name, Cents: delivery}}
	return orderSummary(o)
}

// orderLinesOf is the cart's lines as an order's, and their total.
func orderLinesOf(lines []cart.Line) ([]Line, int64) {
	ls := make([]Line, 0, len(lines))
	var items int64
	for _, l := range lines {
		ls = append(ls, Line{ProductID: l.ProductID, Name: l.Name, UnitCents: l.PriceCents, VATRate: l.VATRate,
			Quantity: l.Quantity, TotalCents: l.Total()})
		items += l.Total()
	}
	return ls, items
}

func addressLines(a Address) []string {
	if a.Line1 == "" {
		return nil
	}
	out := []string{a.Name, a.Line1}
	if a.Line2 != "" {
		out = append(out, a.Line2)
	}
	return append(out, a.Postcode+" "+a.City, countryName(a.Country))
}

func formView(f Form) templates.CheckoutForm {
	return templates.CheckoutForm{
		Email: f.Email, Name: f.Name, Phone: f.Phone,
		BillingLine1: f.BillingLine1, BillingLine2: f.BillingLine2, BillingPostcode: f.BillingPostcode,
		BillingCity: f.BillingCity, BillingCountry: f.BillingCountry,
		ShipDifferent: f.ShipDifferent, ShipName: f.ShipName, ShipLine1: f.ShipLine1, ShipLine2: f.ShipLine2,
		ShipPostcode: f.ShipPostcode, ShipCity: f.ShipCity, ShipCountry: f.ShipCountry,
		Delivery: f.Delivery, Note: f.Note, Terms: f.AcceptTerms,
	}
}

// cartItems is what the cart's items cost, before delivery.
func cartItems(lines []cart.Line) int64 {
	var items int64
	for _, l := range lines {
		items += l.Total()
	}
	return items
}

// methodOptions are the delivery choices priced for a cart of items (free once it reaches
// a method's threshold, as the order's total will be), each with the order's total and
// the summary's foot it would have.
func methodOptions(ms []DeliveryMethod, lines []cart.Line, items int64) []templates.DeliveryOption {
	out := make([]templates.DeliveryOption, 0, len(ms))
	ls, _ := orderLinesOf(lines)
	for _, m := range ms {
		delivery := m.PriceFor(items)
		t := computeTotals(ls, delivery, m.VATRate) // only the foot: the lines are the same
		total := store.FormatCents(t.Total)
		totals, _ := json.Marshal(summaryTotals{Name: m.Name, Delivery: deliveryPrice(delivery),
			HT: store.FormatCents(t.HT), VAT: vatLines(t.VAT), Total: total}) // strings only: cannot fail
		o := templates.DeliveryOption{Code: m.Code, Name: m.Name, Description: m.Description,
			Price: deliveryPrice(delivery), NeedsAddress: m.NeedsAddress, Total: total, Totals: string(totals)}
		if delivery != 0 && m.FreeAboveCents.Valid { // the threshold as set, whatever the description says
			o.FreeFrom = store.FormatCents(m.FreeAboveCents.Int64)
		}
		out = append(out, o)
	}
	return out
}

// summaryTotals is the foot of the order form's summary with one delivery method, which
// the page's script shows when the shopper picks that method: the total then says what
// "Place order" will ask for before it is clicked.
type summaryTotals struct {
	Name     string                 `json:"name"`
	Delivery string                 `json:"delivery"`
	HT       string                 `json:"ht"`
	VAT      []templates.SummaryVAT `json:"vat"`
	Total    string                 `json:"total"`
}

func countryOptions() []templates.Option {
	out := make([]templates.Option, 0, len(Countries))
	for _, c := range Countries {
		out = append(out, templates.Option{Value: c.Code, Label: c.Name})
	}
	return out
}
