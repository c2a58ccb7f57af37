package checkout

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"shop/payment"
	"shop/payment/card"
	"shop/store"
	"shop/templates"
)

// DigitsSealer encrypts the six card digits that only the merchant's mail may carry;
// card.Key implements it.
type DigitsSealer interface {
	Seal(tail, aad string) ([]byte, error)
}

var (
	_ DigitsSealer        = card.Key{}
	_ store.ProductOrders = (*Service)(nil)
)

// CardPayments is the shop's own card form (the 3clicShopping flow): the number is
// checked here, stored without its last six digits, and those six reach the merchant
// only in the order mail. The merchant then certifies the payment with the bank.
type CardPayments struct {
	Orders *Handler
	Key    DigitsSealer
	// Secure reports whether the request reached the shop over HTTPS (directly or through
	// a trusted proxy) or comes to localhost; card numbers never cross a network in clear.
	Secure func(*http.Request) bool
	// Wake nudges the mail worker so the merchant's mail leaves at once.
	Wake func()
}

var _ payment.Method = (*CardPayments)(nil)

func (m *CardPayments) Code() string  { return "card" }
func (m *CardPayments) Label() string { return "Pay by card on this site" }
func (m *CardPayments) Description() string {
	return "Visa, Mastercard, American Express or Diners Club. The merchant verifies the payment with the bank before shipping."
}

// Routes registers the card form.
func (m *CardPayments) Routes(g *echo.Group) {
	g.GET("/orders/:ref/pay/card", m.form)
	g.POST("/orders/:ref/pay/card", m.submit)
}

func (m *CardPayments) payable(c echo.Context) (Order, bool, error) {
	o, err := m.Orders.LoadAuthorized(c)
	if err != nil {
		return o, false, err
	}
	return o, o.PaymentState == AwaitingPayment, nil
}

func (m *CardPayments) form(c echo.Context) error {
	o, ok, err := m.payable(c)
	if err != nil {
		return err
	}
	if !ok {
		return c.Redirect(http.StatusSeeOther, OrderURL(c, o, ""))
	}
	return m.render(c, http.StatusOK, o, "", "", nil)
}

func (m *CardPayments) render(c echo.Context, status int, o Order, brand, expiry string, errs card.FieldErrors) error {
	v := templates.CardFormView{
		Chrome: m.Orders.Site.Chrome(c, "Pay by card"), Reference: o.Reference, Total: store.FormatCents(o.TotalCents),
		Action: OrderURL(c, o, "/pay/card"), Brand: brand, Expiry: expiry, Errors: map[string]string{},
		Insecure: !m.Secure(c.Request()), OrderURL: OrderURL(c, o, ""),
	}
	for _, b := range card.Brands {
		v.Brands = append(v.Brands, templates.Option{Value: string(b), Label: b.Label()})
	}
	for _, field := range []string{"brand", "number", "expiry"} {
		msg := ""
		switch err := errs[field]; {
		case err != nil:
			msg = sentence(err.Error())
		case field == "number" && len(errs) > 0:
			// The number never comes back, right or wrong; an empty field with no word
			// would read as lost, and the next try would fail on it.
			msg = retypeNumber
		default:
			continue
		}
		v.Errors[field] = msg
		v.Summary = append(v.Summary, templates.FieldError{Field: field, Message: msg})
	}
	return m.Orders.Site.Render(c, status, templates.CardFormPage(v))
}

// retypeNumber is the card number field's message when the form comes back for
// another field's error.
const retypeNumber = "Type the card number again: it is never kept, not even for a corrected form."

// sentence writes an error (lower case, no full stop, as Go's errors are) as the
// sentences the shop's other forms show: "This card has expired."
func sentence(s string) string {
	if s == "" {
		return s
	}
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}

