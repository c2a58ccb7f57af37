package checkout

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"shop/store"
)

// Mail is one message waiting in the outbox.
type Mail struct {
	Key      string // uniqueness key, e.g. "order/8068/AB12CD34EF/merchant-completed": a duplicate event makes no second mail
	OrderID  int64  // 0 when not about an order
	OrderRef string // that order's reference
	To       string
	ReplyTo  string // optional: whom a reply reaches (the customer for the merchant, the merchant for the customer)
	Subject  string
	Text     string // plain-text part
	HTML     string // HTML part
	// Secret is optional: the six card digits sealed with the card key (AES-GCM, aad =
	// the order's reference). The worker opens it and puts the digits in place of
	// CardDigitsPlaceholder at send time only, in memory.
	Secret []byte
}

// Outbox statuses. A row moves queued → sending → sent, or back to queued to retry,
// or to failed, from which only a merchant's Resend brings it back.
const (
	mailQueued  = "queued"
	mailSending = "sending"
	mailSent    = "sent"
	mailFailed  = "failed"
)

// enqueueMail writes the mails to the outbox inside the caller's write transaction (the
// same one as the state change that causes them), all in one statement and their bodies
// in another: a payment queues two. A mail whose key is already there is a duplicate
// event: it is not written again, and that is no error.
func enqueueMail(ctx context.Context, tx *store.Tx, mails ...Mail) error {
	if len(mails) == 0 {
		return nil
	}
	// next_attempt_at is the zero time, "due at once" whatever clock the worker has.
	due, now := time.Time{}.UTC(), time.Now().UTC()
	var q strings.Builder
	q.WriteString(`INSERT INTO outbox (key, order_id, order_ref, recipient, reply_to, subject,
		secret, status, attempts, next_attempt_at, created_at) VALUES `)
	args := make([]any, 0, 9*len(mails))
	for i, m := range mails {
		orderID, secret, err := checkMail(m)
		if err != nil {
			return err
		}
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)")
		args = append(args, m.Key, orderID, m.OrderRef, m.To, m.ReplyTo, m.Subject, secret, due, now)
	}
	// The keys are the query's only output: RETURNING names the rows written, leaving out
	// the duplicates, whose bodies are there already.
	q.WriteString(` ON CONFLICT (key) DO NOTHING RETURNING id, key`)
	rows, err := tx.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return fmt.Errorf("checkout: enqueue mail %q: %w", mails[0].Key, err)
	}
	written := make(map[string]int64, len(mails))
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			rows.Close()
			return fmt.Errorf("checkout: enqueue mail %q: %w", mails[0].Key, err)
		}
		written[key] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("checkout: enqueue mail %q: %w", mails[0].Key, err)
	}
	if len(written) == 0 {
		return nil
	}
	q.Reset()
	q.WriteString(`INSERT INTO outbox_bodies (outbox_id, text_body, html_body) VALUES `)
	args = args[:0]
	for _, m := range mails {
		id, ok := written[m.Key]
		if !ok {
			continue
		}
		delete(written, m.Key) // the same key twice in one call is written once
		if len(args) > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?)")
		args = append(args, id, m.Text, m.HTML)
	}
	if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("checkout: enqueue mail %q: %w", mails[0].Key, err)
	}
	return nil
}

// checkMail refuses a mail a caller got wrong, and returns its order id and sealed
// digits as the outbox stores them (NULL when there are none).
func checkMail(m Mail) (orderID, secret any, err error) {
	if m.Key == "" || m.To == "" || m.Subject == "" {
		return nil, nil, fmt.Errorf("checkout: mail %q: key, recipient and subject are required", m.Key)
	}
	// A placeholder without digits would reach the merchant as is, and digits without a
	// placeholder would be silently dropped: both are a caller's mistake.
	hasPlaceholder := strings.Contains(m.Text, CardDigitsPlaceholder) || strings.Contains(m.HTML, CardDigitsPlaceholder)
	if hasPlaceholder != (len(m.Secret) > 0) {
		return nil, nil, fmt.Errorf("checkout: mail %q: the card digits placeholder and the sealed digits go together", m.Key)
	}
	if m.OrderID != 0 {
		if m.OrderRef == "" {
			return nil, nil, fmt.Errorf("checkout: mail %q: order %d without its reference", m.Key, m.OrderID)
		}
		orderID = m.OrderID
	}
	if len(m.Secret) > 0 {
		if m.OrderRef == "" {
			return nil, nil, fmt.Errorf("checkout: mail %q: sealed card digits need the order they are bound to", m.Key)
		}
		secret = m.Secret
	}
	return orderID, secret, nil
}

