package checkout

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"shop/store"
)

// mailTestOrder is a paid-by-card order awaiting the merchant's certification, with
// two VAT rates, home delivery to another address and a note.
func mailTestOrder() Order {
	return Order{
		ID:          8068,
		Reference:   "AB12CD34EF",
		AccessToken: "tok-Xy_za-Bcd",
		Email:       "ada@example.com",
		Name:        "Ada Lovelace",
		Phone:       "+33 4 72 00 00 00",
		Billing:     Address{Name: "Ada Lovelace", Line1: "1 rue de la Paix", Postcode: "69001", City: "Lyon", Country: "FR"},
		Shipping:    Address{Name: "Charles Babbage", Line1: "12 quai Saint-Antoine", Line2: "Bâtiment B", Postcode: "69002", City: "Lyon", Country: "FR"},
		Delivery:    Delivery{Code: "home", Name: "Home delivery", Cents: 590, VATRate: 2000, NeedsAddress: true},
		Note:        "Please ring twice.",
		Lines: []Line{
			{ProductID: 1, Name: "Tin of sardines", UnitCents: 1250, VATRate: 550, Quantity: 2, TotalCents: 2500},
			{ProductID: 2, Name: "Linen apron", UnitCents: 123450, VATRate: 2000, Quantity: 1, TotalCents: 123450},
		},
		VAT: []VATLine{
			{Rate: 2000, TTC: 124040, HT: 103367, VAT: 20673},
			{Rate: 550, TTC: 2500, HT: 2370, VAT: 130},
		},
		ItemsCents:      125950,
		TotalCents:      126540,
		TotalHTCents:    105737,
		TotalVATCents:   20803,
		Currency:        "EUR",
		PaymentState:    AwaitingCertification,
		FulfilmentState: Unfulfilled,
		PaymentMethod:   "card",
		CreatedAt:       time.Date(2031, 3, 14, 9, 30, 0, 0, time.UTC),
	}
}

func testMails() *Mails {
	return &Mails{ShopName: "Le Test", BaseURL: "https://shop.test", Merchant: "merchant@example.com"}
}

func TestMails_MerchantCardOrder(t *testing.T) {
	o := mailTestOrder()
	m := testMails().OrderCompletedToMerchant(o, &CardDetails{Brand: "Visa", Expiry: "12/2031"})

	if m.Key != "order/8068/AB12CD34EF/merchant-completed" || m.To != "merchant@example.com" {
		t.Errorf("key %q to %q", m.Key, m.To)
	}
	if want := "[Le Test] New order AB12CD34EF — awaiting card certification"; m.Subject != want {
		t.Errorf("subject %q, want %q", m.Subject, want)
	}
	// The placeholder, not digits, on a line of its own, clearly labelled.
	if !hasLine(m.Text, "Missing card digits (last 6): "+CardDigitsPlaceholder) {
		t.Errorf("text part lacks the labelled placeholder line:\n%s", m.Text)
	}
	for _, want := range []string{
		"Brand: Visa", "Expiry: 12/2031", `Other digits: kept with the order. In the admin area, open the order and choose "Show stored digits".`,
		"AB12CD34EF", "14 March 2031, 09:30 UTC",
		"Tin of sardines", "2 x €12.50 = €25.00", "Linen apron", "1 x €1,234.50 = €1,234.50",
		"Home delivery: €5.90", "Total excl. VAT: €1,057.37", "VAT 20%: €206.73", "VAT 5.5%: €1.30", "Total incl. VAT: €1,265.40",
		"Ada Lovelace", "ada@example.com", "+33 4 72 00 00 00",
		"1 rue de la Paix", "Charles Babbage", "12 quai Saint-Antoine", "Bâtiment B", "69002 Lyon",
		"Please ring twice.", "Payment: bank card entered on the shop's page, payment being verified by the merchant",
	} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text part lacks %q", want)
		}
	}

	doc := parseMailHTML(t, m.HTML)
	if got := testIDText(t, doc, "card-digits"); got != "Missing card digits (last 6): "+CardDigitsPlaceholder {
		t.Errorf("html card-digits = %q", got)
	}
	// Never the stored part: beside the six digits it would make the whole number. The
	// merchant finds it with the order.
	if got := testIDText(t, doc, "card-other-digits"); !strings.Contains(got, "Show stored digits") {
		t.Errorf("html card-other-digits = %q, want it to say where the other digits are", got)
	}
	if strings.Contains(m.Text+m.HTML, "Stored part") || strings.Contains(m.Text+m.HTML, "{{CARD_STORED}}") {
		t.Errorf("the mail still has a place for the stored part of the number:\n%s", m.Text)
	}
	if got := len(findTestIDs(doc, "order-line")); got != 2 {
		t.Errorf("html order lines = %d, want 2", got)
	}
	if got := len(findTestIDs(doc, "order-vat")); got != 2 {
		t.Errorf("html VAT lines = %d, want 2", got)
	}
	if got := testIDText(t, doc, "order-total"); got != store.FormatCents(o.TotalCents) {
		t.Errorf("html total = %q", got)
	}
	if got := testIDText(t, doc, "order-customer"); !strings.Contains(got, "ada@example.com") || !strings.Contains(got, "+33 4 72 00 00 00") {
		t.Errorf("html customer = %q", got)
	}
}

