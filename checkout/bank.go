package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"shop/payment"
	"shop/payment/card"
	"shop/payment/cmcic"
	"shop/store"
	"shop/templates"
)

// BankPayments is the redirect to the bank's payment page (CM-CIC p@iement / Monetico).
// The shopper's card never reaches the shop; only the bank's signed server-to-server
// notification can mark an order paid, never the shopper's return to the shop.
type BankPayments struct {
	Orders  *Handler
	Bank    cmcic.Config
	BaseURL string // absolute, for the return URLs
	Sandbox bool   // the built-in sandbox bank: say so on the page
	Logger  *slog.Logger
	Wake    func()
}

var _ payment.Method = (*BankPayments)(nil)

func (m *BankPayments) Code() string  { return "cmcic" }
func (m *BankPayments) Label() string { return "Pay on the bank's secure page" }
func (m *BankPayments) Description() string {
	return "You enter your card on the bank's own page (CM-CIC / Monetico, with 3-D Secure); the shop never sees your card number."
}

// Routes registers the hand-off and return pages (visitor routes) …
func (m *BankPayments) Routes(g *echo.Group) {
	g.GET("/orders/:ref/pay/cmcic", m.handoff)
	g.GET("/orders/:ref/return", m.returned)
}

// NotifyPath is the bank's notification URL, under the shop's base URL: the address
// the merchant registers with the bank.
const NotifyPath = "/payment/cmcic/notify"

// NotifyRoutes registers the bank's notification URL, which has no visitor session
// and no CSRF token: the MAC authenticates it. GET serves the bank's replay link.
func (m *BankPayments) NotifyRoutes(e *echo.Echo) {
	e.POST(NotifyPath, m.notify)
	e.GET(NotifyPath, m.notify)
}

// handoff shows the sealed form that the browser posts to the bank. The order gets the
// longer bank window, since the shopper may take a while at the bank.
func (m *BankPayments) handoff(c echo.Context) error {
	o, err := m.Orders.LoadAuthorized(c)
	if err != nil {
		return err
	}
	if o.PaymentState != AwaitingPayment {
		return c.Redirect(http.StatusSeeOther, OrderURL(c, o, ""))
	}
	if err := m.Orders.Service.ExtendForBank(c.Request().Context(), o.ID); err != nil {
		return err
	}
	back := m.BaseURL + "/orders/" + o.Reference + "/return?token=" + url.QueryEscape(o.AccessToken)
	ship := o.Shipping
	if ship.Line1 == "" {
		ship = o.Billing
	}
	fields, err := m.Bank.Form(cmcic.Payment{
		Reference: o.Reference, AmountCents: o.TotalCents, Currency: o.Currency, Date: m.Orders.Service.Now(),
		Email: o.Email, Lang: "EN", FreeText: "Order " + o.Reference,
		ReturnOK: back, ReturnErr: back + "&failed=1", ReturnHome: m.BaseURL + "/",
		Billing:  bankAddress(o.Billing),
		Shipping: bankAddress(ship),
	})
	if err != nil {
		return err
	}
	v := templates.BankHandoffView{Chrome: m.Orders.Site.Chrome(c, "Pay on the bank's page"), Reference: o.Reference,
		Total: store.FormatCents(o.TotalCents), BankURL: m.Bank.URL, Sandbox: m.Sandbox}
	for _, f := range fields {
		v.Fields = append(v.Fields, templates.HiddenField{Name: f.Name, Value: f.Value})
	}
	return m.Orders.Site.Render(c, http.StatusOK, templates.BankHandoffPage(v))
}

// bankAddress keeps the address fields within what the bank accepts (one line each).
func bankAddress(a Address) cmcic.Address {
	clean := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	return cmcic.Address{Name: clean(a.Name), Line1: clean(a.Line1), Line2: clean(a.Line2),
		PostalCode: clean(a.Postcode), City: clean(a.City), Country: a.Country}
}

