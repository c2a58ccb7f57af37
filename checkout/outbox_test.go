package checkout

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"shop/store"
)

func TestOutbox_DuplicateKeyMakesOneMail(t *testing.T) {
	be := &testSMTPBackend{}
	db, _, box := newSMTPTestOutbox(t, be)

	// The same event delivered twice (a duplicate bank notification, a double click)
	// runs its transaction twice.
	mustEnqueue(t, db, plainTestMail("order/AB12CD34EF/shopper-confirmation"))
	mustEnqueue(t, db, plainTestMail("order/AB12CD34EF/shopper-confirmation"))

	var n int
	if err := db.R.QueryRow(`SELECT count(*) FROM outbox`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("outbox rows = %d, want 1", n)
	}
	sent, err := box.SendDue(context.Background())
	if err != nil || sent != 1 {
		t.Fatalf("SendDue = %d, %v; want 1, nil", sent, err)
	}
	if sent, _ := box.SendDue(context.Background()); sent != 0 {
		t.Fatalf("second SendDue sent %d, want 0", sent)
	}
	if got := len(be.Received()); got != 1 {
		t.Fatalf("server received %d mails, want 1", got)
	}
}

// Mails queued together are each written with their own body; one already queued
// (here, the first) keeps what it had, and the same key twice in a call is one mail.
func TestEnqueueMail_SeveralAtOnce(t *testing.T) {
	db, _ := openMailTestDB(t)
	first := plainTestMail("order/AB12CD34EF/merchant-completed")
	mustEnqueue(t, db, first)
	again := first
	again.Text = "a different text\n"
	second, third := plainTestMail("order/AB12CD34EF/shopper-confirmation"), plainTestMail("order/AB12CD34EF/shopper-shipped")
	err := db.Tx(context.Background(), func(tx *store.Tx) error {
		return enqueueMail(context.Background(), tx, again, second, third, third)
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.R.Query(`SELECT o.key, b.text_body, b.html_body FROM outbox o JOIN outbox_bodies b ON b.outbox_id = o.id ORDER BY o.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var key, text, html string
		if err := rows.Scan(&key, &text, &html); err != nil {
			t.Fatal(err)
		}
		got = append(got, key+" | "+text+" | "+html)
	}
	want := []string{}
	for _, m := range []Mail{first, second, third} {
		want = append(want, m.Key+" | "+m.Text+" | "+m.HTML)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("outbox holds\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestOutbox_SendsQueuedMailWithStableMessageID(t *testing.T) {
	ctx := context.Background()
	be := &testSMTPBackend{}
	db, _, box := newSMTPTestOutbox(t, be)

	m := plainTestMail("order/AB12CD34EF/shopper-shipped")
	m.Subject = "Your order AB12CD34EF has shipped — voilà"
	mustEnqueue(t, db, m)
	if sent, err := box.SendDue(ctx); err != nil || sent != 1 {
		t.Fatalf("SendDue = %d, %v; want 1, nil", sent, err)
	}
	got := be.Received()
	if len(got) != 1 {
		t.Fatalf("received %d mails, want 1", len(got))
	}
	if got[0].From != "shop@example.com" || len(got[0].To) != 1 || got[0].To[0] != "shopper@example.com" {
		t.Errorf("envelope from %q to %v", got[0].From, got[0].To)
	}
	p := parseTestMail(t, got[0].Data)
	if from, err := p.Header.AddressList("From"); err != nil || from[0].Address != "shop@example.com" || from[0].Name != "Le Test" {
		t.Errorf("From = %v, %v", from, err)
	}
	if to, err := p.Header.AddressList("To"); err != nil || to[0].Address != "shopper@example.com" {
		t.Errorf("To = %v, %v", to, err)
	}
	if subject := decodeTestHeader(t, p.Header.Get("Subject")); subject != m.Subject {
		t.Errorf("Subject = %q, want %q", subject, m.Subject)
	}
	if _, err := p.Header.Date(); err != nil {
		t.Errorf("Date header: %v", err)
	}
	if p.Text != m.Text {
		t.Errorf("text part = %q, want %q", p.Text, m.Text)
	}
	if !strings.Contains(p.HTML, "<p>Hello in HTML for") {
		t.Errorf("html part = %q", p.HTML)
	}
	row := readOutboxRow(t, db, m.Key)
	if row.Status != mailSent || !row.SentAt.Valid || row.ClaimToken != "" {
		t.Errorf("row after send = %+v", row)
	}
	firstID := p.Header.Get("Message-ID")
	if !strings.HasPrefix(firstID, fmt.Sprintf("<outbox-%d-", row.ID)) || !strings.HasSuffix(firstID, "@shop.test>") {
		t.Errorf("Message-ID = %q, want <outbox-%d-…@shop.test>", firstID, row.ID)
	}

	// The same row sent again (a merchant's resend) keeps its Message-ID, so the
	// recipient's server can tell it is the same mail.
	if _, err := db.W.Exec(`UPDATE outbox SET status = 'failed' WHERE id = ?`, row.ID); err != nil {
		t.Fatal(err)
	}
	if err := box.Resend(ctx, row.ID); err != nil {
		t.Fatalf("Resend: %v", err)
	}
	if sent, err := box.SendDue(ctx); err != nil || sent != 1 {
		t.Fatalf("SendDue after resend = %d, %v", sent, err)
	}
	got = be.Received()
	if len(got) != 2 {
		t.Fatalf("received %d mails, want 2", len(got))
	}
	if again := parseTestMail(t, got[1].Data).Header.Get("Message-ID"); again != firstID {
		t.Errorf("Message-ID on resend = %q, want %q", again, firstID)
	}
}

func TestOutbox_RetriesAfterServerOutage(t *testing.T) {
	ctx := context.Background()
	db, _ := openMailTestDB(t)
	addr := freeTestAddr(t) // nothing listens there yet
	clock := newMailTestClock()
	logs := &lockedBuffer{}
	box := newTestOutbox(db, plainSMTPSender(t, addr), clock, logs)
	m := plainTestMail("order/AB12CD34EF/shopper-confirmation")
	mustEnqueue(t, db, m)

	sent, err := box.SendDue(ctx)
	if err != nil || sent != 0 {
		t.Fatalf("SendDue with the server down = %d, %v; want 0, nil", sent, err)
	}
	row := readOutboxRow(t, db, m.Key)
	if row.Status != mailQueued || row.Attempts != 1 || !row.Next.After(clock.Now()) || row.LastError == "" {
		t.Fatalf("row after a failed try = %+v (now %v)", row, clock.Now())
	}
	if strings.Contains(logs.String(), "Hello in plain text") || strings.Contains(row.LastError, "Hello") {
		t.Error("a mail body reached the logs or last_error")
	}

	be := &testSMTPBackend{}
	startTestSMTP(t, be, addr, nil)
	if sent, _ := box.SendDue(ctx); sent != 0 {
		t.Fatalf("SendDue before the retry is due sent %d, want 0", sent)
	}
	clock.Advance(mailBackoff(0) + time.Second)
	if sent, err := box.SendDue(ctx); err != nil || sent != 1 {
		t.Fatalf("SendDue once due = %d, %v; want 1, nil", sent, err)
	}
	if sent, _ := box.SendDue(ctx); sent != 0 {
		t.Fatalf("a further SendDue sent %d, want 0", sent)
	}
	if got := len(be.Received()); got != 1 {
		t.Fatalf("received %d mails, want exactly 1", got)
	}
	if row := readOutboxRow(t, db, m.Key); row.Status != mailSent || row.Attempts != 2 {
		t.Errorf("row after delivery = %+v", row)
	}
}

func TestOutbox_GivesUpAfterMaxAttempts(t *testing.T) {
	ctx := context.Background()
	db, _ := openMailTestDB(t)
	clock := newMailTestClock()
	box := newTestOutbox(db, plainSMTPSender(t, freeTestAddr(t)), clock, &lockedBuffer{})
	box.MaxAttempts = 2
	m := plainTestMail("order/AB12CD34EF/shopper-expired")
	mustEnqueue(t, db, m)

	box.SendDue(ctx)
	if row := readOutboxRow(t, db, m.Key); row.Status != mailQueued {
		t.Fatalf("after one try: %+v", row)
	}
	clock.Advance(time.Hour)
	box.SendDue(ctx)
	row := readOutboxRow(t, db, m.Key)
	if row.Status != mailFailed || row.Attempts != 2 || !strings.Contains(row.LastError, "gave up after 2 attempts") {
		t.Fatalf("after the last try: %+v", row)
	}
}

func TestOutbox_ServerRefusal(t *testing.T) {
	tests := []struct {
		name       string
		reply      *smtp.SMTPError
		wantStatus string
	}{
		{"permanent 550", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}, mailFailed},
		{"temporary 451", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}, mailQueued},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			be := &testSMTPBackend{rejectRcpt: tt.reply}
			db, _, box := newSMTPTestOutbox(t, be)
			m := plainTestMail("order/AB12CD34EF/shopper-certified")
			mustEnqueue(t, db, m)

			if sent, err := box.SendDue(ctx); err != nil || sent != 0 {
				t.Fatalf("SendDue = %d, %v; want 0, nil", sent, err)
			}
			row := readOutboxRow(t, db, m.Key)
			if row.Status != tt.wantStatus || row.Attempts != 1 || !strings.Contains(row.LastError, fmt.Sprint(tt.reply.Code)) {
				t.Fatalf("row = %+v, want status %s with the server's answer", row, tt.wantStatus)
			}
			if len(be.Received()) != 0 {
				t.Fatal("a refused mail was received")
			}
		})
	}
}

func TestOutbox_ResendFailedMail(t *testing.T) {
	ctx := context.Background()
	be := &testSMTPBackend{rejectRcpt: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}}
	db, _, box := newSMTPTestOutbox(t, be)
	m := plainTestMail("order/AB12CD34EF/shopper-rejected")
	mustEnqueue(t, db, m)
	box.SendDue(ctx)
	row := readOutboxRow(t, db, m.Key)
	if row.Status != mailFailed {
		t.Fatalf("row = %+v, want failed", row)
	}

	failed, total, err := box.List(ctx, mailFailed, 10, 0)
	if err != nil || total != 1 || len(failed) != 1 || failed[0].ID != row.ID || failed[0].LastError == "" ||
		failed[0].To != m.To || failed[0].Subject != m.Subject || failed[0].Attempts != 1 {
		t.Fatalf("List(failed) = %+v, %d, %v", failed, total, err)
	}

	be.SetRejectRcpt(nil) // the merchant fixed the address
	if err := box.Resend(ctx, row.ID); err != nil {
		t.Fatalf("Resend: %v", err)
	}
	if row := readOutboxRow(t, db, m.Key); row.Status != mailQueued || row.Attempts != 0 || row.LastError != "" {
		t.Fatalf("row after Resend = %+v", row)
	}
	if err := box.Resend(ctx, row.ID); store.ErrorCode(err) != store.Conflict {
		t.Errorf("Resend of a queued mail = %v, want a conflict", err)
	}
	if err := box.Resend(ctx, 999); store.ErrorCode(err) != store.NotFound {
		t.Errorf("Resend of a missing mail = %v, want not found", err)
	}
	if sent, err := box.SendDue(ctx); err != nil || sent != 1 {
		t.Fatalf("SendDue after Resend = %d, %v", sent, err)
	}
	if len(be.Received()) != 1 {
		t.Fatalf("received %d, want 1", len(be.Received()))
	}
	if _, total, _ := box.List(ctx, mailSent, 10, 0); total != 1 {
		t.Errorf("List(sent) total = %d, want 1", total)
	}
	if _, _, err := box.List(ctx, "bogus", 10, 0); store.ErrorCode(err) != store.Invalid {
		t.Errorf("List(bogus) = %v, want invalid", err)
	}
}

func TestOutbox_TwoWorkersSendEachMailOnce(t *testing.T) {
	ctx := context.Background()
	db, path := openMailTestDB(t)
	other := openMailTestDBAt(t, path) // a second process on the same file
	be := &testSMTPBackend{}
	addr, _ := startTestSMTP(t, be, "127.0.0.1:0", nil)
	clock := newMailTestClock()
	const mails = 20
	for i := range mails {
		mustEnqueue(t, db, plainTestMail(fmt.Sprintf("order/REF%02d/shopper-confirmation", i)))
	}
	workers := []*Outbox{
		newTestOutbox(db, plainSMTPSender(t, addr), clock, &lockedBuffer{}),
		newTestOutbox(other, plainSMTPSender(t, addr), clock, &lockedBuffer{}),
	}
	var wg sync.WaitGroup
	sentBy := make([]int, len(workers))
	errs := make([]error, len(workers))
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 { // each worker also runs twice over the same rows
				n, err := w.SendDue(ctx)
				sentBy[i] += n
				if err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("SendDue: %v", err)
	}
	if sentBy[0]+sentBy[1] != mails {
		t.Errorf("workers sent %d + %d, want %d in all", sentBy[0], sentBy[1], mails)
	}
	seen := map[string]int{}
	for _, r := range be.Received() {
		seen[parseTestMail(t, r.Data).Header.Get("Subject")]++
	}
	if len(seen) != mails {
		t.Errorf("received %d distinct mails, want %d", len(seen), mails)
	}
	for subject, n := range seen {
		if n != 1 {
			t.Errorf("%q received %d times", subject, n)
		}
	}
}

func TestOutbox_ResumesMailOfACrashedWorker(t *testing.T) {
	ctx := context.Background()
	be := &testSMTPBackend{}
	db, clock, box := newSMTPTestOutbox(t, be)
	mustEnqueue(t, db, plainTestMail("order/DEAD/shopper-confirmation"))
	mustEnqueue(t, db, plainTestMail("order/BUSY/shopper-confirmation"))
	// One claim's lease ran out (its worker died); the other worker is still at it.
	if _, err := db.W.Exec(`UPDATE outbox SET status = 'sending', claim_token = 'dead', claimed_until = ? WHERE key = 'order/DEAD/shopper-confirmation'`,
		clock.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.W.Exec(`UPDATE outbox SET status = 'sending', claim_token = 'busy', claimed_until = ? WHERE key = 'order/BUSY/shopper-confirmation'`,
		clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if sent, err := box.SendDue(ctx); err != nil || sent != 1 {
		t.Fatalf("SendDue = %d, %v; want the expired claim only", sent, err)
	}
	if row := readOutboxRow(t, db, "order/DEAD/shopper-confirmation"); row.Status != mailSent {
		t.Errorf("expired claim: %+v", row)
	}
	if row := readOutboxRow(t, db, "order/BUSY/shopper-confirmation"); row.Status != mailSending || row.ClaimToken != "busy" {
		t.Errorf("live claim was touched: %+v", row)
	}
}

func TestOutbox_RunSendsAtStartAndOnWake(t *testing.T) {
	be := &testSMTPBackend{}
	db, _, box := newSMTPTestOutbox(t, be)
	mustEnqueue(t, db, plainTestMail("order/LEFTOVER/shopper-confirmation")) // from before a restart

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		box.Run(ctx, time.Hour) // the poll never fires during the test
		close(done)
	}()
	waitForMails(t, be, 1)
	mustEnqueue(t, db, plainTestMail("order/FRESH/shopper-confirmation"))
	box.Wake()
	box.Wake() // never blocks, even twice
	waitForMails(t, be, 2)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop when its context ended")
	}
}

func waitForMails(t *testing.T, be *testSMTPBackend, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(be.Received()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("received %d mails, want %d", len(be.Received()), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestOutbox_CardDigitsOnlyInTheSentMail(t *testing.T) {
	ctx := context.Background()
	db, path := openMailTestDB(t)
	be := &testSMTPBackend{}
	addr, _ := startTestSMTP(t, be, "127.0.0.1:0", nil)
	clock := newMailTestClock()
	logs := &lockedBuffer{}
	key := newTestDigitsKey(t)
	box := newTestOutbox(db, plainSMTPSender(t, addr), clock, logs)
	box.Digits = key

	const digits = "123456"
	o := mailTestOrder()
	o.ID = insertMailTestOrder(t, db, o.Reference)
	mails := &Mails{ShopName: "Le Test", BaseURL: "https://shop.test", Merchant: "merchant@example.com"}
	m := mails.OrderCompletedToMerchant(o, &CardDetails{Brand: "Visa", Expiry: "12/2031"})
	m.Secret = key.Seal(digits, o.Reference)
	// As an older version queued it, with a place for the stored part of the number.
	m.Text += "Stored part of the number: {{CARD_STORED}}\n"
	mustEnqueue(t, db, m)
	assertNotInDatabaseFiles(t, path, digits)

	if sent, err := box.SendDue(ctx); err != nil || sent != 1 {
		t.Fatalf("SendDue = %d, %v; want 1, nil", sent, err)
	}
	got := be.Received()
	if len(got) != 1 {
		t.Fatalf("received %d mails, want 1", len(got))
	}
	p := parseTestMail(t, got[0].Data)
	for part, body := range map[string]string{"text": p.Text, "html": p.HTML} {
		if !strings.Contains(body, "Missing card digits (last 6): "+digits) {
			t.Errorf("%s part lacks the labelled digits line", part)
		}
		if strings.Contains(body, CardDigitsPlaceholder) {
			t.Errorf("%s part still holds the placeholder", part)
		}
	}
	if !strings.Contains(p.Text, "Stored part of the number: kept with the order (admin area, Show stored digits)") {
		t.Errorf("an older mail's place for the stored part is not filled with where to find it:\n%s", p.Text)
	}
	if row := readOutboxRow(t, db, m.Key); row.Status != mailSent || row.HasSecret {
		t.Errorf("row after delivery = %+v; want sent with the secret erased", row)
	}
	var body string
	if err := db.R.QueryRow(`SELECT text_body || html_body FROM outbox JOIN outbox_bodies ON outbox_id = id WHERE key = ?`, m.Key).Scan(&body); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(body, digits) || !strings.Contains(body, CardDigitsPlaceholder) {
		t.Error("the stored bodies should hold the placeholder, never the digits")
	}
	assertNotInDatabaseFiles(t, path, digits)
	if strings.Contains(logs.String(), digits) {
		t.Error("the digits reached the logs")
	}
}

func TestOutbox_UnopenableDigitsFailWithoutSending(t *testing.T) {
	ctx := context.Background()
	be := &testSMTPBackend{}
	db, _, box := newSMTPTestOutbox(t, be)
	box.Digits = newTestDigitsKey(t) // not the key that sealed them

	o := mailTestOrder()
	o.ID = insertMailTestOrder(t, db, o.Reference)
	m := (&Mails{ShopName: "Le Test", BaseURL: "https://shop.test", Merchant: "merchant@example.com"}).
		OrderCompletedToMerchant(o, &CardDetails{Brand: "Visa", Expiry: "12/2031"})
	m.Secret = newTestDigitsKey(t).Seal("123456", o.Reference)
	mustEnqueue(t, db, m)

	box.SendDue(ctx)
	row := readOutboxRow(t, db, m.Key)
	if row.Status != mailFailed || !strings.Contains(row.LastError, "card digits") || !row.HasSecret {
		t.Fatalf("row = %+v; want failed, keeping the sealed digits for a resend", row)
	}
	if len(be.Received()) != 0 {
		t.Fatal("a mail went out without its digits")
	}
}

func TestEnqueueMail_RefusesMismatchedPlaceholder(t *testing.T) {
	db, _ := openMailTestDB(t)
	o := mailTestOrder()
	o.ID = insertMailTestOrder(t, db, o.Reference)
	mails := &Mails{ShopName: "Le Test", BaseURL: "https://shop.test", Merchant: "merchant@example.com"}
	tests := map[string]Mail{
		"placeholder without digits": mails.OrderCompletedToMerchant(o, &CardDetails{Brand: "Visa", Expiry: "12/2031"}),
		"digits without placeholder": func() Mail { m := mails.OrderConfirmationToShopper(o); m.Secret = []byte("sealed"); return m }(),
		"digits without an order": func() Mail {
			m := plainTestMail("x")
			m.Text += CardDigitsPlaceholder
			m.Secret = []byte("sealed")
			return m
		}(),
		"no recipient": func() Mail { m := plainTestMail("y"); m.To = ""; return m }(),
		"an order without its reference": func() Mail {
			m := mails.OrderConfirmationToShopper(o)
			m.OrderRef = ""
			return m
		}(),
	}
	for name, m := range tests {
		err := db.Tx(context.Background(), func(tx *store.Tx) error { return enqueueMail(context.Background(), tx, m) })
		if err == nil {
			t.Errorf("%s: enqueued", name)
		}
	}
}

// assertNotInDatabaseFiles reads the database file and its WAL byte by byte.
func assertNotInDatabaseFiles(t *testing.T, path, secret string) {
	t.Helper()
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds %q in clear", f, secret)
		}
	}
}

func TestMailBackoff(t *testing.T) {
	for attempts, want := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute} {
		if got := mailBackoff(attempts); got != want {
			t.Errorf("mailBackoff(%d) = %v, want %v", attempts, got, want)
		}
	}
	if got := mailBackoff(40); got != time.Hour {
		t.Errorf("mailBackoff(40) = %v, want the 1h cap", got)
	}
}

func TestScrubMailError(t *testing.T) {
	err := errors.New("550 rejected 4242 4242 4242 4242 and 654321 for <a@b.c> at port 2525")
	got := scrubMailError(err, "654321")
	if strings.Contains(got, "4242") || strings.Contains(got, "654321") || !strings.Contains(got, "550") || !strings.Contains(got, "2525") {
		t.Errorf("scrubMailError = %q", got)
	}
}

// A burst of orders leaves many mails: they go out several at a time, each over its own
// connection, and every one is recorded as sent once.
func TestOutbox_SendsABatchInParallel(t *testing.T) {
	db, _ := openMailTestDB(t)
	be := &testSMTPBackend{gather: 3, gathered: make(chan struct{})}
	addr, _ := startTestSMTP(t, be, "127.0.0.1:0", nil)
	box := newTestOutbox(db, plainSMTPSender(t, addr), newMailTestClock(), &lockedBuffer{})
	const n = mailBatch + 5 // two batches
	for i := range n {
		mustEnqueue(t, db, plainTestMail(fmt.Sprintf("order/AB12CD34E%d/shopper-confirmation", i)))
	}
	sent, err := box.SendDue(context.Background())
	if err != nil || sent != n {
		t.Fatalf("SendDue = %d, %v; want %d, nil", sent, err, n)
	}
	select {
	case <-be.gathered:
	default:
		t.Error("the server never held 3 messages at once: the outbox sends one mail at a time")
	}
	if got := len(be.Received()); got != n {
		t.Errorf("server received %d mails, want %d", got, n)
	}
	var queued int
	if err := db.R.QueryRow(`SELECT count(*) FROM outbox WHERE status != 'sent'`).Scan(&queued); err != nil {
		t.Fatal(err)
	}
	if queued != 0 {
		t.Errorf("%d mails not marked sent", queued)
	}
}

// A backlog larger than one round (a burst of orders) goes out round after round, not a
// round per poll: the worker here polls once an hour.
func TestOutbox_RunDrainsABacklogWithoutWaitingForThePoll(t *testing.T) {
	db, _ := openMailTestDB(t)
	dir := t.TempDir()
	sender, err := NewDirSender(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	box := newTestOutbox(db, sender, newMailTestClock(), &lockedBuffer{})
	n := mailRound*mailBatch + 7
	if err := db.Tx(context.Background(), func(tx *store.Tx) error {
		for i := range n {
			if err := enqueueMail(context.Background(), tx, plainTestMail(fmt.Sprintf("burst/%d", i))); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { box.Run(ctx, time.Hour); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(60 * time.Second)
	var queued int
	for time.Now().Before(deadline) {
		if err := db.R.QueryRow(`SELECT count(*) FROM outbox WHERE status != 'sent'`).Scan(&queued); err != nil {
			t.Fatal(err)
		}
		if queued == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if queued != 0 {
		t.Fatalf("%d of %d mails still queued: the worker waited for its next poll", queued, n)
	}
	files, _ := os.ReadDir(dir)
	if len(files) != n {
		t.Errorf("%d files in the mail folder, want %d", len(files), n)
	}
}

// A claim takes the oldest due mails first, up to its limit: expired leases and queued
// mails alike, never a mail waiting for its retry nor one another worker holds.
func TestClaimDueMail_OldestDueFirstUpToTheLimit(t *testing.T) {
	ctx := context.Background()
	db, _ := openMailTestDB(t)
	now := newMailTestClock().Now()
	keys := []string{"a", "expired", "retry-later", "held", "b", "retry-due", "c", "d"}
	for _, k := range keys {
		mustEnqueue(t, db, plainTestMail("order/"+k+"/shopper-confirmation"))
	}
	set := func(key, query string, args ...any) {
		t.Helper()
		if _, err := db.W.Exec(query+` WHERE key = 'order/`+key+`/shopper-confirmation'`, args...); err != nil {
			t.Fatal(err)
		}
	}
	set("expired", `UPDATE outbox SET status = 'sending', claim_token = 'dead', claimed_until = ?`, now.Add(-time.Second))
	set("held", `UPDATE outbox SET status = 'sending', claim_token = 'busy', claimed_until = ?`, now.Add(time.Minute))
	set("retry-later", `UPDATE outbox SET next_attempt_at = ?`, now.Add(time.Minute))
	set("retry-due", `UPDATE outbox SET next_attempt_at = ?`, now.Add(-time.Minute))

	claim := func(token string, limit int) []string {
		t.Helper()
		rows, err := claimDueMail(ctx, db, token, now, now.Add(time.Minute), limit)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, strings.Split(r.Key, "/")[1])
		}
		return got
	}
	if got, want := strings.Join(claim("w1", 3), " "), "a expired b"; got != want {
		t.Errorf("first claim of 3 = %q, want %q", got, want)
	}
	if got, want := strings.Join(claim("w2", 10), " "), "retry-due c d"; got != want {
		t.Errorf("second claim = %q, want %q", got, want)
	}
	if got := claim("w3", 10); len(got) != 0 {
		t.Errorf("third claim took %q; nothing else is due", got)
	}
}

// A queued mail whose text is gone (a hand-made row, a damaged database) is failed where
// a merchant sees it, not claimed again after every lease.
func TestOutbox_MailWithoutItsTextFails(t *testing.T) {
	ctx := context.Background()
	db, _ := openMailTestDB(t)
	box := newTestOutbox(db, discardSender{}, newMailTestClock(), &lockedBuffer{})
	mustEnqueue(t, db, plainTestMail("order/LOST/shopper-confirmation"))
	mustEnqueue(t, db, plainTestMail("order/FINE/shopper-confirmation"))
	if _, err := db.W.Exec(`DELETE FROM outbox_bodies WHERE outbox_id =
		(SELECT id FROM outbox WHERE key = 'order/LOST/shopper-confirmation')`); err != nil {
		t.Fatal(err)
	}
	if sent, err := box.SendDue(ctx); err != nil || sent != 1 {
		t.Fatalf("SendDue = %d, %v; want the whole mail sent", sent, err)
	}
	row := readOutboxRow(t, db, "order/LOST/shopper-confirmation")
	if row.Status != mailFailed || !strings.Contains(row.LastError, "missing") {
		t.Errorf("mail without text: %+v; want failed, saying its text is missing", row)
	}
	if row := readOutboxRow(t, db, "order/FINE/shopper-confirmation"); row.Status != mailSent {
		t.Errorf("whole mail: %+v; want sent", row)
	}
}

// The text of a mail sent more than SentBodiesKept ago is deleted; a mail sent since,
// one still queued and one failed (which a merchant may send again) keep theirs.
func TestOutbox_ForgetsTheTextOfOldSentMail(t *testing.T) {
	ctx := context.Background()
	be := &testSMTPBackend{}
	db, clock, box := newSMTPTestOutbox(t, be)

	mustEnqueue(t, db, plainTestMail("order/AB12CD34EF/shopper-old"))
	if sent, err := box.SendDue(ctx); err != nil || sent != 1 {
		t.Fatalf("SendDue = %d, %v", sent, err)
	}
	clock.Advance(SentBodiesKept - time.Hour)
	mustEnqueue(t, db, plainTestMail("order/AB12CD34EF/shopper-recent"))
	if sent, err := box.SendDue(ctx); err != nil || sent != 1 {
		t.Fatalf("SendDue = %d, %v", sent, err)
	}
	mustEnqueue(t, db, plainTestMail("order/AB12CD34EF/shopper-failed"))
	if _, err := db.W.Exec(`UPDATE outbox SET status = 'failed' WHERE key = 'order/AB12CD34EF/shopper-failed'`); err != nil {
		t.Fatal(err)
	}
	mustEnqueue(t, db, plainTestMail("order/AB12CD34EF/shopper-queued"))
	clock.Advance(2 * time.Hour)

	n, err := box.ForgetSentBodies(ctx, clock.Now().Add(-SentBodiesKept))
	if err != nil || n != 1 {
		t.Fatalf("ForgetSentBodies = %d, %v; want 1", n, err)
	}
	var kept []string
	rows, err := db.R.Query(`SELECT key FROM outbox JOIN outbox_bodies ON outbox_id = id ORDER BY key`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		kept = append(kept, strings.TrimPrefix(k, "order/AB12CD34EF/shopper-"))
	}
	if strings.Join(kept, " ") != "failed queued recent" {
		t.Errorf("texts kept for %v, want failed, queued and recent", kept)
	}
	if n, err := box.ForgetSentBodies(ctx, clock.Now().Add(-SentBodiesKept)); err != nil || n != 0 {
		t.Errorf("a second pass = %d, %v; want 0", n, err)
	}
}