// outboxRow is a claimed row, all the worker needs to send it.
type outboxRow struct {
	ID           int64
	Key          string
	OrderRef     string
	To           string
	ReplyTo      string
	Subject      string
	Text         string
	HTML         string
	NoBody       bool // its outbox_bodies row is missing
	Secret       []byte
	Attempts     int
	CreatedAt    time.Time
	ClaimedUntil time.Time
}

// claimDueMail marks up to limit due rows as being sent under token until until, and
// returns them. The guarded UPDATE runs in one write transaction, so of two workers (two
// processes, or a job run twice) each row goes to exactly one. Due means queued and
// not waiting for a retry, or left in 'sending' by a worker whose lease ran out.
func claimDueMail(ctx context.Context, db *store.DB, token string, now, until time.Time, limit int) ([]outboxRow, error) {
	var claimed []outboxRow
	// A claim lost to a power cut is claimed again later: no disk sync needed.
	err := db.LightTx(ctx, func(tx *store.Tx) error {
		// Two scans of outbox_status in id order: the leases run out (as many rows as
		// were being sent) and the first due rows of the queue, read no further than the
		// limit. One scan with OR sorted every due row for each claim.
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'sending', claim_token = ?1, claimed_until = ?2
			WHERE id IN (SELECT id FROM (
				SELECT id FROM outbox WHERE status = 'sending' AND claimed_until < ?3
				UNION ALL
				SELECT id FROM (SELECT id FROM outbox WHERE status = 'queued' AND next_attempt_at <= ?3 ORDER BY id LIMIT ?4)
			) ORDER BY id LIMIT ?4)`,
			token, until, now, limit)
		if err != nil {
			return fmt.Errorf("checkout: claim mail: %w", err)
		}
		// A row without bodies (written by hand, say) is claimed too, and failed by the
		// worker: left out here, it would be claimed again after every lease, unseen.
		rows, err := tx.QueryContext(ctx, `SELECT id, key, order_ref, recipient, reply_to, subject,
			coalesce(b.text_body, ''), coalesce(b.html_body, ''), b.outbox_id IS NULL,
			secret, attempts, created_at, claimed_until
			FROM outbox LEFT JOIN outbox_bodies AS b ON b.outbox_id = outbox.id
			WHERE claim_token = ? AND status = 'sending' ORDER BY id`, token)
		if err != nil {
			return fmt.Errorf("checkout: read claimed mail: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var r outboxRow
			if err := rows.Scan(&r.ID, &r.Key, &r.OrderRef, &r.To, &r.ReplyTo, &r.Subject, &r.Text, &r.HTML, &r.NoBody,
				&r.Secret, &r.Attempts, &r.CreatedAt, &r.ClaimedUntil); err != nil {
				return fmt.Errorf("checkout: read claimed mail: %w", err)
			}
			claimed = append(claimed, r)
		}
		return rows.Err()
	})
	return claimed, err
}

// markMailSent records deliveries and erases their sealed card digits: once the
// merchant has the mail, the database keeps nothing of them. held[i] reports whether
// rows[i]'s claim still held.
func markMailSent(ctx context.Context, db *store.DB, rows []outboxRow, token string, at time.Time) (held []bool, err error) {
	err = db.Tx(ctx, func(tx *store.Tx) error {
		held = make([]bool, len(rows))
		for i, r := range rows {
			res, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'sent', sent_at = ?, secret = NULL,
				attempts = attempts + 1, last_error = '', claim_token = '', claimed_until = NULL
				WHERE id = ? AND claim_token = ?`, at, r.ID, token)
			if err != nil {
				return err
			}
			held[i] = rowsChanged(res)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("checkout: update mail: %w", err)
	}
	return held, nil
}

// markMailRetry puts a row back in the queue after a temporary failure, due at next.
func markMailRetry(ctx context.Context, db *store.DB, id int64, token string, next time.Time, lastError string) (bool, error) {
	return execClaimed(ctx, db, `UPDATE outbox SET status = 'queued', attempts = attempts + 1,
		next_attempt_at = ?, last_error = ?, claim_token = '', claimed_until = NULL
		WHERE id = ? AND claim_token = ?`, next, lastError, id, token)
}

// markMailFailed gives up on a row until a merchant resends it.
func markMailFailed(ctx context.Context, db *store.DB, id int64, token, lastError string) (bool, error) {
	return execClaimed(ctx, db, `UPDATE outbox SET status = 'failed', attempts = attempts + 1,
		last_error = ?, claim_token = '', claimed_until = NULL
		WHERE id = ? AND claim_token = ?`, lastError, id, token)
}