// returned is where the bank sends the shopper back. It only shows what the database
// says: an order is paid because the notification said so, never because of this visit.
func (m *BankPayments) returned(c echo.Context) error {
	o, err := m.Orders.LoadAuthorized(c)
	if err != nil {
		return err
	}
	v := m.Orders.OrderView(c, o)
	if o.PaymentState == AwaitingPayment {
		v.PayURL = ""
		if c.QueryParam("failed") != "" {
			v.Message = "The payment did not go through. Nothing was charged; you can try again."
			v.PayURL = OrderURL(c, o, "/pay")
		} else {
			v.Payment = "Payment being confirmed by the bank"
			v.Message = "The bank has not confirmed your payment yet. This page refreshes by itself."
			v.RefreshSecs = 3
		}
	}
	return m.Orders.Site.Render(c, http.StatusOK, templates.OrderPage(v))
}

// notify is the bank's server-to-server call. It answers within milliseconds (no mail
// is sent here: mails wait in the outbox), cdr=0 whenever the seal is valid, whatever
// the payment's outcome, and cdr=1 otherwise.
func (m *BankPayments) notify(c echo.Context) error {
	r := c.Request()
	ctx := r.Context()
	values := fieldsOf(r.URL.RawQuery) // the replay link's GET
	if r.Method == http.MethodPost {
		values = postedFields(r)
	}
	n, verr := m.Bank.VerifyNotification(values)
	if n.Fields == nil {
		n.Fields = values
	}
	rec := notificationRecord{Method: c.Request().Method, N: n, MACValid: !errors.Is(verr, cmcic.ErrBadMAC)}
	if err := m.handle(ctx, &rec, verr); err != nil {
		// The seal was fine but we failed to store it: say so, so the bank retries.
		m.Logger.ErrorContext(ctx, "bank notification not recorded", "err", err, "reference", n.Reference)
		return c.String(http.StatusInternalServerError, "error\n")
	}
	m.Logger.InfoContext(ctx, "bank notification", "reference", n.Reference, "code", n.Code,
		"outcome", rec.Outcome, "mac_valid", rec.MACValid)
	if !rec.MACValid {
		return ack(c, cmcic.AckBadMAC)
	}
	return ack(c, cmcic.AckOK)
}

// ack is the protocol's answer, with the spec's content type exactly: text/plain.
func ack(c echo.Context, body string) error {
	return c.Blob(http.StatusOK, "text/plain", []byte(body))
}

// postedFields are the fields of a POST body alone, form-encoded or multipart. A query
// string on the registered URL neither joins the sealed fields nor, when it is garbled,
// drops them. A body is read as form fields whatever its Content-Type says: a bank's
// client that sends none (or text/plain) still sends name=value pairs.
func postedFields(r *http.Request) url.Values {
	// The shop's body limit skips this route, whose every answer must be the protocol's
	// text: the limit is here.
	if strings.HasPrefix(r.Header.Get(echo.HeaderContentType), echo.MIMEMultipartForm) {
		r.Body = http.MaxBytesReader(nil, r.Body, maxNotificationBytes)
		_ = r.ParseMultipartForm(maxNotificationBytes)
		if r.PostForm == nil {
			return url.Values{}
		}
		return r.PostForm
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxNotificationBytes+1))
	if err != nil || len(body) > maxNotificationBytes {
		return url.Values{} // no fields, no seal: cdr=1
	}
	return fieldsOf(string(body))
}

// maxNotificationBytes bounds a notification's body: a real one is under 2 kB.
const maxNotificationBytes = 64 << 10

// fieldsOf reads name=value pairs separated by &, as the form encoding writes them.
// Unlike url.ParseQuery it keeps a raw ; inside a value (Go's parser drops the whole
// pair, and then the seal fails); a pair it cannot unescape is left out, and the seal
// over the fields received then fails rather than the shop guessing.
func fieldsOf(s string) url.Values {
	v := url.Values{}
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		name, value, _ := strings.Cut(pair, "=")
		name, err1 := url.QueryUnescape(name)
		value, err2 := url.QueryUnescape(value)
		if err1 != nil || err2 != nil {
			continue
		}
		v[name] = append(v[name], value)
	}
	return v
}

