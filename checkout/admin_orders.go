package checkout

import (
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"shop/payment/card"
	"shop/store"
	"shop/templates"
)

// AdminFrame is what checkout's admin pages need of the admin area: the frame of a page
// (layout, navigation, who is logged in, flash messages) and a one-time message for the
// next page. *store.Admin implements it.
type AdminFrame interface {
	Chrome(c echo.Context, title, section string) templates.AdminChrome
	Flash(c echo.Context, msg string)
}

var _ AdminFrame = (*store.Admin)(nil)

// AdminPages are checkout's pages of the admin area: orders and their actions, the mail
// outbox, and delivery methods. Routes go on the group that already requires an admin.
type AdminPages struct {
	Service *Service
	Outbox  *Outbox
	Frame   AdminFrame
	Site    *store.Site // rendering and the error page
	// MailDir is the folder of .eml files the viewer reads; empty means the outbox's
	// DirSender's folder, and no viewer when mail goes to an SMTP server.
	MailDir  string
	Logger   *slog.Logger
	PageSize int // rows per list page; 0 means 25
}

// Routes registers the pages on guarded, which must already require a logged-in admin.
func (p *AdminPages) Routes(guarded *echo.Group) {
	guarded.GET("/orders", p.orders)
	guarded.GET("/orders/:ref", p.order)
	guarded.POST("/orders/:ref/certify", p.certify)
	guarded.POST("/orders/:ref/reject", p.reject)
	guarded.POST("/orders/:ref/ship", p.ship)
	guarded.POST("/orders/:ref/cancel", p.cancel)
	guarded.POST("/orders/:ref/send-details", p.sendDetails)
	guarded.POST("/orders/:ref/show-digits", p.showDigits)

	guarded.GET("/mail", p.mails)
	guarded.POST("/mail/:id/resend", p.resend)
	guarded.GET("/mail/:id/eml", p.eml)

	guarded.GET("/delivery", p.deliveries)
	guarded.GET("/delivery/new", p.newDelivery)
	guarded.POST("/delivery", p.createDelivery)
	guarded.GET("/delivery/:id", p.editDelivery)
	guarded.POST("/delivery/:id", p.updateDelivery)
	guarded.POST("/delivery/:id/move", p.moveDelivery)
}

func (p *AdminPages) pageSize() int {
	if p.PageSize <= 0 {
		return 25
	}
	return p.PageSize
}

func (p *AdminPages) logger() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// wake nudges the mail worker after an action queued mail.
func (p *AdminPages) wake() {
	if p.Outbox != nil {
		p.Outbox.Wake()
	}
}

