package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver, to read the shop's database
)

// A shop that drops mails under load would look faster than one that sends them all, so
// the driver reads the shop's database at the end of a run: every order whose payment
// went through (paid, or card details awaiting certification) must have had both its
// mails sent, the merchant's and the shopper's confirmation; none may have failed; and,
// over SMTP, the sink must have received as many mails as the shop marked sent. Before
// stopping the shop the driver waits for its outbox to empty, since a mail waiting out
// a retry leaves the shop idle with work to do.

// outboxDrainWait bounds that wait.
const outboxDrainWait = 30 * time.Second

// MailAudit is what the shop's outbox says after the run.
type MailAudit struct {
	CompletedOrders int64 `json:"completed_orders"`     // paid, or awaiting card certification
	WithoutMails    int64 `json:"orders_without_mails"` // completed orders missing a sent confirmation
	Sent            int64 `json:"sent"`
	Waiting         int64 `json:"waiting"` // still queued or being sent when the shop stopped
	Failed          int64 `json:"failed"`  // given up after the retries
}

// ok says whether every completed order's mails went out and, when received is known
// (≥ 0), the sink got each mail the shop marked sent.
func (a MailAudit) ok(received int64) bool {
	return a.WithoutMails == 0 && a.Waiting == 0 && a.Failed == 0 && (received < 0 || received == a.Sent)
}

// The kinds of mail an order sends when its payment goes through (checkout/messages.go);
// the outbox key ends with the kind.
const completedMailKinds = `(key LIKE '%/merchant-completed' OR key LIKE '%/shopper-confirmation')`

func openReadOnly(path string) (*sql.DB, error) {
	return sql.Open("sqlite", "file:"+path+"?"+url.Values{"mode": {"ro"}}.Encode())
}

// auditMails reads the outbox of the shop's database at path.
func auditMails(ctx context.Context, path string) (MailAudit, error) {
	db, err := openReadOnly(path)
	if err != nil {
		return MailAudit{}, err
	}
	defer db.Close()
	var a MailAudit
	err = db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM orders WHERE payment_state IN ('paid', 'awaiting_certification')),
		(SELECT count(*) FROM orders o
			LEFT JOIN (SELECT order_id, count(*) AS n FROM outbox WHERE status = 'sent' AND `+completedMailKinds+`
				GROUP BY order_id) m ON m.order_id = o.id
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

// waitOutboxEmpty polls the running shop's outbox until no mail is queued or being
// sent, or outboxDrainWait has passed.
func waitOutboxEmpty(ctx context.Context, path string) {
	db, err := openReadOnly(path)
	if err != nil {
		return
	}
	defer db.Close()
	deadline := time.Now().Add(outboxDrainWait)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		var n int
		err := db.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE status IN ('queued', 'sending')`).Scan(&n)
		if err != nil || n == 0 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}