func TestMails_MerchantBankOrder(t *testing.T) {
	o := mailTestOrder()
	o.PaymentState, o.PaymentMethod, o.AuthNumber = Paid, "cmcic", "A1B2C3"
	m := testMails().OrderCompletedToMerchant(o, nil)
	if !strings.Contains(m.Text, "paid at the bank (authorisation A1B2C3)") {
		t.Errorf("the mail does not give the bank's authorisation:\n%s", m.Text)
	}
	if want := "[Le Test] New order AB12CD34EF — paid"; m.Subject != want {
		t.Errorf("subject %q, want %q", m.Subject, want)
	}
	if strings.Contains(m.Text+m.HTML, CardDigitsPlaceholder) || strings.Contains(m.Text, "Missing card digits") {
		t.Error("a bank payment's mail mentions card digits")
	}
	if !strings.Contains(m.Text, "Payment: bank card on the bank's secure payment page, paid") {
		t.Errorf("text part lacks the payment line:\n%s", m.Text)
	}
}

func TestMails_ShopperConfirmation(t *testing.T) {
	o := mailTestOrder()
	m := testMails().OrderConfirmationToShopper(o)
	// The card still awaits the merchant's check: received, not yet confirmed.
	if m.Key != "order/8068/AB12CD34EF/shopper-confirmation" || m.To != o.Email || m.Subject != "We have received your order AB12CD34EF" {
		t.Errorf("key %q to %q subject %q", m.Key, m.To, m.Subject)
	}
	paid := o
	paid.PaymentState = Paid
	if s := testMails().OrderConfirmationToShopper(paid).Subject; s != "Your order AB12CD34EF is confirmed" {
		t.Errorf("paid order's subject %q, want it confirmed", s)
	}
	link := "https://shop.test/orders/AB12CD34EF?token=tok-Xy_za-Bcd"
	if !strings.Contains(m.Text, link) {
		t.Errorf("text part lacks the order link %s", link)
	}
	doc := parseMailHTML(t, m.HTML)
	if href := attr(findTestIDs(doc, "mail-link"), "href"); href != link {
		t.Errorf("html link = %q, want %q", href, link)
	}
	if got := testIDText(t, doc, "order-state"); got != "payment being verified by the merchant" {
		t.Errorf("state = %q", got)
	}
	if !strings.Contains(m.Text, "Status: payment being verified by the merchant") {
		t.Error("text part lacks the state in words")
	}
	// Nothing of the card: no placeholder, no label, no run of digits like a number's.
	if strings.Contains(m.Text+m.HTML, CardDigitsPlaceholder) || strings.Contains(m.Text+m.HTML, "card digits") {
		t.Error("the shopper's mail mentions the card digits")
	}
	if run := regexp.MustCompile(`\d{6,}`).FindString(m.Text + m.HTML); run != "" {
		t.Errorf("the shopper's mail holds a run of digits %q", run)
	}
	if !strings.Contains(m.Text, "€1,265.40") || testIDText(t, doc, "order-items") != "€1,259.50" {
		t.Error("amounts are not formatted from cents")
	}

	o.PaymentState = Paid
	if m := testMails().OrderConfirmationToShopper(o); !strings.Contains(m.Text, "Status: paid") {
		t.Errorf("paid confirmation lacks its state:\n%s", m.Text)
	}
}

// The merchant learns of a refused bank payment with the bank's reason, and that there
// is nothing to do.
func TestMails_MerchantPaymentRefused(t *testing.T) {
	o := mailTestOrder()
	o.PaymentState, o.PaymentMethod = AwaitingPayment, "cmcic"
	o.ExpiresAt = time.Date(2031, 3, 14, 11, 30, 0, 0, time.UTC)
	m := testMails().PaymentRefusedToMerchant(o, "Refus")
	if m.Key != "order/8068/AB12CD34EF/merchant-payment-refused" || m.To != "merchant@example.com" ||
		m.Subject != "[Le Test] Payment refused — order AB12CD34EF" {
		t.Errorf("key %q to %q subject %q", m.Key, m.To, m.Subject)
	}
	for _, want := range []string{"refused a payment attempt for this order (Refus)", "until 14 March 2031, 11:30 UTC",
		"nothing to do", "ada@example.com", "https://shop.test/admin/orders/AB12CD34EF"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text part lacks %q:\n%s", want, m.Text)
		}
	}
}

