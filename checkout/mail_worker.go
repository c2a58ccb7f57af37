package checkout

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wneessen/go-mail"

	"shop/store"
)

// DigitsOpener opens the sealed card digits of a merchant's mail. The card package's Key
// satisfies it; checkout declares only what it uses.
type DigitsOpener interface {
	Open(sealed []byte, aad string) (string, error)
}

// Outbox sends the mail the shop queued. Several workers, in one process or several,
// may share a database: each row is claimed by one of them with a guarded update and a
// lease, and every later change to it is guarded by the claim's token.
type Outbox struct {
	DB     *store.DB
	Sender Sender
	From   string       // the From address (SHOP_MAIL_FROM)
	Digits DigitsOpener // the card key; nil when card payments are off
	Now    func() time.Time
	Logger *slog.Logger
	// Host is the right-hand side of Message-IDs, the host of the shop's base URL
	// (see MailHost); "shop.local" when empty.
	Host string
	// MaxAttempts is how many tries a mail gets before it is marked failed (default 30,
	// about a day with the backoff); Lease is how long a claim holds (default 5 minutes).
	MaxAttempts int
	Lease       time.Duration

	wakeOnce sync.Once
	wake     chan struct{}
}

const (
	defaultMailAttempts = 30
	defaultMailLease    = 5 * time.Minute
	mailBatch           = 16
	mailFirstRetry      = 30 * time.Second
	mailMaxRetry        = time.Hour
	maxMailErrorLength  = 500
)

// MailHost is the host part of the shop's Message-IDs for a base URL.
func MailHost(baseURL string) string {
	if u, err := url.Parse(baseURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "shop.local"
}

// Run sends due mail every poll, and at once when woken, until ctx is done. Its first
// round resumes whatever an earlier run left: queued rows and claims whose lease ran out.
// When it ends, it closes the connections the sender keeps open (an io.Closer).
func (o *Outbox) Run(ctx context.Context, poll time.Duration) {
	if poll <= 0 {
		poll = 30 * time.Second
	}
	if c, ok := o.Sender.(io.Closer); ok {
		defer c.Close()
	}
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	for {
		_, more, err := o.sendDue(ctx)
		if err != nil && ctx.Err() == nil {
			o.logger().Error("mail: sending due mail", "err", err)
		}
		if more && err == nil {
			continue // a backlog: the next round at once, not at the next tick
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-o.wakeChan():
		}
	}
}

// Wake asks Run for a round now, without waiting for the poll; it never blocks. Call it
// after the transaction that queued a mail has committed.
func (o *Outbox) Wake() {
	select {
	case o.wakeChan() <- struct{}{}:
	default: // a round is already asked for
	}
}

func (o *Outbox) wakeChan() chan struct{} {
	o.wakeOnce.Do(func() { o.wake = make(chan struct{}, 1) })
	return o.wake
}

// SendDue claims the due mails batch by batch and sends each one, outside any
// transaction. A temporary failure puts the mail back in the queue with a growing
// delay; a permanent one, or too many tries, marks it failed. It returns how many mails
// went out; an error means the database failed or ctx ended, not that a mail did. One
// call takes at most mailRound batches; Run goes on at once while more may be due.
func (o *Outbox) SendDue(ctx context.Context) (int, error) {
	sent, _, err := o.sendDue(ctx)
	return sent, err
}

// mailRound bounds the batches of one sendDue, in case rows keep being due; more says
// the bound was reached and mail may still be due.
const mailRound = 100

func (o *Outbox) sendDue(ctx context.Context) (sent int, more bool, err error) {
	if o.Sender == nil {
		return 0, false, errors.New("checkout: the outbox has no sender")
	}
	for range mailRound {
		if err := ctx.Err(); err != nil {
			return sent, false, err
		}
		token, err := randomHex(16)
		if err != nil {
			return sent, false, err
		}
		now := o.now()
		rows, err := claimDueMail(ctx, o.DB, token, now, now.Add(o.lease()), mailBatch)
		if err != nil {
			return sent, false, err
		}
		n, stopped, err := o.sendBatch(ctx, rows, token)
		sent += n
		if err != nil || stopped {
			return sent, false, errors.Join(err, ctx.Err())
		}
		if len(rows) < mailBatch {
			return sent, false, nil
		}
	}
	return sent, true, nil
}

// mailParallel is how many mails of a batch go out at once. Each costs a connection to
// the SMTP server (or a synced file in the mail folder), mostly waiting: one after the
// other, the mails of a burst of orders took minutes to leave. At 4 (batches of 10), the
// mails of 700 orders a second still left 4 s after the orders; at 8 (batches of 16),
// 3 s. Common relays accept dozens of connections from one client.
const mailParallel = 8

// sendBatch sends claimed rows, mailParallel at a time, and records the deliveries
// together once the batch is done: one synced commit instead of one per mail, which
// was most of the worker's own cost. Before each row it checks that the shop is not
// shutting down and the claim still holds; if not, or once a row fails to be recorded,
// it hands the rows not yet started back (stopped is then true) rather than risk
// sending one that another worker may claim.
func (o *Outbox) sendBatch(ctx context.Context, rows []outboxRow, token string) (sent int, stopped bool, err error) {
	var (
		mu        sync.Mutex
		wg        sync.WaitGroup
		errs      []error
		delivered []outboxRow
	)
	slots := make(chan struct{}, mailParallel)
	for i, r := range rows {
		slots <- struct{}{}
		mu.Lock()
		failed := len(errs) > 0
		mu.Unlock()
		if failed || ctx.Err() != nil || !o.now().Before(r.ClaimedUntil) {
			<-slots
			o.release(ctx, rows[i:], token)
			stopped = true
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			ok, err := o.sendOne(ctx, r, token)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs = append(errs, err)
			case ok:
				delivered = append(delivered, r)
			}
		})
	}
	wg.Wait()
	if len(delivered) > 0 {
		if err := o.markSent(ctx, delivered, token); err != nil {
			errs = append(errs, err)
		}
	}
	return len(delivered), stopped || len(errs) > 0, errors.Join(errs...)
}

