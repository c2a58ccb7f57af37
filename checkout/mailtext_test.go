package checkout

import (
	"testing"

	"shop/templates"
)

// The plain-text part, block by block, exactly as the text template it replaced wrote
// it: every part of the view filled, then the least a mail has.
func TestMailText_Layout(t *testing.T) {
	full := templates.MailView{ShopName: "Le Test", Title: "New order AB12", Paragraphs: []string{"First.", "Second."},
		Card: &templates.MailCard{Brand: "Visa", Expiry: "12/2031", Digits: CardDigitsPlaceholder},
		Order: &templates.MailOrder{Reference: "AB12", Date: "14 March 2031", State: "paid", Tracking: "TRK1",
			Lines: []templates.MailLine{{Name: "Tea", Quantity: "2", Unit: "€9.50", Total: "€19.00"},
				{Name: "Mug", Quantity: "1", Unit: "€12.50", Total: "€12.50"}},
			Items: "€31.50", DeliveryName: "Home delivery", DeliveryPrice: "€5.90", TotalHT: "€31.00",
			VAT: []templates.MailVAT{{Rate: "20%", Amount: "€3.07"}, {Rate: "5.5%", Amount: "€0.99"}}, Total: "€37.40",
			PaymentMethod: "card", PaymentStatus: "paid",
			Customer: &templates.MailCustomer{Name: "Ada", Email: "ada@example.com", Phone: "06 12"},
			Billing:  []string{"Ada", "12 rue X", "69001 Lyon"}, Shipping: []string{"Ada", "3 quai Y"}, Note: "Ring twice"},
		Link: templates.MailLink{Text: "See your order", URL: "https://shop.test/orders/AB12"}, Footer: "Le Test, Lyon"}
	want := `Le Test

New order AB12

First.

Second.

CARD TO CHARGE
Brand: Visa
Expiry: 12/2031
Other digits: kept with the order. In the admin area, open the order and choose "Show stored digits".

Missing card digits (last 6): {{CARD_DIGITS}}

ORDER AB12
Placed on 14 March 2031
Status: paid
Tracking number: TRK1

- Tea
  2 x €9.50 = €19.00
- Mug
  1 x €12.50 = €12.50

Items: €31.50
Home delivery: €5.90
Total excl. VAT: €31.00
VAT 20%: €3.07
VAT 5.5%: €0.99
Total incl. VAT: €37.40
Payment: card, paid

CUSTOMER
Ada
ada@example.com
06 12

BILLING ADDRESS
Ada
12 rue X
69001 Lyon

DELIVERY ADDRESS
Ada
3 quai Y

NOTE FROM THE CUSTOMER
Ring twice

See your order:
https://shop.test/orders/AB12

--
Le Test, Lyon
`
	if got := mailText(full); got != want {
		t.Errorf("full mail:\n%s\nwant:\n%s", got, want)
	}
	least := templates.MailView{ShopName: "Le Test", Title: "Hello", Link: templates.MailLink{Text: "No address"}}
	if got, want := mailText(least), "Le Test\n\nHello\n"; got != want {
		t.Errorf("least mail %q, want %q", got, want)
	}
}
