package checkout

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"strconv"

	"shop/store"
)

// Completion is how a payment method reports that an order's payment went through:
// card details accepted (awaiting certification) or the bank's payment confirmed (paid).
type Completion struct {
	Method     string       // "card", "cmcic"
	To         PaymentState // AwaitingCertification or Paid
	AuthNumber string
	Status3DS  string
	Detail     string       // for the timeline
	Card       *CardDetails // shown in the merchant's mail
	Secret     []byte       // the sealed card digits for the merchant's mail
	// Record writes the method's own rows in the same transaction as the state change.
	Record func(ctx context.Context, tx *store.Tx, o Order) error
	// Read is the order as the caller read it before, if it did: the two mails are then
	// rendered from it, as this change will leave it, before the transaction (see
	// earlyPaymentMails).
	Read *Order
}

// CompletePayment moves an order from awaiting payment to c.To, records the method's
// rows, and queues the merchant's and the shopper's mails, all in one transaction. It
// reports false, changing nothing and mailing no one, when the order had already moved
// on (a duplicate notification, a second click).
func (s *Service) CompletePayment(ctx context.Context, orderID int64, c Completion) (bool, error) {
	changed := false
	early := s.earlyPaymentMails(orderID, c)
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		now := s.Now().UTC()
		var paidAt any
		if c.To == Paid {
			paidAt = now
		}
		// RETURNING gives the order as it now stands, without reading it again.
		o, err := scanOrder(tx.QueryRowContext(ctx, `UPDATE orders SET payment_state = ?, payment_method = ?, auth_number = ?,
			status_3ds = ?, paid_at = ?, updated_at = ? WHERE id = ? AND payment_state = ?
			RETURNING `+orderColumns,
			c.To, c.Method, c.AuthNumber, c.Status3DS, paidAt, now, orderID, AwaitingPayment))
		if errors.Is(err, sql.ErrNoRows) {
			return nil // moved on already
		}
		if err != nil {
			return err
		}
		changed = true
		if err := s.withParts(ctx, tx, &o); err != nil {
			return err
		}
		if c.Record != nil {
			if err := c.Record(ctx, tx, o); err != nil {
				return err
			}
		}
		if err := addEvent(ctx, tx, orderID, now, string(c.To), c.Detail, c.Method); err != nil {
			return err
		}
		s.remember(tx, o)
		mails, reused := s.paymentMails(early, s.paymentDrafts(o, c))
		if reused > 0 {
			tx.AfterCommit(func() { s.earlyMails.Add(reused) })
		}
		mails[0].Secret = c.Secret
		return enqueueMail(ctx, tx, mails...)
	})
	return changed && err == nil, err
}

// A payment's two mails were rendered in its transaction, on the one writer goroutine
// that every order waits for: 7 % of that goroutine's work in BenchmarkRequest_Purchase's
// profile (a card purchase). The caller has usually read the order just
// before (the card form's order, the bank's notification's order), and what the mails
// show of it only changes with the payment itself. So they are rendered from that
// order, moved to the state the payment gives it, on the request's own goroutine. In the
// transaction, drafts (everything a mail is rendered from) are made from the order as it
// stands there and compared with the early ones; a mail whose draft differs is rendered
// again. What is queued is always what the transaction's order makes.

// paymentDrafts are a completed payment's two mails, the merchant's first, as drafts.
func (s *Service) paymentDrafts(o Order, c Completion) []mailDraft {
	return []mailDraft{s.Mails.orderCompletedToMerchant(o, c.Card), s.Mails.orderConfirmationToShopper(o)}
}

// MailsRenderedEarly counts the payment mails queued as rendered before their
// transaction since the service started: with every mail rendered in its transaction
// again, it would stay at zero.
func (s *Service) MailsRenderedEarly() int64 { return s.earlyMails.Load() }

// earlyMails are mails rendered before their transaction, with the drafts they came from.
type earlyMails struct {
	drafts []mailDraft
	mails  []Mail
}