// markSent records the deliveries of a batch in one write.
func (o *Outbox) markSent(ctx context.Context, rows []outboxRow, token string) error {
	// Recorded even when ctx ends: a mail delivered but not marked would go out again.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	held, err := markMailSent(ctx, o.DB, rows, token, o.now())
	if err != nil {
		return err
	}
	log := o.logger()
	for i, r := range rows {
		attrs := []any{"mail", r.ID, "key", r.Key}
		if r.OrderRef != "" {
			attrs = append(attrs, "order", r.OrderRef)
		}
		if !held[i] {
			log.Warn("mail: sent after its claim was taken over; it may go out twice (same Message-ID)", attrs...)
		}
		log.Info("mail: sent", attrs...)
	}
	return nil
}

// A merchant's mail queued by an older version holds storedPlaceholder where it showed the
// stored part of the number; the mail now says where to find it instead (the two halves
// in one mail were the whole number).
const (
	storedPlaceholder = "{{CARD_STORED}}"
	storedHint        = "kept with the order (admin area, Show stored digits)"
)

// sendOne sends one claimed row and records a failure; ok reports a delivery, which
// the caller records.
func (o *Outbox) sendOne(ctx context.Context, r outboxRow, token string) (ok bool, err error) {
	// The outcome must be recorded even when ctx ends during the send: a mail delivered
	// but not marked would go out again.
	markCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	log := o.logger().With("mail", r.ID, "key", r.Key)
	if r.NoBody {
		return false, o.markFailed(markCtx, log, r, token, "the mail's text is missing from the database")
	}

	digits := ""
	text, html := r.Text, r.HTML
	if len(r.Secret) > 0 {
		digits, err = o.openDigits(r)
		if err != nil {
			// Retrying cannot help until someone fixes the key: fail, so the merchant
			// sees it and can resend once it is fixed.
			return false, o.markFailed(markCtx, log, r, token, scrubMailError(err, ""))
		}
		fill := strings.NewReplacer(CardDigitsPlaceholder, digits, storedPlaceholder, storedHint)
		text, html = fill.Replace(text), fill.Replace(html)
	}
	msg, err := o.message(r, text, html)
	if err != nil {
		return false, o.markFailed(markCtx, log, r, token, scrubMailError(err, digits))
	}
	sendErr := o.Sender.Send(ctx, msg)
	if sendErr == nil {
		return true, nil
	}
	reason := scrubMailError(sendErr, digits)
	switch {
	case ctx.Err() != nil:
		o.release(markCtx, []outboxRow{r}, token)
		return false, nil
	case !temporaryMailError(sendErr):
		return false, o.markFailed(markCtx, log, r, token, reason)
	case r.Attempts+1 >= o.maxAttempts():
		return false, o.markFailed(markCtx, log, r, token, "gave up after "+strconv.Itoa(r.Attempts+1)+" attempts: "+reason)
	}
	next := o.now().Add(mailBackoff(r.Attempts))
	if _, err := markMailRetry(markCtx, o.DB, r.ID, token, next, reason); err != nil {
		return false, err
	}
	log.Warn("mail: not sent, will retry", "attempt", r.Attempts+1, "next", next, "err", reason)
	return false, nil
}

func (o *Outbox) markFailed(ctx context.Context, log *slog.Logger, r outboxRow, token, reason string) error {
	if len(reason) > maxMailErrorLength {
		reason = reason[:maxMailErrorLength]
	}
	if _, err := markMailFailed(ctx, o.DB, r.ID, token, reason); err != nil {
		return err
	}
	log.Error("mail: failed; it waits for a resend from the admin area", "attempt", r.Attempts+1, "err", reason)
	return nil
}