// releaseMail hands a row back untried (the worker is shutting down).
func releaseMail(ctx context.Context, db *store.DB, id int64, token string) (bool, error) {
	return execClaimed(ctx, db, `UPDATE outbox SET status = 'queued', claim_token = '', claimed_until = NULL
		WHERE id = ? AND claim_token = ?`, id, token)
}

// execClaimed runs one guarded update on a claimed row and reports whether the claim
// still held (false: the lease ran out and another worker took the row).
func execClaimed(ctx context.Context, db *store.DB, query string, args ...any) (bool, error) {
	var n int64
	err := db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("checkout: update mail: %w", err)
	}
	return n == 1, nil
}

// SentBodiesKept is how long the text of a sent mail stays in the database. Nothing
// reads it once the mail has left (only a failed mail is sent again), and it is most of
// what orders add to the database: about 5 kB a mail, two or three mails an order.
const SentBodiesKept = 30 * 24 * time.Hour

// ForgetSentBodies deletes the text of mails sent before before, a few hundred per
// write so that the shop's one writer is never held long, and returns how many.
func (o *Outbox) ForgetSentBodies(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		var n int64
		// Lost to a power cut, the deletion is only done again next time: no disk sync.
		err := o.DB.LightTx(ctx, func(tx *store.Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM outbox_bodies WHERE outbox_id IN (
				SELECT b.outbox_id FROM outbox_bodies AS b JOIN outbox ON outbox.id = b.outbox_id
				WHERE outbox.status = 'sent' AND outbox.sent_at < ? LIMIT 500)`, before.UTC())
			if err == nil {
				n, err = res.RowsAffected()
			}
			return err
		})
		total += int(n)
		if err != nil || n < 500 {
			return total, err
		}
	}
}

// OutboxEntry is a mail as the admin page lists it: never its body.
type OutboxEntry struct {
	ID        int64
	Key       string
	To        string
	Subject   string
	Status    string
	LastError string
	Attempts  int
	CreatedAt time.Time
	SentAt    sql.NullTime
	OrderID   int64
	OrderRef  string // "" for a mail about no order
}

// List returns the mails with the given status ("" for all), newest first, and how many
// there are in all.
func (o *Outbox) List(ctx context.Context, status string, limit, offset int) ([]OutboxEntry, int, error) {
	switch status {
	case "", mailQueued, mailSending, mailSent, mailFailed:
	default:
		return nil, 0, store.Errorf(store.Invalid, "There is no mail status %q.", status)
	}
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	offset = max(offset, 0)
	var total int
	if err := o.DB.R.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE ?1 = '' OR status = ?1`,
		status).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("checkout: count mail: %w", err)
	}
	rows, err := o.DB.R.QueryContext(ctx, `SELECT id, key, recipient, subject, status, last_error, attempts,
		created_at, sent_at, COALESCE(order_id, 0), order_ref
		FROM outbox WHERE ?1 = '' OR status = ?1 ORDER BY id DESC LIMIT ?2 OFFSET ?3`, status, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("checkout: list mail: %w", err)
	}
	defer rows.Close()
	var out []OutboxEntry
	for rows.Next() {
		var e OutboxEntry
		if err := rows.Scan(&e.ID, &e.Key, &e.To, &e.Subject, &e.Status, &e.LastError, &e.Attempts,
			&e.CreatedAt, &e.SentAt, &e.OrderID, &e.OrderRef); err != nil {
			return nil, 0, fmt.Errorf("checkout: list mail: %w", err)
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// Resend puts a failed mail back in the queue with a fresh count of attempts, for a
// merchant who fixed what made it fail (an address, the SMTP settings, the card key).
func (o *Outbox) Resend(ctx context.Context, id int64) error {
	err := o.DB.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'queued', attempts = 0, next_attempt_at = ?,
			last_error = '', claim_token = '', claimed_until = NULL
			WHERE id = ? AND status = 'failed'`, o.now(), id)
		if err != nil {
			return fmt.Errorf("checkout: resend mail: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var status string
		err = tx.QueryRowContext(ctx, `SELECT status FROM outbox WHERE id = ?`, id).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return store.Errorf(store.NotFound, "This mail does not exist.")
		}
		if err != nil {
			return err
		}
		return store.Errorf(store.Conflict, "Only a mail that failed can be sent again; this one is %s.", status)
	})
	if err == nil {
		o.Wake()
	}
	return err
}
