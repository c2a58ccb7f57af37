package checkout

import (
	"strings"

	"shop/templates"
)

// mailText writes the plain-text part of a mail from the same view as its HTML part.
// It is plain Go rather than a text/template: executing the template by reflection cost
// a purchase more than rendering its HTML part did, inside the write transaction.
//
// The layout: the shop's name, the title, the paragraphs; the card to charge (the
// merchant's card mail); the order with its lines, totals, customer, addresses and
// note; the link; the footer. Blocks are separated by a blank line.
func mailText(v templates.MailView) string {
	var b strings.Builder
	b.Grow(1024)
	line := func(parts ...string) {
		b.WriteByte('\n')
		for _, p := range parts {
			b.WriteString(p)
		}
	}
	block := func(heading string) {
		b.WriteByte('\n')
		line(heading)
	}
	b.WriteString(v.ShopName)
	b.WriteByte('\n')
	line(v.Title)
	for _, p := range v.Paragraphs {
		block(p)
	}
	if c := v.Card; c != nil {
		block("CARD TO CHARGE")
		line("Brand: ", c.Brand)
		line("Expiry: ", c.Expiry)
		line(`Other digits: kept with the order. In the admin area, open the order and choose "Show stored digits".`)
		block("Missing card digits (last 6): " + c.Digits)
	}
	if o := v.Order; o != nil {
		block("ORDER " + o.Reference)
		line("Placed on ", o.Date)
		if o.State != "" {
			line("Status: ", o.State)
		}
		if o.Tracking != "" {
			line("Tracking number: ", o.Tracking)
		}
		b.WriteByte('\n')
		for _, l := range o.Lines {
			line("- ", l.Name)
			line("  ", l.Quantity, " x ", l.Unit, " = ", l.Total)
		}
		block("Items: " + o.Items)
		line(o.DeliveryName, ": ", o.DeliveryPrice)
		line("Total excl. VAT: ", o.TotalHT)
		for _, t := range o.VAT {
			line("VAT ", t.Rate, ": ", t.Amount)
		}
		line("Total incl. VAT: ", o.Total)
		if o.PaymentMethod != "" || o.PaymentStatus != "" {
			line("Payment: ", o.PaymentMethod, ", ", o.PaymentStatus)
		}
		if c := o.Customer; c != nil {
			block("CUSTOMER")
			line(c.Name)
			line(c.Email)
			line(c.Phone)
		}
		for _, a := range []struct {
			heading string
			lines   []string
		}{{"BILLING ADDRESS", o.Billing}, {"DELIVERY ADDRESS", o.Shipping}} {
			if len(a.lines) == 0 {
				continue
			}
			block(a.heading)
			for _, l := range a.lines {
				line(l)
			}
		}
		if o.PickUp != "" {
			block("PICK-UP")
			line(o.PickUp)
		}
		if o.Note != "" {
			block("NOTE FROM THE CUSTOMER")
			line(o.Note)
		}
	}
	if v.Link.URL != "" {
		block(v.Link.Text + ":")
		line(v.Link.URL)
	}
	if v.Footer != "" {
		block("--")
		line(v.Footer)
	}
	return strings.TrimSpace(b.String()) + "\n"
}