// earlyPaymentMails renders c's mails from c.Read as the payment will leave it; nil
// when there is no such order to render from.
func (s *Service) earlyPaymentMails(orderID int64, c Completion) *earlyMails {
	if c.Read == nil || c.Read.ID != orderID || c.Read.PaymentState != AwaitingPayment {
		return nil
	}
	o := *c.Read
	if o.Lines == nil {
		lines, vat, ok := s.orders.parts(o.Reference, o.ID)
		if !ok {
			return nil // reading them here would cost what rendering in the transaction saves
		}
		o.Lines, o.VAT = lines, vat
	}
	o.PaymentState, o.PaymentMethod, o.AuthNumber, o.Status3DS = c.To, c.Method, c.AuthNumber, c.Status3DS
	e := &earlyMails{drafts: s.paymentDrafts(o, c)}
	for _, d := range e.drafts {
		e.mails = append(e.mails, s.Mails.renderDraft(d))
	}
	return e
}

// paymentMails returns the mails of drafts, those rendered early where their drafts
// are equal and the others rendered now, and how many were rendered early.
func (s *Service) paymentMails(e *earlyMails, drafts []mailDraft) (mails []Mail, early int64) {
	mails = make([]Mail, len(drafts))
	for i, d := range drafts {
		if e != nil && i < len(e.drafts) && reflect.DeepEqual(e.drafts[i], d) {
			mails[i] = e.mails[i]
			early++
			continue
		}
		mails[i] = s.Mails.renderDraft(d)
	}
	return mails, early
}

// Action is a merchant's (or a job's) state change on an order.
type Action struct {
	Actor  string // who: an admin's e-mail, "system"
	Reason string
	// Record runs in the same transaction once the change is sure to happen.
	Record func(ctx context.Context, tx *store.Tx, o Order) error
}

// errMovedOn is what a merchant sees when an order is no longer in the state the action
// needs: someone else acted first, or the bank answered meanwhile.
func errMovedOn(what string) error {
	return store.Errorf(store.Conflict, "This order can no longer be %s: it has changed since the page was shown. Nothing was done.", what)
}

// Certify marks a card payment as confirmed with the bank: awaiting certification → paid.
func (s *Service) Certify(ctx context.Context, orderID int64, a Action) error {
	a.Record = reducingCardDigits(a.Record)
	return s.move(ctx, orderID, a, "certified", `payment_state = 'paid', paid_at = ?1`,
		`payment_state = 'awaiting_certification'`, false, (*Mails).PaymentCertifiedToShopper)
}

// Reject refuses a card payment: awaiting certification → failed, and the stock returns.
func (s *Service) Reject(ctx context.Context, orderID int64, a Action) error {
	a.Record = reducingCardDigits(a.Record)
	return s.move(ctx, orderID, a, "rejected", `payment_state = 'failed', fulfilment_state = 'cancelled'`,
		`payment_state = 'awaiting_certification'`, true, (*Mails).PaymentRejectedToShopper)
}

// reducingCardDigits adds to a merchant's decision the reduction of the stored card
// number to its first six digits: once decided, the rest has no use left.
func reducingCardDigits(next func(context.Context, *store.Tx, Order) error) func(context.Context, *store.Tx, Order) error {
	return func(ctx context.Context, tx *store.Tx, o Order) error {
		if err := reduceCardDigits(ctx, tx, o.ID); err != nil || next == nil {
			return err
		}
		return next(ctx, tx, o)
	}
}

// Cancel stops an order that has not shipped; its stock returns exactly once.
func (s *Service) Cancel(ctx context.Context, orderID int64, a Action) error {
	a.Record = reducingCardDigits(a.Record)
	return s.move(ctx, orderID, a, "cancelled",
		`payment_state = CASE WHEN payment_state = 'paid' THEN 'paid' ELSE 'cancelled' END, fulfilment_state = 'cancelled'`,
		`fulfilment_state = 'unfulfilled' AND payment_state IN ('awaiting_payment', 'awaiting_certification', 'paid')`,
		true, func(m *Mails, o Order) Mail { return m.CancelledToShopper(o, a.Reason) })
}

