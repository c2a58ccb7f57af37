package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
)

// A shop that drops mails under load would look faster than one that sends them all, so
// once the shop has stopped the driver reads its database: every order whose payment
// went through (paid, or card details awaiting certification) must have its two mails
// (the merchant's and the shopper's) sent, and, over SMTP, the sink must have received
// as many mails as the shop marked sent. Every row of a run waits for the shop to go idle
// before the next, so nothing should be left queued when it stops.

// MailAudit is what the shop's outbox says after the run.
type MailAudit struct {
	CompletedOrders int64 `json:"completed_orders"`  // paid, or awaiting card certification
	WithoutMails    int64 `json:"orders_short_of_2"` // completed orders with fewer than 2 mails sent
	Sent            int64 `json:"sent"`
	Waiting         int64 `json:"waiting"` // queued or being sent when the shop stopped
	Failed          int64 `json:"failed"`  // given up after the retries
}

// ok says whether every completed order's mails went out and, when received is
// known (≥ 0), the sink got each mail the shop marked sent.
func (a MailAudit) ok(received int64) bool {
	return a.WithoutMails == 0 && a.Waiting == 0 && a.Failed == 0 && (received < 0 || received == a.Sent)
}

// auditMails reads the outbox of the stopped shop's database at path.
func auditMails(ctx context.Context, path string) (MailAudit, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?"+url.Values{"mode": {"ro"}}.Encode())
	if err != nil {
		return MailAudit{}, err
	}
	defer db.Close()
	var a MailAudit
	err = db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM orders WHERE payment_state IN ('paid', 'awaiting_certification')),
		(SELECT count(*) FROM orders o
			LEFT JOIN (SELECT order_id, count(*) AS n FROM outbox WHERE status = 'sent' GROUP BY order_id) m ON m.order_id = o.id
			WHERE o.payment_state IN ('paid', 'awaiting_certification') AND coalesce(m.n, 0) < 2),
		(SELECT count(*) FROM outbox WHERE status = 'sent'),
		(SELECT count(*) FROM outbox WHERE status IN ('queued', 'sending')),
		(SELECT count(*) FROM outbox WHERE status = 'failed')`).
		Scan(&a.CompletedOrders, &a.WithoutMails, &a.Sent, &a.Waiting, &a.Failed)
	if err != nil {
		return MailAudit{}, fmt.Errorf("read the shop's outbox: %w", err)
	}
	return a, nil
}
