package checkout

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"shop/store"
	"shop/templates"
)

// CardDigitsPlaceholder stands in the merchant's card-order mail where the six missing
// card digits go. Only the mail worker replaces it, in memory, at send time.
const CardDigitsPlaceholder = "{{CARD_DIGITS}}"

// Mails renders the typed messages, each with a plain-text and an HTML part from the
// same view (templates.MailView): the HTML through templates.Mail, the text through
// mailText.
type Mails struct {
	ShopName string
	BaseURL  string // absolute, no trailing slash
	Merchant string // the merchant's address (SHOP_MERCHANT_EMAIL)
	// Location is the time zone of dates in mails; nil means UTC.
	Location *time.Location
}

// CardDetails is what the merchant's mail shows of a card taken on the shop's page. Never
// the stored part of the number: with the six digits beside it, the mail would hold the
// whole number. The merchant puts the two together in the admin area.
type CardDetails struct {
	Brand, Expiry string
}

// OrderCompletedToMerchant tells the merchant about an order whose payment went through:
// card details accepted (awaiting certification) or the bank's payment (paid). With a
// card, the mail carries the card details and, on a line of its own, the placeholder
// for the missing digits; the caller sets the Mail's Secret.
func (m *Mails) OrderCompletedToMerchant(o Order, card *CardDetails) Mail {
	return m.renderDraft(m.orderCompletedToMerchant(o, card))
}

func (m *Mails) orderCompletedToMerchant(o Order, card *CardDetails) mailDraft {
	state := mailPaymentWords(o.PaymentState)
	subjectState := state
	v := templates.MailView{Title: "New order " + o.Reference}
	switch o.PaymentState {
	case AwaitingCertification:
		subjectState = "awaiting card certification"
		v.Paragraphs = append(v.Paragraphs,
			"A customer has ordered and entered a bank card on the shop's page. Charge the card with your bank, then certify or reject the payment in the admin area.")
	case Paid:
		paid := "A customer has ordered and paid."
		if o.AuthNumber != "" {
			paid = "A customer has ordered and paid at the bank (authorisation " + o.AuthNumber + ")."
		}
		v.Paragraphs = append(v.Paragraphs, paid+" Prepare the order, then mark it as shipped in the admin area.")
	default:
		v.Paragraphs = append(v.Paragraphs, "An order has changed. Its details are below.")
	}
	if card != nil {
		v.Card = &templates.MailCard{Brand: card.Brand, Expiry: card.Expiry, Digits: CardDigitsPlaceholder}
		v.Paragraphs = append(v.Paragraphs,
			"This e-mail is the only place the missing card digits exist. Do not forward it, and delete it once the payment is settled.")
	}
	order := m.orderView(o, true)
	order.Customer = &templates.MailCustomer{Name: o.Name, Email: o.Email, Phone: o.Phone}
	v.Order = &order
	v.Link = m.adminOrderLink(o)
	subject := fmt.Sprintf("[%s] New order %s — %s", m.ShopName, o.Reference, subjectState)
	return m.draft(o, "merchant-completed", m.Merchant, subject, v)
}

// PaidAfterCloseToMerchant tells the merchant that the bank took a payment for an order
// that had already expired or been cancelled (its items released): refund or fulfil it.
func (m *Mails) PaidAfterCloseToMerchant(o Order, auth string) Mail {
	v := templates.MailView{Title: "Payment received for closed order " + o.Reference}
	v.Paragraphs = append(v.Paragraphs, "The bank confirmed a payment (authorisation "+auth+") for this order after it was "+
		mailPaymentWords(o.PaymentState)+"; its items had been released. Refund the customer with the bank, or fulfil the order if the stock allows.")
	order := m.orderView(o, true)
	order.Customer = &templates.MailCustomer{Name: o.Name, Email: o.Email, Phone: o.Phone}
	v.Order = &order
	v.Link = m.adminOrderLink(o)
	subject := fmt.Sprintf("[%s] Payment received for closed order %s — action needed", m.ShopName, o.Reference)
	return m.render(o, "merchant-paid-after-close-"+auth, m.Merchant, subject, v)
}

// PaidOverCardToMerchant tells the merchant that the customer, after entering a card on
// the shop's page, paid the order at the bank: the bank's payment counts, and the card
// must not be charged as well.
func (m *Mails) PaidOverCardToMerchant(o Order) Mail {
	text := "The customer entered a card on the shop's page, then paid this order at the bank (authorisation " +
		o.AuthNumber + "). The order is paid: do not charge that card, and if you have charged it already, refund that charge. " +
		"Its stored digits were cut to the first six."
	return m.paymentProblem(o, "merchant-paid-over-card", "Paid at the bank, do not charge the card", text)
}