func TestMails_ShopperMessages(t *testing.T) {
	o := mailTestOrder()
	o.PaymentState = Paid
	o.TrackingNumber = "6A12345678901"
	o.ExpiresAt = time.Date(2031, 3, 14, 11, 30, 0, 0, time.UTC)
	mails := testMails()
	tests := []struct {
		mail    Mail
		kind    string
		subject string
		says    []string
	}{
		{mails.PaymentCertifiedToShopper(o), "shopper-certified", "Payment confirmed for your order AB12CD34EF",
			[]string{"verified your card payment", "?token=tok-Xy_za-Bcd"}},
		{mails.PaymentRejectedToShopper(o), "shopper-rejected", "Payment not accepted for your order AB12CD34EF",
			[]string{"could not verify the card payment"}},
		{mails.ShippedToShopper(o), "shopper-shipped", "Your order AB12CD34EF has shipped",
			[]string{"Tracking number: 6A12345678901", "12 quai Saint-Antoine"}},
		{mails.CancelledToShopper(o, "Out of stock at the supplier"), "shopper-cancelled", "Your order AB12CD34EF has been cancelled",
			[]string{"Reason: Out of stock at the supplier", "will be refunded"}},
		{mails.ExpiredToShopper(o), "shopper-expired", "Your order AB12CD34EF has expired",
			[]string{"did not receive the payment", "?token=tok-Xy_za-Bcd"}},
		{mails.PaidAfterCloseToShopper(o, "445566"), "shopper-paid-after-close-445566", "Your payment for order AB12CD34EF arrived late",
			[]string{"after the order had closed", "refund you", "?token=tok-Xy_za-Bcd"}},
		{mails.PaymentRefusedToShopper(o), "shopper-payment-refused", "Your payment for order AB12CD34EF was refused",
			[]string{"refused the payment", "nothing was charged", "reserved until 14 March 2031, 11:30 UTC", "?token=tok-Xy_za-Bcd"}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			m := tt.mail
			if m.Key != "order/8068/AB12CD34EF/"+tt.kind || m.To != o.Email || m.Subject != tt.subject {
				t.Errorf("key %q to %q subject %q", m.Key, m.To, m.Subject)
			}
			for _, want := range tt.says {
				if !strings.Contains(m.Text, want) {
					t.Errorf("text part lacks %q:\n%s", want, m.Text)
				}
			}
			if !strings.Contains(m.Text, "€1,265.40") {
				t.Error("text part lacks the total")
			}
			doc := parseMailHTML(t, m.HTML)
			if got := testIDText(t, doc, "order-reference"); got != "AB12CD34EF" {
				t.Errorf("html reference = %q", got)
			}
			if strings.Contains(m.Text+m.HTML, CardDigitsPlaceholder) {
				t.Error("a shopper's mail holds the card digits placeholder")
			}
		})
	}
}

func TestMails_PickUpIsReadyNotShipped(t *testing.T) {
	o := mailTestOrder()
	o.PaymentState, o.FulfilmentState = Paid, Shipped
	o.Delivery = Delivery{Code: "pickup", Name: "Pick-up in store", Note: "Collect it at 12 rue des Tanneurs, Lyon."}
	o.Shipping = Address{}
	m := testMails().ShippedToShopper(o)
	if m.Subject != "Your order AB12CD34EF is ready for pick-up" || !strings.Contains(m.Text, "Status: ready for pick-up") {
		t.Errorf("subject %q\n%s", m.Subject, m.Text)
	}
	if strings.Contains(m.Text, "DELIVERY ADDRESS") || !strings.Contains(m.Text, "Pick-up in store: free") {
		t.Errorf("a pick-up shows a delivery address or a price:\n%s", m.Text)
	}
	// Where to collect it, as the method said when the order was placed: in the ready
	// mail and in the confirmation, text and HTML.
	o.FulfilmentState = Unfulfilled
	for name, m := range map[string]Mail{"ready": m, "confirmation": testMails().OrderConfirmationToShopper(o)} {
		if !strings.Contains(m.Text, "12 rue des Tanneurs") || !strings.Contains(m.HTML, "12 rue des Tanneurs") {
			t.Errorf("the %s mail of a pick-up does not say where to collect it:\n%s", name, m.Text)
		}
	}
}

func hasLine(text, line string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}

func parseMailHTML(t *testing.T, s string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatalf("parse html: %v", err)
	}
	return doc
}

func findTestIDs(n *html.Node, id string) []*html.Node {
	var out []*html.Node
	if n.Type == html.ElementNode && attr([]*html.Node{n}, "data-testid") == id {
		out = append(out, n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		out = append(out, findTestIDs(c, id)...)
	}
	return out
}

// testIDText is the text of the one element with that data-testid, spaces collapsed.
func testIDText(t *testing.T, doc *html.Node, id string) string {
	t.Helper()
	nodes := findTestIDs(doc, id)
	if len(nodes) != 1 {
		t.Fatalf("%d elements with data-testid %q, want 1", len(nodes), id)
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		if n.Type == html.ElementNode && n.Data == "br" {
			b.WriteString(" ")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(nodes[0])
	return strings.Join(strings.Fields(b.String()), " ")
}

func attr(nodes []*html.Node, name string) string {
	if len(nodes) == 0 {
		return ""
	}
	for _, a := range nodes[0].Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}
