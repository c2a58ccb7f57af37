package checkout

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"shop/store"
	"shop/templates"
)

// The merchant's actions on an order, and the stored card digits shown on request.

// orderAction is one of the merchant's actions on an order: a guarded state change with
// a reason, an entry in the order's history and a mail to the shopper.
type orderAction struct {
	name        string // "certify": the form and the route
	needsReason string // the message when a required reason is missing; "" when optional
	done        string // the flash after success
	run         func(ctx context.Context, s *Service, orderID int64, f templates.AdminActionForm, a Action) error
}

var (
	certifyAction = orderAction{name: "certify", done: "Payment certified. The customer is told by e-mail.",
		run: func(ctx context.Context, s *Service, id int64, _ templates.AdminActionForm, a Action) error {
			return s.Certify(ctx, id, a)
		}}
	rejectAction = orderAction{name: "reject", done: "Payment rejected: the order is cancelled, its stock returned, and the customer told by e-mail.",
		needsReason: "Say why the payment is rejected, such as “refused by the bank”.",
		run: func(ctx context.Context, s *Service, id int64, _ templates.AdminActionForm, a Action) error {
			return s.Reject(ctx, id, a)
		}}
	shipAction = orderAction{name: "ship", done: "Marked as shipped. The customer is told by e-mail.",
		run: func(ctx context.Context, s *Service, id int64, f templates.AdminActionForm, a Action) error {
			return s.Ship(ctx, id, f.Tracking, a)
		}}
	// Not a change of state: the customer lost the confirmation, and asks for it again.
	detailsAction = orderAction{name: "send-details", done: "The order's details are sent again to the customer.",
		run: func(ctx context.Context, s *Service, id int64, _ templates.AdminActionForm, a Action) error {
			return s.SendDetailsAgain(ctx, id, a)
		}}
	cancelAction = orderAction{name: "cancel", done: "Order cancelled: its stock is back and the customer told by e-mail.",
		needsReason: "Say why the order is cancelled; the customer reads it in the e-mail.",
		run: func(ctx context.Context, s *Service, id int64, _ templates.AdminActionForm, a Action) error {
			return s.Cancel(ctx, id, a)
		}}
)

func (p *AdminPages) certify(c echo.Context) error { return p.act(c, certifyAction) }
func (p *AdminPages) reject(c echo.Context) error  { return p.act(c, rejectAction) }
func (p *AdminPages) ship(c echo.Context) error    { return p.act(c, shipAction) }
func (p *AdminPages) cancel(c echo.Context) error  { return p.act(c, cancelAction) }
func (p *AdminPages) sendDetails(c echo.Context) error {
	return p.act(c, detailsAction)
}

// act is every action's handler: bind, validate, one guarded call, then 422 with the
// errors beside their fields, 409 with what the order is now when the action no longer
// applies (nothing changed), or 303 back to the order with a flash.
func (p *AdminPages) act(c echo.Context, act orderAction) error {
	o, err := p.pathOrder(c)
	if err != nil {
		return err
	}
	actor, err := adminActor(c)
	if err != nil {
		return err
	}
	f := templates.AdminActionForm{Action: act.name, Reason: oneLine(c.FormValue("reason")),
		Tracking: oneLine(c.FormValue("tracking"))}
	if errs := act.validate(f); len(errs) > 0 {
		return p.renderOrder(c, http.StatusUnprocessableEntity, o, orderPage{form: f, errs: errs})
	}
	ctx := c.Request().Context()
	err = act.run(ctx, p.Service, o.ID, f, Action{Actor: actor, Reason: f.Reason})
	if store.ErrorCode(err) == store.Conflict {
		now, lerr := p.Service.OrderByID(ctx, o.ID)
		if lerr != nil {
			return lerr
		}
		p.logger().InfoContext(ctx, "admin: order action no longer applies", "order", o.Reference, "action", act.name,
			"actor", actor, "payment", now.PaymentState, "fulfilment", now.FulfilmentState)
		return p.renderOrder(c, http.StatusConflict, now, orderPage{refusal: refusal(act.name, now)})
	}
	if err != nil {
		return err
	}
	p.wake()
	p.logger().InfoContext(ctx, "admin: order action", "order", o.Reference, "action", act.name, "actor", actor)
	done := act.done
	if act.name == shipAction.name && !o.Delivery.NeedsAddress {
		done = "Marked ready for pick-up. The customer is told by e-mail."
	}
	if act.name == cancelAction.name {
		// Cancel keeps a paid order's payment state: the money is still to be refunded.
		if now, err := p.Service.OrderByID(ctx, o.ID); err == nil && now.PaymentState == Paid {
			done += " It was paid: refund the customer with your bank."
		}
	}
	return p.seeOther(c, adminOrderURL(o.Reference), done)
}