// PaidAtBankToShopper confirms to the shopper a bank payment that took over the card
// they had entered on the shop's page: that card is not charged.
func (m *Mails) PaidAtBankToShopper(o Order) Mail {
	return m.paymentConfirmedToShopper(o, "shopper-paid-over-card",
		"The bank confirmed your payment for order "+o.Reference+". The card you entered on our page before will not be charged.")
}

// paymentConfirmedToShopper tells the shopper their payment is confirmed, how (first),
// and that the order is being prepared.
func (m *Mails) paymentConfirmedToShopper(o Order, kind, first string) Mail {
	v := templates.MailView{
		Title: "Your payment is confirmed",
		Paragraphs: []string{first,
			"We are preparing your order and will write again when it " + m.shipsOrReady(o) + "."},
	}
	return m.toShopper(o, kind, "Payment confirmed for your order "+o.Reference, v, true)
}

// SecondPaymentToMerchant tells the merchant that the bank confirmed another payment,
// under authorisation auth, for order o, already paid under another: the customer was
// charged twice. One mail per authorisation.
func (m *Mails) SecondPaymentToMerchant(o Order, auth string) Mail {
	paid := "under authorisation " + o.AuthNumber
	if o.AuthNumber == "" {
		paid = "by the card entered on the shop's page"
	}
	text := "The bank confirmed a second payment of " + store.FormatMoney(o.TotalCents, o.Currency) +
		" (authorisation " + auth + ") for this order, already paid " + paid +
		". The customer was charged twice: refund this payment with the bank."
	return m.paymentProblem(o, "merchant-second-payment-"+auth, "Second payment", text)
}

// WrongAmountToMerchant tells the merchant that the bank took paid (amount and currency)
// under authorisation auth for order o, whose total is another: the shop did not count
// it as the order's payment. One mail per authorisation.
func (m *Mails) WrongAmountToMerchant(o Order, paid, auth string) Mail {
	text := "The bank confirmed a payment of " + paid + " (authorisation " + auth + ") for this order, whose total is " +
		store.FormatMoney(o.TotalCents, o.Currency) + ". The shop did not count it as the order's payment."
	if o.PaymentState == Paid {
		text += " The order had already been paid: refund this payment with the bank."
	} else {
		text += " Check it with the bank, then refund it, or settle the difference with the customer before you ship."
	}
	return m.paymentProblem(o, "merchant-wrong-amount-"+auth, "Payment of the wrong amount", text)
}

// TestPaymentToMerchant tells the merchant that the bank's test server reported a test
// payment for an order of the live shop: no money moved, and the order was not marked
// paid by it. The shop's payment form was sent to the test server, perhaps on purpose.
func (m *Mails) TestPaymentToMerchant(o Order, auth string) Mail {
	return m.paymentProblem(o, "merchant-test-payment-"+auth, "Test payment on the live shop",
		"The bank's test server reported a test payment (authorisation "+auth+") for this order. A test payment moves no "+
			"money and the shop takes payments on the bank's production page, so it did not count it as the order's payment. "+
			"The payment form was sent to the test server, perhaps on purpose: ship only once a real payment is recorded.")
}

func (m *Mails) paymentProblem(o Order, kind, title, text string) Mail {
	v := templates.MailView{Title: title + " — order " + o.Reference, Paragraphs: []string{text}}
	order := m.orderView(o, true)
	order.Customer = &templates.MailCustomer{Name: o.Name, Email: o.Email, Phone: o.Phone}
	v.Order = &order
	v.Link = m.adminOrderLink(o)
	subject := fmt.Sprintf("[%s] %s — order %s, action needed", m.ShopName, title, o.Reference)
	return m.render(o, kind, m.Merchant, subject, v)
}

// OrderConfirmationToShopper confirms an order to the shopper once its payment went
// through (or awaits the merchant's check). It never holds a card digit.
func (m *Mails) OrderConfirmationToShopper(o Order) Mail {
	return m.renderDraft(m.orderConfirmationToShopper(o))
}