// seeOther ends every successful action: a flash, then a redirect (POST/redirect/GET).
func (p *AdminPages) seeOther(c echo.Context, to, flash string) error {
	if flash != "" {
		p.Frame.Flash(c, flash)
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// adminActor is the logged-in admin's e-mail, recorded as who did an action.
func adminActor(c echo.Context) (string, error) {
	u, ok := store.CurrentAdmin(c)
	if !ok || u.Email == "" {
		return "", store.Errorf(store.Forbidden, "Please log in to the admin area first; your session may have expired.")
	}
	return u.Email, nil
}

// adminOrderURL is an order's page in the admin area.
func adminOrderURL(ref string) string { return "/admin/orders/" + url.PathEscape(ref) }

var adminPaymentWords = map[PaymentState]string{
	AwaitingPayment:       "Awaiting payment",
	AwaitingCertification: "Awaiting certification",
	Paid:                  "Paid",
	Failed:                "Failed (card rejected)",
	PaymentCancelled:      "Cancelled",
	Expired:               "Expired (not paid in time)",
}

var adminFulfilmentWords = map[FulfilmentState]string{
	Unfulfilled:         "Not shipped",
	Shipped:             "Shipped",
	FulfilmentCancelled: "Cancelled",
}

var adminMethodWords = map[string]string{
	"card":  "Card on the shop's page",
	"cmcic": "Bank's payment page",
}

var adminEventWords = map[string]string{
	"placed":                 "Order placed",
	"awaiting_certification": "Card details received",
	"paid":                   "Payment confirmed",
	"certified":              "Card payment certified",
	"rejected":               "Card payment rejected",
	"shipped":                "Marked as shipped",
	"cancelled":              "Cancelled",
	"expired":                "Expired",
	"payment_refused":        "Bank refused a payment attempt",
	"paid_after_close":       "Paid after the order was closed",
	"amount_mismatch":        "Bank confirmed a payment of the wrong amount",
	"test_payment":           "Test payment on the live shop",
	"second_payment":         "Bank confirmed a second payment",
	"card_digits_shown":      "Stored card digits shown",
	"details_sent_again":     "Order details sent again to the customer",
}

var adminOutcomeWords = map[string]string{
	"paid":             "Marked the order paid",
	"refused":          "Recorded a refused attempt",
	"duplicate":        "Duplicate: nothing changed",
	"paid_after_close": "Payment after the order closed: you were mailed",
	"amount_mismatch":  "Amount or currency did not match: not counted (a payment is mailed to you)",
	"test_payment":     "Test payment while live: not counted, mailed to you",
	"second_payment":   "A second payment of a paid order: mailed to you, to refund",
	"bad_mac":          "Bad seal: ignored",
	"bad_content":      "Unreadable: ignored",
	"unknown_order":    "Unknown order: ignored",
	"ignored":          "Ignored",
}

// status3DSWords explains the legacy status3ds codes; the current format's summary is
// shown as the bank wrote it.
var status3DSWords = map[string]string{
	"-1": "not applicable",
	"1":  "low risk",
	"2":  "authenticated without 3-D Secure",
	"3":  "high risk",
	"4":  "very high risk",
}

func words[K comparable](m map[K]string, k K, fallback string) string {
	if w, ok := m[k]; ok {
		return w
	}
	return fallback
}

func status3DS(s string) string {
	if w, ok := status3DSWords[s]; ok {
		return s + " (" + w + ")"
	}
	return s
}

// --- the list ---

func (p *AdminPages) orders(c echo.Context) error {
	ctx := c.Request().Context()
	q := func(name string) string {
		s := strings.TrimSpace(c.QueryParam(name))
		if len(s) > 100 {
			s = s[:100]
		}
		return strings.ToValidUTF8(s, "")
	}
	form := templates.AdminOrderFilter{Query: q("q"), Payment: q("payment"), Fulfilment: q("fulfilment"),
		Method: q("method"), Delivery: q("delivery"), From: q("from"), To: q("to")}
	f := OrderFilter{Query: form.Query, Limit: p.pageSize(), Delivery: form.Delivery}
	if _, ok := adminPaymentWords[PaymentState(form.Payment)]; ok {
		f.Payment = PaymentState(form.Payment)
	} else {
		form.Payment = ""
	}
	if _, ok := adminFulfilmentWords[FulfilmentState(form.Fulfilment)]; ok {
		f.Fulfilment = FulfilmentState(form.Fulfilment)
	} else {
		form.Fulfilment = ""
	}
	if _, ok := adminMethodWords[form.Method]; ok || form.Method == "none" {
		f.Method = form.Method
	} else {
		form.Method = ""
	}
	errs := map[string]string{}
	if form.From != "" {
		if t, ok := p.Service.Zone.Day(form.From); ok {
			f.From = t
		} else {
			errs["filter-from"] = "Enter a date such as 2026-03-31."
		}
	}
	if form.To != "" {
		if t, ok := p.Service.Zone.Day(form.To); ok {
			f.To = t.AddDate(0, 0, 1) // the whole day
		} else {
			errs["filter-to"] = "Enter a date such as 2026-03-31."
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		errs["filter-to"] = "The end date is before the start date."
		f.To = time.Time{}
	}
	page := store.PageParam(c)
	f.Offset = (page - 1) * f.Limit
	rows, total, err := p.Service.AdminOrders(ctx, f)
	if err != nil {
		return err
	}
	methods, err := p.Service.DeliveryMethods(ctx, true)
	if err != nil {
		return err
	}
	v := templates.AdminOrdersView{Admin: p.Frame.Chrome(c, "Orders", "orders"), Filter: form, Errors: errs, Total: total}
	for _, s := range []PaymentState{AwaitingPayment, AwaitingCertification, Paid, Failed, PaymentCancelled, Expired} {
		v.PaymentStates = append(v.PaymentStates, templates.Option{Value: string(s), Label: adminPaymentWords[s]})
	}
	for _, s := range []FulfilmentState{Unfulfilled, Shipped, FulfilmentCancelled} {
		v.FulfilmentStates = append(v.FulfilmentStates, templates.Option{Value: string(s), Label: adminFulfilmentWords[s]})
	}
	v.Methods = []templates.Option{{Value: "card", Label: adminMethodWords["card"]},
		{Value: "cmcic", Label: adminMethodWords["cmcic"]}, {Value: "none", Label: "Not chosen yet"}}
	for _, m := range methods {
		v.Deliveries = append(v.Deliveries, templates.Option{Value: m.Code, Label: m.Name})
	}
	for _, r := range rows {
		v.Rows = append(v.Rows, templates.AdminOrderRow{
			Reference: r.Reference, URL: adminOrderURL(r.Reference), Placed: p.Service.Zone.Stamp(r.CreatedAt),
			Name: r.Name, Email: r.Email, Total: store.FormatCents(r.TotalCents),
			Payment: words(adminPaymentWords, r.PaymentState, string(r.PaymentState)), PaymentCode: string(r.PaymentState),
			Fulfilment:     words(adminFulfilmentWords, r.FulfilmentState, string(r.FulfilmentState)),
			FulfilmentCode: string(r.FulfilmentState), Method: adminMethodWords[r.PaymentMethod], Delivery: r.DeliveryName,
		})
	}
	keep := url.Values{}
	for name, value := range map[string]string{"q": form.Query, "payment": form.Payment, "fulfilment": form.Fulfilment,
		"method": form.Method, "delivery": form.Delivery, "from": form.From, "to": form.To} {
		if value != "" && errs["filter-"+name] == "" {
			keep.Set(name, value)
		}
	}
	v.Pager = adminPager("/admin/orders", keep, page, total, f.Limit)
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return p.Site.Render(c, status, templates.AdminOrders(v))
}

// adminPager links the pages of an admin list, keeping its filters.
func adminPager(base string, keep url.Values, page, total, size int) templates.Pager {
	pages := (total + size - 1) / size
	pg := templates.Pager{Page: page, Pages: pages}
	link := func(n int) string {
		q := url.Values{}
		for k, v := range keep {
			q[k] = v
		}
		q.Set("page", strconv.Itoa(n))
		return base + "?" + q.Encode()
	}
	if page > 1 {
		pg.PrevURL = link(min(page-1, max(pages, 1)))
	}
	if page < pages {
		pg.NextURL = link(page + 1)
	}
	return pg
}

// --- an order's page ---

// pathOrder is the order named by the route's :ref, or NotFound.
func (p *AdminPages) pathOrder(c echo.Context) (Order, error) {
	ref := strings.ToUpper(strings.TrimSpace(c.Param("ref")))
	if ref == "" || len(ref) > 40 {
		return Order{}, store.Errorf(store.NotFound, "This order does not exist.")
	}
	return p.Service.OrderByReference(c.Request().Context(), ref)
}

func (p *AdminPages) order(c echo.Context) error {
	o, err := p.pathOrder(c)
	if err != nil {
		return err
	}
	return p.renderOrder(c, http.StatusOK, o, orderPage{})
}

// orderPage is what one response adds to an order's page.
type orderPage struct {
	form    templates.AdminActionForm
	errs    map[string]string
	refusal string
	notice  string
	shown   string // the stored part of the card number, in full: only for show-digits
}

// actionFieldOrder is the order of the action forms' fields on the page.
var actionFieldOrder = []string{"certify-reason", "reject-reason", "ship-tracking", "ship-reason", "cancel-reason"}

func (p *AdminPages) renderOrder(c echo.Context, status int, o Order, x orderPage) error {
	ctx := c.Request().Context()
	v := templates.AdminOrderView{
		Admin: p.Frame.Chrome(c, "Order "+o.Reference, "orders"), Reference: o.Reference, URL: adminOrderURL(o.Reference),
		Placed:  p.Service.Zone.Time(o.CreatedAt),
		Payment: words(adminPaymentWords, o.PaymentState, string(o.PaymentState)), PaymentCode: string(o.PaymentState),
		Fulfilment:     words(adminFulfilmentWords, o.FulfilmentState, string(o.FulfilmentState)),
		FulfilmentCode: string(o.FulfilmentState), Method: adminMethodWords[o.PaymentMethod],
		Tracking: o.TrackingNumber, AuthNumber: o.AuthNumber, Status3DS: status3DS(o.Status3DS),
		StockReturned: o.StockReturned, Name: o.Name, Email: o.Email, Phone: o.Phone,
		Billing: addressLines(o.Billing), Shipping: addressLines(o.Shipping), Delivery: o.Delivery.Name, PickUp: !o.Delivery.NeedsAddress,
		Summary: orderSummary(o),
		Refusal: x.refusal, Notice: x.notice, Form: x.form, Errors: x.errs,
		CanCertify: o.PaymentState == AwaitingCertification,
		CanReject:  o.PaymentState == AwaitingCertification,
		CanShip:    o.PaymentState == Paid && o.FulfilmentState == Unfulfilled,
		CanCancel: o.FulfilmentState == Unfulfilled &&
			(o.PaymentState == AwaitingPayment || o.PaymentState == AwaitingCertification || o.PaymentState == Paid),
		CanSendDetails: hasDetailsToSend(o),
	}
	for _, field := range actionFieldOrder {
		if msg, ok := x.errs[field]; ok {
			v.ErrorSummary = append(v.ErrorSummary, templates.FieldError{Field: field, Message: msg})
		}
	}
	// A shopper may type anything in the note, even a card number: a second line of defence.
	v.Note, _ = maskDigitRuns(o.Note, 13)
	if o.PaidAt.Valid {
		v.PaidAt = p.Service.Zone.Time(o.PaidAt.Time)
	}
	if o.PaymentState == AwaitingPayment {
		v.ExpiresAt = p.Service.Zone.Time(o.ExpiresAt)
	}
	cp, isCard, err := p.Service.CardPaymentOf(ctx, o.ID)
	if err != nil {
		return err
	}
	if isCard {
		// Screens show at most the first six digits, unless the merchant asked for more.
		v.Card = &templates.AdminCardPayment{Brand: card.Brand(cp.Brand).Label(), Expiry: cp.Expiry,
			Masked: card.MaskStored(cp.Stored), Reduced: cp.Reduced, Shown: x.shown}
	}
	notes, err := p.Service.notificationsFor(ctx, o)
	if err != nil {
		return err
	}
	v.Bank = o.PaymentMethod == "cmcic" || len(notes) > 0
	for _, n := range notes {
		v.Notifications = append(v.Notifications, templates.AdminBankNotification{ReceivedAt: n.ReceivedAt, Code: n.Code,
			Outcome: words(adminOutcomeWords, n.Outcome, n.Outcome), AuthNumber: n.AuthNumber, Status3DS: status3DS(n.Status3DS),
			MACValid: n.MACValid})
	}
	events, err := p.Service.Events(ctx, o.ID)
	if err != nil {
		return err
	}
	for _, e := range events {
		v.Events = append(v.Events, templates.AdminOrderEvent{At: p.Service.Zone.Time(e.At), Kind: e.Kind,
			What: words(adminEventWords, e.Kind, e.Kind), Detail: e.Detail, Actor: e.Actor})
	}
	mails, err := p.Service.mailsOf(ctx, o.ID)
	if err != nil {
		return err
	}
	for _, m := range mails {
		v.Mails = append(v.Mails, templates.AdminOrderMail{To: m.To, Subject: m.Subject, Status: m.Status,
			At: p.Service.Zone.Stamp(m.CreatedAt), URL: "/admin/mail?status=" + m.Status})
	}
	return p.Site.Render(c, status, templates.AdminOrder(v))
}
