package checkout

import (
	"context"
	"encoding/json"
	"errors"
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
	// The sealed fields are the body of a POST, the query of the replay link's GET: never
	// both, or a query string on the registered URL would join the sealed fields.
	values := r.URL.Query()
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			values = url.Values{}
		} else {
			values = r.PostForm
		}
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
		return c.String(http.StatusOK, cmcic.AckBadMAC)
	}
	return c.String(http.StatusOK, cmcic.AckOK)
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
		if ref := rec.N.Fields.Get("reference"); len(ref) <= 50 {
			rec.N.Reference, rec.OrderID = ref, m.orderID(ctx, ref)
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
	case mismatch && rec.N.Paid():
		rec.Outcome = "amount_mismatch"
		return m.alert(ctx, rec, o, "Payment of the wrong amount", "The bank confirmed a payment of "+
			store.FormatCents(rec.N.AmountCents)+" "+rec.N.Currency+
			" (authorisation "+rec.N.AuthNumber+") for this order of "+store.FormatCents(o.TotalCents)+" "+o.Currency+
			". The order stays unpaid: check the payment with the bank, then refund it or take the order by hand.")
	case mismatch:
		rec.Outcome = "amount_mismatch"
		return m.record(ctx, rec)
	case rec.N.Test() && m.Bank.Production():
		rec.Outcome = "test_payment"
		return m.alert(ctx, rec, o, "Test payment on the live shop", "The bank's test server reported a test "+
			"payment for this order, which moves no money, while the shop takes payments on the bank's production "+
			"page. The order stays unpaid. The payment form was sent to the test server, perhaps on purpose.")
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
			return addEvent(ctx, tx, o.ID, svc.Now(), "payment_refused",
				"The bank refused a payment attempt: "+rec.N.RefusalReason, "bank")
		})
	case !rec.N.Paid():
		rec.Outcome = "ignored"
		return m.record(ctx, rec)
	}
	rec.Outcome = "paid"
	changed, err := svc.CompletePayment(ctx, o.ID, Completion{
		Method: "cmcic", To: Paid, AuthNumber: rec.N.AuthNumber, Status3DS: rec.N.Status3DS,
		Detail: "Payment confirmed by the bank (authorisation " + rec.N.AuthNumber + ")",
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
		var told int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM gateway_notifications WHERE order_id = ? AND outcome = 'paid_after_close'`,
			o.ID).Scan(&told); err != nil {
			return err
		}
		rec.Outcome = "duplicate"
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
		return enqueueMail(ctx, tx, svc.Mails.PaidAfterCloseToMerchant(o, rec.N.AuthNumber))
	})
}

// alert files a notification that speaks of money but leaves the order unpaid, and tells
// the merchant: an event on the order and a mail, the first time for this order and
// outcome (the bank may send it again).
func (m *BankPayments) alert(ctx context.Context, rec *notificationRecord, o Order, title, text string) error {
	svc := m.Orders.Service
	return svc.DB.Tx(ctx, func(tx *store.Tx) error {
		var told int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM order_events WHERE order_id = ? AND kind = ?`,
			o.ID, rec.Outcome).Scan(&told); err != nil {
			return err
		}
		if err := insertNotification(ctx, tx, svc, rec); err != nil || told > 0 {
			return err
		}
		if err := addEvent(ctx, tx, o.ID, svc.Now(), rec.Outcome, title+": "+text, "bank"); err != nil {
			return err
		}
		return enqueueMail(ctx, tx, svc.Mails.PaymentProblemToMerchant(o, strings.ReplaceAll(rec.Outcome, "_", "-"), title, text))
	})
}

// orderID is the id of the order with this reference, or 0.
func (m *BankPayments) orderID(ctx context.Context, ref string) int64 {
	var id int64
	if ref == "" {
		return 0
	}
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