// submit checks the card and, in one transaction, records brand, expiry and the number
// less its last six digits, moves the order to awaiting certification and queues the
// merchant's mail with the six digits sealed. The number itself goes nowhere else: not
// in a log, an error, the page (it is never echoed back), the session or a URL.
func (m *CardPayments) submit(c echo.Context) error {
	if !m.Secure(c.Request()) {
		return store.Errorf(store.Forbidden, "Card details can only be sent over a secure (HTTPS) connection.")
	}
	o, ok, err := m.payable(c)
	if err != nil {
		return err
	}
	if !ok {
		return m.notPayable(c, o)
	}
	// From the body only: a number in the address would be in logs, history and referrers.
	r := c.Request()
	in := card.Input{Number: r.PostFormValue("number"), Expiry: r.PostFormValue("expiry"), Brand: r.PostFormValue("brand")}
	// A card is good through the last day of its month on the merchant's calendar: at
	// 00:30 on 1 December in Paris a November card has expired, whatever the server's zone.
	svc := m.Orders.Service
	checked, errs := card.Check(in, svc.Now().In(svc.Zone.Location()))
	if len(errs) > 0 {
		return m.render(c, http.StatusUnprocessableEntity, o, in.Brand, expiryEcho(in.Expiry), errs)
	}
	stored, tail := checked.Number.Split()
	sealed, err := m.Key.Seal(tail, o.Reference)
	if err != nil {
		return err
	}
	details := &CardDetails{Brand: checked.Brand.Label(), Expiry: checked.Expiry.String()}
	changed, err := svc.CompletePayment(c.Request().Context(), o.ID, Completion{
		Method: "card", To: AwaitingCertification, Detail: "Card details received (" + details.Brand + ")",
		Card: details, Secret: sealed, Read: &o,
		Record: func(ctx context.Context, tx *store.Tx, o Order) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO card_payments (order_id, brand, expiry, stored, created_at)
				VALUES (?, ?, ?, ?, ?)`, o.ID, string(checked.Brand), details.Expiry, stored, svc.Now().UTC())
			return err
		},
	})
	if err != nil {
		return err
	}
	if !changed { // another request paid it, or it expired, since it was read
		if o, err = svc.OrderByID(c.Request().Context(), o.ID); err != nil {
			return err
		}
		return m.notPayable(c, o)
	}
	m.Wake()
	// The order page says it all: received, being verified, an e-mail to follow.
	return c.Redirect(http.StatusSeeOther, OrderURL(c, o, ""))
}

// notPayable sends a card that came too late back to the order page, saying why it was
// not recorded: the order was paid (a second tab, a double click) or has closed.
func (m *CardPayments) notPayable(c echo.Context, o Order) error {
	msg := "This order can no longer be paid: the card you entered was not recorded."
	if o.PaymentState == AwaitingCertification || o.PaymentState == Paid {
		msg = "This order's payment was already received: the card you entered was not recorded."
	}
	m.Orders.Site.Sessions.AddWarning(c, msg)
	return c.Redirect(http.StatusSeeOther, OrderURL(c, o, ""))
}

// expiryEcho is the expiry as typed, put back in the form after an error, unless it holds
// more digits than an expiry can: a card number pasted there must not come back either.
func expiryEcho(s string) string {
	digits := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	if len(s) > 20 || digits > 6 {
		return ""
	}
	return s
}

// CardPayment is the card record of an order, as the admin area shows it.
type CardPayment struct {
	Brand, Expiry, Stored string
	Reduced               bool
}

// CardPaymentOf reads an order's card record; ok is false for other payment methods.
func (s *Service) CardPaymentOf(ctx context.Context, orderID int64) (p CardPayment, ok bool, err error) {
	err = s.DB.ReadRow(ctx, `SELECT brand, expiry, stored, reduced FROM card_payments WHERE order_id = ?`,
		orderID).Scan(&p.Brand, &p.Expiry, &p.Stored, &p.Reduced)
	if err == sql.ErrNoRows {
		return p, false, nil
	}
	return p, err == nil, err
}

// reduceCardDigits keeps only the first six digits once the merchant has decided (or the
// order is cancelled): the rest of the stored part has no use left. A merchant mail not
// sent yet loses its sealed digits too, and says so instead.
func reduceCardDigits(ctx context.Context, tx *store.Tx, orderID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE card_payments SET stored = substr(stored, 1, 6), reduced = 1
		WHERE order_id = ? AND reduced = 0`, orderID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE outbox_bodies
		SET text_body = replace(text_body, ?1, ?2), html_body = replace(html_body, ?1, ?2)
		WHERE outbox_id IN (SELECT id FROM outbox WHERE order_id = ?3 AND status <> 'sent' AND secret IS NOT NULL)`,
		CardDigitsPlaceholder, "(withdrawn: the payment was decided before this mail left)", orderID)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE outbox SET secret = NULL
		WHERE order_id = ? AND status <> 'sent' AND secret IS NOT NULL`, orderID)
	return err
}