// oneLine trims a single-line input and drops control characters and invalid UTF-8.
func oneLine(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

func (act orderAction) validate(f templates.AdminActionForm) map[string]string {
	errs := map[string]string{}
	reason := act.name + "-reason"
	switch n := utf8.RuneCountInString(f.Reason); {
	case n == 0 && act.needsReason != "":
		errs[reason] = act.needsReason
	case n > 500:
		errs[reason] = "Keep it to 500 characters at most."
	}
	if act.name == "ship" && utf8.RuneCountInString(f.Tracking) > 100 {
		errs["ship-tracking"] = "A tracking number has 100 characters at most."
	}
	return errs
}

// refusal tells the merchant why an action did not apply to the order as it is now,
// and that nothing was done.
func refusal(action string, o Order) string {
	state := fmt.Sprintf("Its payment is now “%s” and its delivery “%s”.",
		words(adminPaymentWords, o.PaymentState, string(o.PaymentState)),
		words(adminFulfilmentWords, o.FulfilmentState, string(o.FulfilmentState)))
	switch action {
	case "certify", "reject":
		verb := map[string]string{"certify": "certified", "reject": "rejected"}[action]
		return "Nothing was done: this payment can no longer be " + verb + ", as it is not awaiting certification any more. " + state
	case "ship":
		switch {
		case o.FulfilmentState == Shipped:
			return "Nothing was done: this order is already marked as shipped."
		case o.FulfilmentState == FulfilmentCancelled:
			return "Nothing was done: this order is cancelled, so it cannot ship. " + state
		case o.PaymentState != Paid:
			return "Nothing was done: an order ships only once it is paid. " + state
		}
	case "send-details":
		return "Nothing was done: the details go again only for an order paid (or awaiting certification) and not yet shipped or cancelled. " + state
	case "cancel":
		switch o.FulfilmentState {
		case Shipped:
			return "Nothing was done: this order has shipped, so it can no longer be cancelled."
		case FulfilmentCancelled:
			return "Nothing was done: this order is already cancelled. " + state
		}
	}
	return "Nothing was done: this order can no longer be changed that way. " + state
}

// --- the stored card digits ---

// ShowCardDigits gives the merchant the stored part of an order's card number (the
// number less its last six digits, which only the merchant's e-mail holds) to charge
// the card, and records who saw it in the order's history, in one transaction. Once the
// payment is decided only the first six digits are kept: there is nothing more to show.
func (s *Service) ShowCardDigits(ctx context.Context, orderID int64, actor string) (CardPayment, error) {
	var p CardPayment
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT brand, expiry, stored, reduced FROM card_payments WHERE order_id = ?`,
			orderID).Scan(&p.Brand, &p.Expiry, &p.Stored, &p.Reduced)
		if errors.Is(err, sql.ErrNoRows) {
			return store.Errorf(store.Conflict, "Nothing was shown: this order was not paid by card on the shop's page.")
		}
		if err != nil {
			return err
		}
		if p.Reduced {
			return store.Errorf(store.Conflict, "Nothing was shown: only the first six digits of this card are kept since the payment was decided.")
		}
		return addEvent(ctx, tx, orderID, s.Now(), "card_digits_shown", "The stored part of the card number was shown", actor)
	})
	if err != nil {
		return CardPayment{}, err
	}
	return p, nil
}

// showDigits answers the merchant's explicit request to see the stored part of the card
// number: the order's page, this once, with the digits. The answer is a page, never a
// redirect, so the digits go nowhere else (no flash, no session, no URL), and admin
// pages are not cached.
func (p *AdminPages) showDigits(c echo.Context) error {
	o, err := p.pathOrder(c)
	if err != nil {
		return err
	}
	actor, err := adminActor(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cp, err := p.Service.ShowCardDigits(ctx, o.ID, actor)
	if store.ErrorCode(err) == store.Conflict {
		return p.renderOrder(c, http.StatusConflict, o, orderPage{refusal: store.ErrorMessage(err)})
	}
	if err != nil {
		return err
	}
	p.logger().InfoContext(ctx, "admin: stored card digits shown", "order", o.Reference, "actor", actor)
	return p.renderOrder(c, http.StatusOK, o, orderPage{shown: cp.Stored,
		notice: "The stored part of the card number is shown below, and your viewing is recorded in the order's history. " +
			"The six missing digits are in the order's e-mail to you."})
}
