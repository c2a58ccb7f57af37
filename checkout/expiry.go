package checkout

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"shop/store"
)

// ExpireDue expires orders left awaiting payment past their deadline and returns their
// stock. Each order is claimed by its own guarded update, so two sweeps running at once
// (two processes, or a job started twice) expire each order and return its stock once.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	now := s.Now().UTC()
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id FROM orders WHERE payment_state = ? AND expires_at < ? LIMIT 500`,
		AwaitingPayment, now)
	if err != nil {
		return 0, err
	}
	var due []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		due = append(due, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	expired := 0
	for _, id := range due {
		done, err := s.expire(ctx, id, now)
		if err != nil {
			return expired, err
		}
		if done {
			expired++
		}
	}
	return expired, nil
}

// expire expires one order if it is still awaiting payment past its deadline, returning
// its stock and queueing the shopper's mail, and reports whether it did.
func (s *Service) expire(ctx context.Context, id int64, now time.Time) (bool, error) {
	expired := false
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE orders SET payment_state = ?, fulfilment_state = ?, updated_at = ?
			WHERE id = ? AND payment_state = ? AND expires_at < ?`,
			Expired, FulfilmentCancelled, now, id, AwaitingPayment, now)
		if err != nil || !rowsChanged(res) {
			return err
		}
		expired = true
		if err := returnOrderStock(ctx, tx, id, now); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, id, now, "expired", "Not paid in time; stock returned", "system"); err != nil {
			return err
		}
		o, err := s.orderInTx(ctx, tx, id)
		if err != nil {
			return err
		}
		s.remember(tx, o)
		return enqueueMail(ctx, tx, s.Mails.ExpiredToShopper(o))
	})
	return expired && err == nil, err
}

// ExpireIfDue expires o if its time to pay has run out and the sweep has not come by
// yet, and returns it as it then is: a shopper never sees "Pay now" on an order whose
// items are no longer reserved, nor pays it.
func (s *Service) ExpireIfDue(ctx context.Context, o Order) (Order, error) {
	now := s.Now().UTC()
	if o.PaymentState != AwaitingPayment || !o.ExpiresAt.Before(now) {
		return o, nil
	}
	if _, err := s.expire(ctx, o.ID, now); err != nil {
		return o, err
	}
	return s.ShopperOrder(ctx, o.Reference)
}

// ExtendForBank gives an order the longer bank window once the shopper leaves for the
// bank's page, since the bank may take a while to call back.
func (s *Service) ExtendForBank(ctx context.Context, orderID int64) error {
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		deadline := s.Now().UTC().Add(s.BankWindow)
		var ref string
		err := tx.QueryRowContext(ctx, `UPDATE orders SET expires_at = max(expires_at, ?), payment_method = 'cmcic', updated_at = ?
			WHERE id = ? AND payment_state = ? RETURNING reference`, deadline, s.Now().UTC(), orderID, AwaitingPayment).Scan(&ref)
		if errors.Is(err, sql.ErrNoRows) { // paid, expired or gone meanwhile: nothing changed
			return nil
		}
		if err != nil {
			return err
		}
		tx.AfterCommit(func() { s.orders.forget(ref) })
		return nil
	})
}
