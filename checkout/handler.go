package checkout

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"shop/cart"
	"shop/payment"
	"shop/store"
	"shop/templates"
)

// Handler serves the order form, the payment page and the order pages.
type Handler struct {
	Service *Service
	Cart    *cart.Cart
	Site    *store.Site
	// Methods are the payment methods main configured; the payment page offers exactly these.
	Methods []payment.Method
}

// Routes registers checkout's pages.
func (h *Handler) Routes(g *echo.Group) {
	g.GET("/checkout", h.form)
	g.POST("/checkout", h.place)
	g.GET("/orders/:ref", h.order)
	g.GET("/orders/:ref/pay", h.pay)
	g.POST("/orders/:ref/again", h.again)
}

// again puts an order's items back in the visitor's cart, at today's prices and within
// today's stock, and the details typed for it back in the order form: an order that
// expired or whose payment failed leaves the shopper a way forward, not an empty cart
// and a blank form; a completed one is ordered again in two clicks. An order still
// awaiting payment is to be paid, not ordered twice.
func (h *Handler) again(c echo.Context) error {
	o, err := h.LoadAuthorized(c)
	if err != nil {
		return err
	}
	if o.PaymentState == AwaitingPayment {
		return store.Errorf(store.Conflict, "This order still awaits payment: pay it rather than order it again.")
	}
	ctx, visitor := c.Request().Context(), store.VisitorID(c)
	// Up to the order's quantities, not added to what the cart holds: the same request
	// sent twice (no script, a double click) fills the cart once.
	inCart, err := h.Cart.Lines(ctx, visitor)
	if err != nil {
		return err
	}
	held := map[int64]int{}
	for _, l := range inCart {
		held[l.ProductID] = l.Quantity
	}
	var gone, fewer []string
	for _, l := range o.Lines {
		if held[l.ProductID] >= l.Quantity {
			continue
		}
		ch, err := h.Cart.AddProduct(ctx, visitor, l.ProductID, l.Quantity-held[l.ProductID])
		switch store.ErrorCode(err) {
		case store.NotFound, store.Invalid: // no longer sold, sold out, the cart holds it all
			gone = append(gone, l.Name)
		default:
			if err != nil {
				return err
			}
			if ch.Capped {
				fewer = append(fewer, strconv.Itoa(ch.Quantity)+" × "+l.Name)
			}
		}
	}
	if err := h.saveForm(c, formOf(o)); err != nil {
		return err
	}
	msg := "The items of order " + o.Reference + " are in your cart, and your details in the order form."
	if len(fewer) > 0 {
		msg += " Only what is left: " + strings.Join(fewer, ", ") + "."
	}
	if len(gone) > 0 {
		msg += " Not available now: " + strings.Join(gone, ", ") + "."
	}
	if err := h.Site.Sessions.NoteCart(c); err != nil {
		return err
	}
	h.Site.Sessions.AddFlash(c, msg)
	return c.Redirect(http.StatusSeeOther, "/cart")
}

// formOf is the order form as it was filled for o, the terms to accept again.
func formOf(o Order) Form {
	f := Form{Email: o.Email, Name: o.Name, Phone: o.Phone, BillingLine1: o.Billing.Line1, BillingLine2: o.Billing.Line2,
		BillingPostcode: o.Billing.Postcode, BillingCity: o.Billing.City, BillingCountry: o.Billing.Country,
		Delivery: o.Delivery.Code, Note: o.Note}
	if o.Delivery.NeedsAddress && o.Shipping != o.Billing {
		f.ShipDifferent = true
		f.ShipName, f.ShipLine1, f.ShipLine2 = o.Shipping.Name, o.Shipping.Line1, o.Shipping.Line2
		f.ShipPostcode, f.ShipCity, f.ShipCountry = o.Shipping.Postcode, o.Shipping.City, o.Shipping.Country
	}
	return f
}

func (h *Handler) form(c echo.Context) error {
	f := newForm()
	if store.MayHaveSavedForm(c) { // the cookie knows when no form was kept, the usual case
		var err error
		if f, err = h.Service.SavedForm(c.Request().Context(), store.VisitorID(c)); err != nil {
			return err
		}
	}
	token, err := newSubmission(h.Service.Now())
	if err != nil {
		return err
	}
	return h.renderForm(c, http.StatusOK, f, nil, token, "", "")
}