func (m *Mails) orderConfirmationToShopper(o Order) mailDraft {
	v := templates.MailView{Title: "Thank you for your order"}
	// "Confirmed" only once paid: a card still to be checked by the merchant may be refused.
	subject := "We have received your order " + o.Reference
	switch o.PaymentState {
	case AwaitingCertification:
		v.Paragraphs = []string{
			"We have received your order " + o.Reference + ".",
			"Your card payment is being verified by the merchant. You will receive another e-mail as soon as it is confirmed; we prepare your order then.",
		}
	case Paid:
		subject = "Your order " + o.Reference + " is confirmed"
		v.Paragraphs = []string{
			"We have received your order " + o.Reference + " and your payment.",
			"We are preparing it and will write again when it " + m.shipsOrReady(o) + ".",
		}
	default:
		v.Paragraphs = []string{"We have received your order " + o.Reference + "."}
	}
	order := m.orderView(o, true)
	v.Order = &order
	v.Link = m.orderLink(o)
	v.Footer = m.shopperFooter()
	return m.draft(o, "shopper-confirmation", o.Email, subject, v)
}

// PaymentCertifiedToShopper tells the shopper the merchant has confirmed the card payment.
func (m *Mails) PaymentCertifiedToShopper(o Order) Mail {
	return m.paymentConfirmedToShopper(o, "shopper-certified",
		"The merchant has verified your card payment for order "+o.Reference+".")
}

// PaymentRejectedToShopper tells the shopper the card payment could not be verified.
func (m *Mails) PaymentRejectedToShopper(o Order) Mail {
	v := templates.MailView{
		Title: "Your payment could not be verified",
		Paragraphs: []string{
			"The merchant could not verify the card payment for order " + o.Reference + ", so the order has been cancelled and will not be sent.",
			"If you still want these items, you are welcome to place a new order.",
		},
	}
	return m.toShopper(o, "shopper-rejected", "Payment not accepted for your order "+o.Reference, v, false)
}

// ShippedToShopper tells the shopper the order is on its way (or ready to collect), with
// the tracking number if there is one.
func (m *Mails) ShippedToShopper(o Order) Mail {
	v := templates.MailView{}
	subject := "Your order " + o.Reference + " has shipped"
	if o.Delivery.NeedsAddress {
		v.Title = "Your order is on its way"
		v.Paragraphs = []string{"Your order " + o.Reference + " has left the shop."}
		if o.TrackingNumber != "" {
			v.Paragraphs = append(v.Paragraphs, "You can follow the parcel with its tracking number: "+o.TrackingNumber+".")
		}
	} else {
		v.Title = "Your order is ready"
		subject = "Your order " + o.Reference + " is ready for pick-up"
		v.Paragraphs = []string{"Your order " + o.Reference + " is ready: you can collect it at the shop (" + o.Delivery.Name + ")."}
		if o.Delivery.Note != "" {
			v.Paragraphs = append(v.Paragraphs, o.Delivery.Note)
		}
	}
	order := m.orderView(o, true)
	order.Tracking = o.TrackingNumber
	v.Order = &order
	v.Link = m.orderLink(o)
	v.Footer = m.shopperFooter()
	return m.render(o, "shopper-shipped", o.Email, subject, v)
}

// CancelledToShopper tells the shopper the merchant cancelled the order, and why.
func (m *Mails) CancelledToShopper(o Order, reason string) Mail {
	v := templates.MailView{
		Title:      "Your order has been cancelled",
		Paragraphs: []string{"Your order " + o.Reference + " has been cancelled."},
	}
	if reason = strings.TrimSpace(reason); reason != "" {
		v.Paragraphs = append(v.Paragraphs, "Reason: "+reason)
	}
	if o.PaymentState == Paid {
		v.Paragraphs = append(v.Paragraphs, "As it was already paid, the payment will be refunded.")
	}
	return m.toShopper(o, "shopper-cancelled", "Your order "+o.Reference+" has been cancelled", v, false)
}

// ExpiredToShopper tells the shopper an unpaid order was released.
func (m *Mails) ExpiredToShopper(o Order) Mail {
	v := templates.MailView{
		Title: "Your order has expired",
		Paragraphs: []string{
			"We did not receive the payment for order " + o.Reference + " in time, so it has been cancelled and nothing will be charged.",
			"If you still want these items, the order's page puts them back in your cart in one click.",
		},
	}
	return m.toShopper(o, "shopper-expired", "Your order "+o.Reference+" has expired", v, false)
}

// PaidAfterCloseToShopper tells the shopper whose order had closed (expired, cancelled)
// that the bank took their payment after all, under authorisation auth: the mail that
// said nothing would be charged was wrong, and the shop is told to refund or fulfil.
// One per authorisation.
func (m *Mails) PaidAfterCloseToShopper(o Order, auth string) Mail {
	v := templates.MailView{
		Title: "Your payment arrived after your order closed",
		Paragraphs: []string{
			"The bank confirmed your payment for order " + o.Reference + " after the order had closed and its items were released.",
			"The shop has been told, and will refund you or, if the items are still there, send the order. You need not do anything.",
		},
	}
	return m.toShopper(o, "shopper-paid-after-close-"+auth, "Your payment for order "+o.Reference+" arrived late", v, false)
}