func (o *Outbox) release(ctx context.Context, rows []outboxRow, token string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	for _, r := range rows {
		if _, err := releaseMail(ctx, o.DB, r.ID, token); err != nil {
			// The lease runs out and the next round takes the row anyway.
			o.logger().Warn("mail: release claim", "mail", r.ID, "err", err)
		}
	}
}

// openDigits opens a row's sealed digits. Its errors never carry the digits.
func (o *Outbox) openDigits(r outboxRow) (string, error) {
	if o.Digits == nil {
		return "", errors.New("the mail holds sealed card digits but no card key is configured")
	}
	digits, err := o.Digits.Open(r.Secret, r.OrderRef)
	if err != nil {
		return "", fmt.Errorf("cannot open the sealed card digits: %w", err)
	}
	if len(digits) != 6 || strings.Trim(digits, "0123456789") != "" {
		return "", errors.New("the opened card digits are not six digits")
	}
	return digits, nil
}

// message builds the one kind of message the shop sends: a plain-text part with an HTML
// alternative, dated when it was queued, with a Message-ID that stays the same however
// many times the row is tried, so a recipient's server can drop a duplicate.
func (o *Outbox) message(r outboxRow, text, html string) (*mail.Msg, error) {
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.From(o.From); err != nil {
		return nil, fmt.Errorf("sender address: %w", err)
	}
	if err := msg.To(r.To); err != nil {
		return nil, fmt.Errorf("recipient address: %w", err)
	}
	if r.ReplyTo != "" {
		// Optional: an address go-mail refuses leaves the header out rather than the mail
		// unsent (the merchant's may carry the card digits).
		_ = msg.ReplyTo(r.ReplyTo)
	}
	msg.Subject(r.Subject)
	msg.SetDateWithValue(r.CreatedAt)
	msg.SetMessageIDWithValue(mailMessageID(r.ID, r.Key, o.Host))
	msg.SetBodyString(mail.TypeTextPlain, text)
	msg.AddAlternativeString(mail.TypeTextHTML, html)
	return msg, nil
}

// mailMessageID is "outbox-<id>-<hash of key>@<host>", without the angle brackets.
func mailMessageID(id int64, key, host string) string {
	if host == "" {
		host = "shop.local"
	}
	sum := sha256.Sum256([]byte(key))
	return "outbox-" + strconv.FormatInt(id, 10) + "-" + hex.EncodeToString(sum[:6]) + "@" + host
}

// temporaryMailError says whether trying again later may work. A server's 4xx answer
// is temporary and its 5xx answer permanent; a connection that failed (dial, TLS,
// dropped mid-way) is temporary; an address go-mail cannot use is permanent.
func temporaryMailError(err error) bool {
	var se *mail.SendError
	if !errors.As(err, &se) {
		return true
	}
	switch {
	case se.IsTemp():
		return true
	case se.ErrorCode() != 0:
		return false
	case se.Reason == mail.ErrGetSender, se.Reason == mail.ErrGetRcpts, se.Reason == mail.ErrNoUnencoded:
		return false
	}
	return true
}

// mailBackoff is the wait after the attempts-th failure: 30s, 1m, 2m, … capped at 1h.
func mailBackoff(attempts int) time.Duration {
	d := mailFirstRetry
	for i := 0; i < attempts && d < mailMaxRetry; i++ {
		d *= 2
	}
	return min(d, mailMaxRetry)
}

// scrubMailError turns a send error into a line fit for the database and the logs: the
// card digits (if the mail had any) and anything like a card number are taken out, and
// it is kept short. Sender errors carry addresses and server replies, never bodies.
func scrubMailError(err error, digits string) string {
	s := strings.ToValidUTF8(err.Error(), "?")
	if digits != "" {
		s = strings.ReplaceAll(s, digits, "[digits]")
	}
	s = scrubDigitRuns(s)
	if len(s) > maxMailErrorLength {
		s = s[:maxMailErrorLength]
	}
	return s
}

// scrubDigitRuns replaces every run of 13 or more digits (spaces and dashes allowed
// between them), the shape of a card number.
func scrubDigitRuns(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] < '0' || s[i] > '9' {
			b.WriteByte(s[i])
			i++
			continue
		}
		j, n := i, 0
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || (s[j] == ' ' || s[j] == '-') && j+1 < len(s) && s[j+1] >= '0' && s[j+1] <= '9') {
			if s[j] >= '0' && s[j] <= '9' {
				n++
			}
			j++
		}
		if n >= 13 {
			b.WriteString("[number]")
		} else {
			b.WriteString(s[i:j])
		}
		i = j
	}
	return b.String()
}

func (o *Outbox) now() time.Time {
	if o.Now != nil {
		return o.Now().UTC()
	}
	return time.Now().UTC()
}

func (o *Outbox) lease() time.Duration {
	if o.Lease > 0 {
		return o.Lease
	}
	return defaultMailLease
}

func (o *Outbox) maxAttempts() int {
	if o.MaxAttempts > 0 {
		return o.MaxAttempts
	}
	return defaultMailAttempts
}

func (o *Outbox) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.New(slog.DiscardHandler)
}