// hasDetailsToSend says whether the order's confirmation went to the customer, and so
// may go again: its payment was received (paid or awaiting certification), and it has
// neither shipped nor been cancelled since, which the confirmation would contradict
// ("we are preparing your order").
func hasDetailsToSend(o Order) bool {
	return (o.PaymentState == Paid || o.PaymentState == AwaitingCertification) && o.FulfilmentState == Unfulfilled
}

// SendDetailsAgain queues the order's confirmation to the customer once more, as the
// order now stands (a customer who lost it asks the shop), under a key of its own, and
// records who sent it in the order's history. The merchant's mails, which may carry card
// digits, are never sent again this way.
func (s *Service) SendDetailsAgain(ctx context.Context, orderID int64, a Action) error {
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		o, err := s.orderInTx(ctx, tx, orderID)
		if errors.Is(err, sql.ErrNoRows) {
			return store.Errorf(store.NotFound, "This order does not exist.")
		}
		if err != nil {
			return err
		}
		if !hasDetailsToSend(o) {
			return errMovedOn("sent again")
		}
		now := s.Now().UTC()
		m := s.Mails.OrderConfirmationToShopper(o)
		m.Key += "/again/" + strconv.FormatInt(now.UnixNano(), 10)
		if err := addEvent(ctx, tx, orderID, now, "details_sent_again", "To "+o.Email, a.Actor); err != nil {
			return err
		}
		return enqueueMail(ctx, tx, m)
	})
}

// Ship marks a paid order as shipped, with an optional tracking number.
func (s *Service) Ship(ctx context.Context, orderID int64, tracking string, a Action) error {
	return s.move(ctx, orderID, a, "shipped", `fulfilment_state = 'shipped', tracking_number = ?3`,
		`fulfilment_state = 'unfulfilled' AND payment_state = 'paid'`, false, (*Mails).ShippedToShopper, tracking)
}

// move is every merchant action's shape: a guarded update that changes one row or
// nothing, then (only if it changed) stock returned once, the timeline, and the mail.
// In set and guard, ?1 is the time, ?2 the order id and ?3… the extra args.
func (s *Service) move(ctx context.Context, orderID int64, a Action, kind, set, guard string, returnStock bool,
	mail func(*Mails, Order) Mail, args ...any) error {
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		now := s.Now().UTC()
		res, err := tx.ExecContext(ctx, `UPDATE orders SET `+set+`, updated_at = ?1 WHERE id = ?2 AND `+guard,
			append([]any{now, orderID}, args...)...)
		if err != nil {
			return err
		}
		if !rowsChanged(res) {
			var exists int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM orders WHERE id = ?`, orderID).Scan(&exists); err != nil {
				return err
			}
			if exists == 0 {
				return store.Errorf(store.NotFound, "This order does not exist.")
			}
			return errMovedOn(kind)
		}
		if returnStock {
			if err := returnOrderStock(ctx, tx, orderID, now); err != nil {
				return err
			}
		}

		o, err := s.orderInTx(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if a.Record != nil {
			if err := a.Record(ctx, tx, o); err != nil {
				return err
			}
		}
		if err := addEvent(ctx, tx, orderID, now, kind, a.Reason, a.Actor); err != nil {
			return err
		}
		s.remember(tx, o)
		return enqueueMail(ctx, tx, mail(s.Mails, o))
	})
}

// returnOrderStock puts an order's quantities back on the shelf, once: the flag flips in
// a guarded update, so a second cancel, expiry or rejection returns nothing more.
func returnOrderStock(ctx context.Context, tx *store.Tx, orderID int64, now any) error {
	res, err := tx.ExecContext(ctx, `UPDATE orders SET stock_returned = 1 WHERE id = ? AND stock_returned = 0`, orderID)
	if err != nil || !rowsChanged(res) {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE products SET stock = stock + l.quantity, updated_at = ?
		FROM (SELECT product_id, sum(quantity) AS quantity FROM order_lines WHERE order_id = ? GROUP BY product_id) AS l
		WHERE products.id = l.product_id`, now, orderID)
	return err
}

func rowsChanged(res sql.Result) bool {
	n, err := res.RowsAffected()
	return err == nil && n > 0
}