// renderForm shows the order form; shown and shownDelivery are the cart and delivery
// snapshots the first rendering carried, kept on a re-render so a change in between is
// still noticed.
func (h *Handler) renderForm(c echo.Context, status int, f Form, errs FieldErrors, submission, shown, shownDelivery string) error {
	ctx := c.Request().Context()
	lines, err := h.Cart.Lines(ctx, store.VisitorID(c))
	if err != nil {
		return err
	}
	if len(lines) == 0 {
		if c.Request().Method == http.MethodPost {
			if done, err := h.toRecentOrder(c); done || err != nil { // a second tab's form, as in place
				return err
			}
		}
		if p, ok, err := h.PendingOrder(c); err != nil {
			return err
		} else if ok { // the menu's "Order" leads back to the order left unpaid
			h.Site.Sessions.AddFlash(c, "Your cart is empty; your order "+p.Reference+" awaits payment.")
			return c.Redirect(http.StatusSeeOther, "/orders/"+p.Reference)
		}
		h.Site.Sessions.AddFlash(c, "Your cart is empty: add something before checking out.")
		return c.Redirect(http.StatusSeeOther, "/cart")
	}
	for _, l := range lines {
		if l.Problem() != "" {
			h.Site.Sessions.AddWarning(c, "Some items in your cart cannot be ordered as they are.")
			return c.Redirect(http.StatusSeeOther, "/cart")
		}
	}
	methods, err := h.Service.DeliveryMethods(ctx, false)
	if err != nil {
		return err
	}
	if shown == "" {
		shown = Snapshot(lines)
	}
	items := cartItems(lines)
	if shownDelivery == "" {
		shownDelivery = DeliverySnapshot(methods, items)
	}
	m, ok := findMethod(methods, f.Delivery)
	v := templates.CheckoutView{
		Chrome: h.Site.ChromeWithCount(c, "Checkout", cart.Items(lines)), Form: formView(f), Errors: errs, Countries: countryOptions(),
		Methods: methodOptions(methods, lines, items), Cart: cartSummary(lines, m, ok), Submission: submission, Shown: shown,
		ShownDelivery: shownDelivery,
	}
	for _, field := range formFields {
		if msg, bad := errs[field]; bad {
			v.Summary = append(v.Summary, templates.FieldError{Field: field, Message: msg})
		}
	}
	return h.Site.Render(c, status, templates.CheckoutPage(v))
}