type notificationRecord struct {
	Method   string
	N        cmcic.Notification
	MACValid bool
	OrderID  int64
	Outcome  string
}

// handle decides what a notification does and records it, in the same transaction as
// the order's change when there is one.
func (m *BankPayments) handle(ctx context.Context, rec *notificationRecord, verr error) error {
	svc := m.Orders.Service
	switch {
	case !rec.MACValid:
		rec.Outcome = "bad_mac"
		// Kept with the order it names, so that a forged attempt shows on that order.
		if ref := rec.N.Fields.Get("reference"); ref != "" {
			if id := m.orderID(ctx, ref); id != 0 {
				rec.N.Reference, rec.OrderID = ref, id
			}
		}
		return m.record(ctx, rec)
	case verr != nil:
		rec.Outcome = "bad_content"
		return m.record(ctx, rec)
	}
	o, err := svc.OrderByReference(ctx, rec.N.Reference)
	if store.ErrorCode(err) == store.NotFound {
		rec.Outcome = "unknown_order"
		return m.record(ctx, rec)
	}
	if err != nil {
		return err
	}
	rec.OrderID = o.ID
	mismatch := rec.N.AmountCents != o.TotalCents || rec.N.Currency != o.Currency
	switch {
	case rec.N.Test() && m.Bank.Production():
		rec.Outcome = "test_payment"
		return m.alert(ctx, rec, o, "A test payment, which moved no money: not a payment of this order",
			svc.Mails.TestPaymentToMerchant(o, rec.N.AuthNumber))
	case mismatch && rec.N.Paid():
		rec.Outcome = "amount_mismatch"
		paid := store.FormatMoney(rec.N.AmountCents, rec.N.Currency)
		return m.alert(ctx, rec, o, "The bank confirmed a payment of "+paid+" instead of "+
			store.FormatMoney(o.TotalCents, o.Currency)+": not counted as this order's payment",
			svc.Mails.WrongAmountToMerchant(o, paid, rec.N.AuthNumber))
	case mismatch:
		rec.Outcome = "amount_mismatch"
		return m.record(ctx, rec)
	case rec.N.Refused():
		rec.Outcome = "refused"
		return svc.DB.Tx(ctx, func(tx *store.Tx) error {
			if err := insertNotification(ctx, tx, svc, rec); err != nil {
				return err
			}
			// The state as this transaction sees it: a payment may have completed since o
			// was read.
			var state PaymentState
			if err := tx.QueryRowContext(ctx, `SELECT payment_state FROM orders WHERE id = ?`, o.ID).Scan(&state); err != nil || state != AwaitingPayment {
				return err
			}
			if err := addEvent(ctx, tx, o.ID, svc.Now(), "payment_refused",
				"The bank refused a payment attempt: "+rec.N.RefusalReason, "bank"); err != nil {
				return err
			}
			// Both are told, as the bank's own page tells the shopper; once per order.
			return enqueueMail(ctx, tx, svc.Mails.PaymentRefusedToShopper(o),
				svc.Mails.PaymentRefusedToMerchant(o, rec.N.RefusalReason))
		})
	case !rec.N.Paid():
		rec.Outcome = "ignored"
		return m.record(ctx, rec)
	}
	rec.Outcome = "paid"
	changed, err := svc.CompletePayment(ctx, o.ID, Completion{
		Method: "cmcic", To: Paid, AuthNumber: rec.N.AuthNumber, Status3DS: rec.N.Status3DS,
		Detail: "Payment confirmed by the bank (authorisation " + rec.N.AuthNumber + ")",
		Read:   &o,
		Record: func(ctx context.Context, tx *store.Tx, o Order) error { return insertNotification(ctx, tx, svc, rec) },
	})
	if err != nil {
		return err
	}
	if !changed {
		return m.paidAfterClose(ctx, rec)
	}
	if m.Wake != nil {
		m.Wake()
	}
	return nil
}