// toShopper renders v as a mail to o's customer, with the order below it (its addresses
// too, or not), the link to its page and the shopper's footer.
func (m *Mails) toShopper(o Order, kind, subject string, v templates.MailView, withAddresses bool) Mail {
	order := m.orderView(o, withAddresses)
	v.Order = &order
	v.Link = m.orderLink(o)
	v.Footer = m.shopperFooter()
	return m.render(o, kind, o.Email, subject, v)
}

// PaymentRefusedToShopper tells the shopper that the bank refused their payment, and
// that the order waits for another until it expires. Keyed by order, it goes once
// however many attempts the bank refuses.
func (m *Mails) PaymentRefusedToShopper(o Order) Mail {
	v := templates.MailView{
		Title: "Your payment was refused",
		Paragraphs: []string{
			"The bank refused the payment for order " + o.Reference + ", so nothing was charged.",
			"Your items stay reserved until " + m.date(o.ExpiresAt) + ". You can try again from your order's page, with another card if need be.",
		},
	}
	return m.toShopper(o, "shopper-payment-refused", "Your payment for order "+o.Reference+" was refused", v, false)
}

// PaymentRefusedToMerchant tells the merchant, once per order, that the bank refused a
// payment attempt, with the bank's reason. Nothing is to be done: the order waits.
func (m *Mails) PaymentRefusedToMerchant(o Order, reason string) Mail {
	text := "The bank refused a payment attempt for this order"
	if reason != "" {
		text += " (" + reason + ")"
	}
	v := templates.MailView{Title: "Payment refused — order " + o.Reference, Paragraphs: []string{
		text + ". Nothing was charged, and the shopper has been told.",
		"The order waits for another attempt until " + m.date(o.ExpiresAt) + ", its stock reserved; then it expires and the stock returns. There is nothing to do.",
	}}
	order := m.orderView(o, true)
	order.Customer = &templates.MailCustomer{Name: o.Name, Email: o.Email, Phone: o.Phone}
	v.Order = &order
	v.Link = m.adminOrderLink(o)
	subject := fmt.Sprintf("[%s] Payment refused — order %s", m.ShopName, o.Reference)
	return m.render(o, "merchant-payment-refused", m.Merchant, subject, v)
}

// adminOrderLink is the merchant's way from a mail to the order it is about.
func (m *Mails) adminOrderLink(o Order) templates.MailLink {
	return templates.MailLink{Text: "Open the order", URL: m.BaseURL + "/admin/orders/" + url.PathEscape(o.Reference)}
}

// render fills in what every mail shares and renders both parts.
func (m *Mails) render(o Order, kind, to, subject string, v templates.MailView) Mail {
	return m.renderDraft(m.draft(o, kind, to, subject, v))
}

// mailDraft is everything a mail is rendered from: two equal drafts make the same mail.
type mailDraft struct {
	orderID                     int64
	ref, kind, to, replyTo, sub string
	v                           templates.MailView
}

func (m *Mails) draft(o Order, kind, to, subject string, v templates.MailView) mailDraft {
	v.ShopName = m.ShopName
	d := mailDraft{orderID: o.ID, ref: o.Reference, kind: kind, to: to, sub: subject, v: v}
	// Each side's Reply reaches the other, as in other shops: the merchant answers the
	// customer, and the customer the merchant (the mail's footer gives that address too).
	if to == m.Merchant {
		d.replyTo = o.Email
	} else {
		d.replyTo = m.Merchant
	}
	return d
}

func (m *Mails) renderDraft(d mailDraft) Mail {
	// Sized for the largest mail (the merchant's, about 5 KB): grown from nothing, its
	// copies were a tenth of the bytes a purchase allocates.
	var html strings.Builder
	html.Grow(6 << 10)
	// It fails only on a bug in the template, which every message's test would show.
	if err := templates.Mail(d.v).Render(context.Background(), &html); err != nil {
		panic(fmt.Sprintf("checkout: render mail %s: %v", d.kind, err))
	}
	return Mail{
		// The id first: keys of recent orders then sort together, and queueing a mail
		// writes to the last pages of the key's index rather than a random one. The
		// reference keeps the key, and so the Message-ID hashed from it, different from
		// another database's mail about its order of the same id.
		Key:      "order/" + strconv.FormatInt(d.orderID, 10) + "/" + d.ref + "/" + d.kind,
		OrderID:  d.orderID,
		OrderRef: d.ref,
		To:       d.to,
		ReplyTo:  d.replyTo,
		Subject:  d.sub,
		Text:     mailText(d.v),
		HTML:     html.String(),
	}
}