// place is the order form's POST: bind, validate, place in one transaction, redirect.
func (h *Handler) place(c echo.Context) error {
	ctx := c.Request().Context()
	visitor := store.VisitorID(c)
	values, err := c.FormParams()
	if err != nil {
		return store.Errorf(store.Invalid, "The form could not be read.")
	}
	f := FormFromValues(values)
	submission, shown, shownDelivery := values.Get("submission"), values.Get("shown"), values.Get("shown_delivery")
	methods, err := h.Service.DeliveryMethods(ctx, false)
	if err != nil {
		return err
	}
	// The values are kept only when the order is not placed: a placed order ends the
	// visitor's checkout, and saving first would cost every order one more disk sync.
	if errs := f.Validate(methods); len(errs) > 0 {
		// A second submission of a form that placed its order (double click, back and
		// resubmit, two tabs) lands on that order, even if the form no longer passes
		// (a delivery method withdrawn since). A valid one finds it in Place.
		if o, ok := h.placedAlready(c, submission); ok {
			return h.landOn(c, o, false)
		}
		// Another tab's order emptied the cart: to that order, before saving the form
		// writes this request's (older) visitor id into the cookie.
		if n, err := h.Cart.Count(ctx, visitor); err != nil {
			return err
		} else if n == 0 {
			if done, err := h.toRecentOrder(c); done || err != nil {
				return err
			}
		}
		f = f.withoutCardNumbers()
		if err := h.saveForm(c, f); err != nil {
			return err
		}
		return h.renderForm(c, http.StatusUnprocessableEntity, f, errs, submission, shown, shownDelivery)
	}
	o, dup, err := h.Service.Place(ctx, PlaceRequest{Visitor: visitor, NewOwner: store.NewVisitorID(),
		Submission: submission, Shown: shown, ShownDelivery: shownDelivery, Form: f})
	var changed *ChangedError
	if errors.As(err, &changed) {
		if err := h.saveForm(c, f); err != nil {
			return err
		}
		v := templates.ChangedView{Chrome: h.Site.Chrome(c, "Your order was not placed"), Problems: changed.Problems}
		return h.Site.Render(c, http.StatusConflict, templates.ChangedPage(v))
	}
	if errors.Is(err, errCartEmpty) {
		// Another tab placed this cart a moment ago: that order, not an error page.
		if done, err := h.toRecentOrder(c); done || err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	return h.landOn(c, o, !dup)
}

// toRecentOrder sends an order form whose cart another tab has just ordered to that
// order, and says whether it did. A tab that sent its form before the other's answer
// still carries the visitor id the order was placed by, not the new one the order
// gave its owner: it is only redirected. A flash would write that old id over the new
// cookie, locking the shopper out of the order, and the old id grants nothing (it may
// be one planted in the shopper's browser, which is why placing an order changes it).
func (h *Handler) toRecentOrder(c echo.Context) (bool, error) {
	ref, owned, ok := h.recentOrder(c)
	if !ok {
		return false, nil
	}
	if owned {
		h.Site.Sessions.AddFlash(c, "Your cart is empty: your order "+ref+" was placed already.")
	}
	return true, c.Redirect(http.StatusSeeOther, "/orders/"+ref)
}

// recentOrder is the reference of the latest order the visitor owns or placed, within
// the last hour, and whether it owns it. Only an empty cart's order form asks, so the
// scan of the hour's orders (there is no index by owner: it cost every order a write)
// is rare.
func (h *Handler) recentOrder(c echo.Context) (ref string, owned, ok bool) {
	err := h.Service.DB.R.QueryRowContext(c.Request().Context(), `SELECT reference, owner = ?2 FROM orders
		WHERE created_at > ?1 AND (owner = ?2 OR placed_by = ?2) ORDER BY id DESC LIMIT 1`,
		h.Service.Now().UTC().Add(-time.Hour), store.VisitorID(c)).Scan(&ref, &owned)
	return ref, owned, err == nil
}

// saveForm keeps the form for the visitor and marks the cookie, whose order form then
// looks for it.
func (h *Handler) saveForm(c echo.Context, f Form) error {
	if err := h.Service.SaveForm(c.Request().Context(), store.VisitorID(c), f); err != nil {
		return err
	}
	return h.Site.Sessions.NoteForm(c)
}

// placedAlready finds the order a submission token already placed, for the second of
// two identical submissions (double click, back and resubmit, two tabs).
func (h *Handler) placedAlready(c echo.Context, submission string) (Order, bool) {
	o, err := loadOrder(c.Request().Context(), h.Service.DB.Prepared(), "submission = ?", submission)
	return o, err == nil
}

// landOn gives the shopper the order's owner id, then sends them to pay it. Only a
// visitor who placed the order or owns it gets there. placed says this request placed
// it, under an owner id drawn for it.
func (h *Handler) landOn(c echo.Context, o Order, placed bool) error {
	if v := store.VisitorID(c); v != o.Owner && v != o.PlacedBy {
		return store.Errorf(store.NotFound, "This order does not exist.")
	}
	if err := h.Site.Sessions.SetVisitor(c, o.Owner, placed, o.Reference); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/orders/"+o.Reference+"/pay")
}

var _ cart.PendingOrders = (*Handler)(nil)

// PendingOrder is the order the visitor placed last, if it still waits for payment: a
// shopper who left the payment page finds the way back to it from the cart and the
// order form. Only a cookie that placed an order makes it look.
func (h *Handler) PendingOrder(c echo.Context) (templates.PendingOrder, bool, error) {
	ref := store.LastOrder(c)
	if ref == "" {
		return templates.PendingOrder{}, false, nil
	}
	o, err := h.Service.ShopperOrder(c.Request().Context(), ref)
	if err != nil && store.ErrorCode(err) != store.NotFound {
		return templates.PendingOrder{}, false, err
	}
	if err != nil || o.Owner != store.VisitorID(c) || o.PaymentState != AwaitingPayment || !o.ExpiresAt.After(h.Service.Now()) {
		// Paid, closed or gone: its pages have nothing more to offer, and stop asking.
		return templates.PendingOrder{}, false, h.Site.Sessions.ForgetOrder(c)
	}
	return templates.PendingOrder{Reference: o.Reference, PayURL: "/orders/" + o.Reference + "/pay",
		Until: h.Service.Zone.Time(o.ExpiresAt)}, true, nil
}

// Authorized reports whether the request may see the order: the visitor who owns it, or
// anyone holding its access token (the link in the shopper's mails and bank returns).
func Authorized(c echo.Context, o Order) bool {
	if store.VisitorID(c) == o.Owner {
		return true
	}
	t := c.QueryParam("token")
	return t != "" && subtle.ConstantTimeCompare([]byte(t), []byte(o.AccessToken)) == 1
}

// LoadAuthorized reads the order named in the URL, answering 404 to anyone else.
func (h *Handler) LoadAuthorized(c echo.Context) (Order, error) {
	o, err := h.Service.ShopperOrder(c.Request().Context(), c.Param("ref"))
	if err != nil {
		return o, err
	}
	if !Authorized(c, o) {
		return o, store.Errorf(store.NotFound, "This order does not exist.")
	}
	return h.Service.ExpireIfDue(c.Request().Context(), o)
}

// OrderURL is the order page, carrying the token when the request came with one.
func OrderURL(c echo.Context, o Order, suffix string) string {
	u := "/orders/" + o.Reference + suffix
	if t := c.QueryParam("token"); t != "" && store.VisitorID(c) != o.Owner {
		u += "?token=" + url.QueryEscape(t)
	}
	return u
}

func (h *Handler) pay(c echo.Context) error {
	o, err := h.LoadAuthorized(c)
	if err != nil {
		return err
	}
	if o.PaymentState != AwaitingPayment {
		return c.Redirect(http.StatusSeeOther, OrderURL(c, o, ""))
	}
	v := templates.PaymentView{Chrome: h.Site.Chrome(c, "Pay order "+o.Reference), Reference: o.Reference,
		Summary: orderSummary(o), Deadline: h.Service.Zone.Time(o.ExpiresAt), OrderURL: OrderURL(c, o, "")}
	for _, m := range h.Methods {
		v.Options = append(v.Options, templates.PaymentOption{Code: m.Code(), Label: m.Label(),
			Description: m.Description(), URL: OrderURL(c, o, "/pay/"+m.Code())})
	}
	return h.Site.Render(c, http.StatusOK, templates.PaymentPage(v))
}

func (h *Handler) order(c echo.Context) error {
	o, err := h.LoadAuthorized(c)
	if err != nil {
		return err
	}
	return h.Site.Render(c, http.StatusOK, templates.OrderPage(h.OrderView(c, o)))
}

// OrderView fills the order page; the bank's return pages reuse it.
func (h *Handler) OrderView(c echo.Context, o Order) templates.OrderView {
	v := templates.OrderView{
		Chrome: h.Site.Chrome(c, "Order "+o.Reference), Reference: o.Reference, Placed: h.Service.Zone.Time(o.CreatedAt),
		Payment: PaymentWords(o.PaymentState), PaymentCode: string(o.PaymentState),
		Fulfilment: FulfilmentWords(o.FulfilmentState), Summary: orderSummary(o), Email: o.Email, Phone: o.Phone,
		Billing: addressLines(o.Billing), Shipping: addressLines(o.Shipping), Note: o.Note, Tracking: o.TrackingNumber,
	}
	pickUp := !o.Delivery.NeedsAddress
	if pickUp {
		v.PickUp = o.Delivery.Note
	}
	if o.FulfilmentState == Shipped && pickUp {
		v.Fulfilment = "Ready for pick-up"
	}
	why := "The e-mail we sent you says why."
	if o.FulfilmentState == FulfilmentCancelled {
		// The merchant's reason was written for the customer (the cancel form says so):
		// the page shows it as the mail did, for a shopper who has not read the mail.
		if reason, err := h.Service.CancelReason(c.Request().Context(), o.ID); err == nil && reason != "" {
			why = "The shop's reason: “" + reason + "”."
		}
	}
	switch {
	case o.FulfilmentState == FulfilmentCancelled && o.PaymentState == Paid:
		v.Message = "This order was cancelled, and the shop refunds your payment. " + why
	case o.FulfilmentState == FulfilmentCancelled && o.PaymentState == PaymentCancelled:
		// (An expired or refused order is cancelled too; its payment state says why.)
		// (Not "nothing was charged": a bank payment may still arrive after the close.)
		v.Message = "This order was cancelled. " + why
	case o.FulfilmentState == Shipped && pickUp:
		v.Message = "Thank you! Your order is ready: collect it at the shop."
	case o.FulfilmentState == Shipped:
		v.Message = "Thank you! Your order is on its way."
	}
	if o.PaymentState != AwaitingPayment {
		v.AgainURL = OrderURL(c, o, "/again")
	}
	if v.Message != "" {
		return v
	}
	switch o.PaymentState {
	case AwaitingPayment:
		v.Message = "Your items are reserved until " + h.Service.Zone.Time(o.ExpiresAt) + ". Pay now to complete your order."
		v.PayURL = OrderURL(c, o, "/pay")
	case AwaitingCertification:
		v.Message = "Thank you! Your card details were received and the merchant is verifying the payment with the bank. You will get an e-mail once it is confirmed."
	case Paid:
		v.Message = "Thank you! Your payment is confirmed."
	case Failed:
		v.Message = "The payment was refused and the order was not completed."
	case Expired:
		v.Message = "This order was not paid in time and its items were released."
	}
	return v
}