// paidAfterClose files a payment confirmation that changed nothing: a duplicate when the
// order is already paid; otherwise the bank took money for an order that had moved on
// (expired, cancelled), which the merchant must hear of once, to refund or fulfil it.
func (m *BankPayments) paidAfterClose(ctx context.Context, rec *notificationRecord) error {
	svc := m.Orders.Service
	return svc.DB.Tx(ctx, func(tx *store.Tx) error {
		o, err := loadOrder(ctx, tx, "id = ?", rec.OrderID)
		if err != nil {
			return err
		}
		// Once per authorisation: the bank's copies of one late payment are duplicates,
		// but a second late payment (another tab, another try) is a second sum to refund.
		var told int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM gateway_notifications WHERE order_id = ? AND outcome = 'paid_after_close'
			AND auth_number = ?`, o.ID, rec.N.AuthNumber).Scan(&told); err != nil {
			return err
		}
		if o.PaymentState == AwaitingCertification {
			return m.paidOverCard(ctx, tx, rec, o)
		}
		rec.Outcome = "duplicate"
		if o.PaymentState == Paid && rec.N.AuthNumber != "" && (o.PaymentMethod != "cmcic" || (o.AuthNumber != "" && rec.N.AuthNumber != o.AuthNumber)) {
			// Not the same payment again but another one (or one after a card the
			// merchant charged and certified): the customer paid twice.
			rec.Outcome = "second_payment"
			return m.alertTx(ctx, tx, rec, o, "The bank confirmed a second payment of this paid order: refund it",
				svc.Mails.SecondPaymentToMerchant(o, rec.N.AuthNumber))
		}
		if o.PaymentState == Paid || told > 0 {
			return insertNotification(ctx, tx, svc, rec)
		}
		rec.Outcome = "paid_after_close"
		if err := insertNotification(ctx, tx, svc, rec); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, o.ID, svc.Now(), "paid_after_close", "The bank confirmed a payment (authorisation "+
			rec.N.AuthNumber+") after the order was closed: refund it or fulfil the order", "bank"); err != nil {
			return err
		}
		return enqueueMail(ctx, tx, svc.Mails.PaidAfterCloseToMerchant(o, rec.N.AuthNumber),
			svc.Mails.PaidAfterCloseToShopper(o, rec.N.AuthNumber))
	})
}

// paidOverCard takes a bank payment for an order whose card, typed on the shop's page
// in another tab, the merchant has not charged yet (awaiting certification): the bank's
// money is real, the card is only digits. The order is paid by the bank; the stored card
// digits are cut to the first six, so that nothing is left to charge with and "Certify"
// is no longer offered; the merchant is told not to charge the card, and the shopper
// that it will not be.
func (m *BankPayments) paidOverCard(ctx context.Context, tx *store.Tx, rec *notificationRecord, o Order) error {
	svc := m.Orders.Service
	now := svc.Now().UTC()
	res, err := tx.ExecContext(ctx, `UPDATE orders SET payment_state = 'paid', payment_method = 'cmcic', auth_number = ?,
		status_3ds = ?, paid_at = ?, updated_at = ? WHERE id = ? AND payment_state = 'awaiting_certification'`,
		rec.N.AuthNumber, rec.N.Status3DS, now, now, o.ID)
	if err != nil {
		return err
	}
	if !rowsChanged(res) { // read in this transaction: cannot happen, but never pay twice
		rec.Outcome = "duplicate"
		return insertNotification(ctx, tx, svc, rec)
	}
	rec.Outcome = "paid"
	if err := insertNotification(ctx, tx, svc, rec); err != nil {
		return err
	}
	if err := reduceCardDigits(ctx, tx, o.ID); err != nil {
		return err
	}
	if o, err = svc.orderInTx(ctx, tx, o.ID); err != nil {
		return err
	}
	if err := addEvent(ctx, tx, o.ID, now, "paid", "Payment confirmed by the bank (authorisation "+rec.N.AuthNumber+
		") after a card was entered on the shop's page: do not charge that card", "bank"); err != nil {
		return err
	}
	svc.remember(tx, o)
	if m.Wake != nil {
		tx.AfterCommit(m.Wake)
	}
	return enqueueMail(ctx, tx, svc.Mails.PaidOverCardToMerchant(o), svc.Mails.PaidAtBankToShopper(o))
}

// alert files a notification that speaks of money but does not pay the order, and tells
// the merchant with an event (detail) on the order and mail: once per payment (outcome
// and authorisation), since the bank may send the same one again, while a second such
// payment is a second sum to sort out.
func (m *BankPayments) alert(ctx context.Context, rec *notificationRecord, o Order, detail string, mail Mail) error {
	return m.Orders.Service.DB.Tx(ctx, func(tx *store.Tx) error { return m.alertTx(ctx, tx, rec, o, detail, mail) })
}

// alertTx is alert inside the caller's transaction.
func (m *BankPayments) alertTx(ctx context.Context, tx *store.Tx, rec *notificationRecord, o Order, detail string, mail Mail) error {
	svc := m.Orders.Service
	var told int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM gateway_notifications
		WHERE order_id = ? AND outcome = ? AND auth_number = ?`, o.ID, rec.Outcome, rec.N.AuthNumber).Scan(&told); err != nil {
		return err
	}
	if err := insertNotification(ctx, tx, svc, rec); err != nil || told > 0 {
		return err
	}
	if err := addEvent(ctx, tx, o.ID, svc.Now(), rec.Outcome, detail+" (authorisation "+rec.N.AuthNumber+")", "bank"); err != nil {
		return err
	}
	return enqueueMail(ctx, tx, mail)
}

// orderID is the id of the order with this reference, or 0.
func (m *BankPayments) orderID(ctx context.Context, ref string) int64 {
	var id int64
	if err := m.Orders.Service.DB.ReadRow(ctx, `SELECT id FROM orders WHERE reference = ?`, ref).Scan(&id); err != nil {
		return 0
	}
	return id
}

func (m *BankPayments) record(ctx context.Context, rec *notificationRecord) error {
	svc := m.Orders.Service
	return svc.DB.Tx(ctx, func(tx *store.Tx) error { return insertNotification(ctx, tx, svc, rec) })
}

func insertNotification(ctx context.Context, tx *store.Tx, svc *Service, rec *notificationRecord) error {
	raw, err := json.Marshal(auditFields(rec.N.Fields))
	if err != nil {
		return err
	}
	var orderID any
	if rec.OrderID != 0 {
		orderID = rec.OrderID
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO gateway_notifications (received_at, method, reference, order_id, mac_valid,
		code, outcome, auth_number, status_3ds, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		svc.Now().UTC(), rec.Method, rec.N.Reference, orderID, rec.MACValid, rec.N.Code, rec.Outcome,
		rec.N.AuthNumber, rec.N.Status3DS, string(raw))
	return err
}

// auditFields is what is kept of a notification's fields: every name, each value cut to
// a sane length and scrubbed of anything that looks like a card number, and the masked
// card (cbmasquee: first 8 and last 2 digits) reduced to its first six digits, the most
// of a number any screen of the shop may show.
func auditFields(v url.Values) url.Values {
	out := url.Values{}
	for name, values := range v {
		if len(out) == 64 {
			break
		}
		for _, s := range values {
			if len(s) > 512 {
				s = s[:512]
			}
			if name == "cbmasquee" && len(s) > 6 {
				s = s[:6] + strings.Repeat("*", len(s)-6)
			}
			out.Add(name, card.Scrub(s))
		}
	}
	return out
}

// Notification is a recorded bank notification, for the admin's order page.
type Notification struct {
	ReceivedAt                           string
	Code, Outcome, AuthNumber, Status3DS string
	MACValid                             bool
}