// orderView is the order as mails show it; withAddresses adds the billing and delivery
// addresses and the note.
func (m *Mails) orderView(o Order, withAddresses bool) templates.MailOrder {
	v := templates.MailOrder{
		Reference:     o.Reference,
		Date:          m.date(o.CreatedAt),
		State:         mailOrderStateWords(o),
		Items:         store.FormatCents(o.ItemsCents),
		DeliveryName:  o.Delivery.Name,
		DeliveryPrice: store.FormatCents(o.Delivery.Cents),
		TotalHT:       store.FormatCents(o.TotalHTCents),
		Total:         store.FormatCents(o.TotalCents),
		PaymentMethod: mailMethodWords(o.PaymentMethod),
		PaymentStatus: mailPaymentWords(o.PaymentState),
	}
	if v.DeliveryName == "" {
		v.DeliveryName = "Delivery"
	}
	if o.Delivery.Cents == 0 {
		v.DeliveryPrice = "free"
	}
	for _, l := range o.Lines {
		v.Lines = append(v.Lines, templates.MailLine{
			Name:     l.Name,
			Quantity: strconv.Itoa(l.Quantity),
			Unit:     store.FormatCents(l.UnitCents),
			Total:    store.FormatCents(l.TotalCents),
		})
	}
	for _, t := range o.VAT {
		v.VAT = append(v.VAT, templates.MailVAT{Rate: store.FormatRate(t.Rate), Amount: store.FormatCents(t.VAT)})
	}
	if withAddresses {
		billing := o.Billing
		if billing.Name == "" {
			billing.Name = o.Name
		}
		v.Billing = mailAddressLines(billing)
		if o.Delivery.NeedsAddress {
			shipping := o.Shipping
			if shipping.Name == "" {
				shipping.Name = o.Name
			}
			v.Shipping = mailAddressLines(shipping)
		} else {
			v.PickUp = o.Delivery.Note
		}
		v.Note = o.Note
	}
	return v
}

func mailAddressLines(a Address) []string {
	country := a.Country
	if name := countryName(a.Country); name != "" {
		country = name
	}
	var lines []string
	for _, s := range []string{a.Name, a.Line1, a.Line2, a.Postcode + " " + a.City, country} {
		if s = strings.TrimSpace(s); s != "" {
			lines = append(lines, s)
		}
	}
	return lines
}

// orderLink is the order's page, which the token opens without a session.
func (m *Mails) orderLink(o Order) templates.MailLink {
	return templates.MailLink{
		Text: "View your order",
		URL:  m.BaseURL + "/orders/" + url.PathEscape(o.Reference) + "?token=" + url.QueryEscape(o.AccessToken),
	}
}

func (m *Mails) shopperFooter() string {
	s := "You receive this e-mail because an order was placed on " + m.ShopName + " with this address."
	if m.Merchant != "" {
		s += " Questions? Write to " + m.Merchant + "."
	}
	return s
}

func (m *Mails) shipsOrReady(o Order) string {
	if o.Delivery.NeedsAddress {
		return "ships"
	}
	return "is ready for pick-up"
}

func (m *Mails) date(t time.Time) string {
	loc := m.Location
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2 January 2006, 15:04 MST")
}

// mailPaymentWords says where an order's money stands, as a shopper reads it.
func mailPaymentWords(s PaymentState) string {
	switch s {
	case AwaitingPayment:
		return "awaiting payment"
	case AwaitingCertification:
		return "payment being verified by the merchant"
	case Paid:
		return "paid"
	case Failed:
		return "payment not accepted"
	case PaymentCancelled:
		return "cancelled"
	case Expired:
		return "expired (not paid in time)"
	}
	return string(s)
}

// mailOrderStateWords is the order's state in one phrase: the goods once they moved, the
// money before.
func mailOrderStateWords(o Order) string {
	switch o.FulfilmentState {
	case Shipped:
		if !o.Delivery.NeedsAddress {
			return "ready for pick-up"
		}
		return "shipped"
	case FulfilmentCancelled:
		if o.PaymentState == Expired {
			return mailPaymentWords(Expired)
		}
		return "cancelled"
	}
	return mailPaymentWords(o.PaymentState)
}

func mailMethodWords(method string) string {
	switch method {
	case "card":
		return "bank card entered on the shop's page"
	case "cmcic":
		return "bank card on the bank's secure payment page"
	case "":
		return "not chosen yet"
	}
	return method
}
