package checkout

import (
	"context"
	"crypto/tls"
	"errors"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"
)

func TestSMTPSender_STARTTLSWithPrivateCA(t *testing.T) {
	cert, certPEM := selfSignedCert(t)
	be := &testSMTPBackend{user: "shop", pass: "s3cret-pass"}
	addr, _ := startTestSMTP(t, be, "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	host, port := splitTestAddr(t, addr)

	t.Run("trusted CA and login", func(t *testing.T) {
		sender, err := NewSMTPSender(SMTPConfig{Host: host, Port: port, User: "shop", Password: "s3cret-pass",
			TLS: "mandatory", CAPEM: certPEM, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		db, _ := openMailTestDB(t)
		box := newTestOutbox(db, sender, newMailTestClock(), &lockedBuffer{})
		m := plainTestMail("order/TLS/shopper-confirmation")
		mustEnqueue(t, db, m)
		if sent, err := box.SendDue(context.Background()); err != nil || sent != 1 {
			t.Fatalf("SendDue = %d, %v; last error %q", sent, err, readOutboxRow(t, db, m.Key).LastError)
		}
		if len(be.Received()) != 1 {
			t.Fatalf("received %d mails, want 1", len(be.Received()))
		}
	})

	t.Run("unknown CA", func(t *testing.T) {
		before := len(be.Received())
		sender, err := NewSMTPSender(SMTPConfig{Host: host, Port: port, User: "shop", Password: "s3cret-pass",
			TLS: "mandatory", Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		err = sender.Send(context.Background(), mustBuildTestMsg(t))
		var verr *tls.CertificateVerificationError
		if !errors.As(err, &verr) || !strings.Contains(err.Error(), "TLS certificate is not trusted") {
			t.Fatalf("Send = %v, want a certificate verification error", err)
		}
		if strings.Contains(err.Error(), "s3cret-pass") {
			t.Error("the error shows the password")
		}
		if !temporaryMailError(err) {
			t.Error("a TLS failure should be retried (the operator may fix the CA)")
		}
		if len(be.Received()) != before {
			t.Fatal("delivered over an untrusted connection")
		}
	})
}

func TestSMTPSender_MandatoryTLSRefusesPlainServer(t *testing.T) {
	be := &testSMTPBackend{}
	addr, _ := startTestSMTP(t, be, "127.0.0.1:0", nil) // offers no STARTTLS
	host, port := splitTestAddr(t, addr)
	sender, err := NewSMTPSender(SMTPConfig{Host: host, Port: port, TLS: "mandatory", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := sender.Send(context.Background(), mustBuildTestMsg(t)); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("Send = %v, want a STARTTLS error", err)
	}
	if len(be.Received()) != 0 {
		t.Fatal("delivered in clear despite the mandatory policy")
	}
}

func TestNewSMTPSender_RejectsBadSettings(t *testing.T) {
	tests := map[string]SMTPConfig{
		"no host":    {TLS: "none"},
		"bad policy": {Host: "127.0.0.1", TLS: "sometimes"},
		"bad CA":     {Host: "127.0.0.1", TLS: "mandatory", CAPEM: []byte("not a certificate")},
		"bad port":   {Host: "127.0.0.1", Port: 70000},
	}
	for name, cfg := range tests {
		if _, err := NewSMTPSender(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestDirSender_WritesParseableEml(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	logs := &lockedBuffer{}
	sender, err := NewDirSender(dir, newTestOutbox(nil, nil, newMailTestClock(), logs).Logger)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), dir) {
		t.Errorf("the folder is not logged: %q", logs.String())
	}
	db, _ := openMailTestDB(t)
	box := newTestOutbox(db, sender, newMailTestClock(), logs)
	m := plainTestMail("order/AB12CD34EF/shopper-confirmation")
	mustEnqueue(t, db, m)
	if sent, err := box.SendDue(context.Background()); err != nil || sent != 1 {
		t.Fatalf("SendDue = %d, %v", sent, err)
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || !strings.HasSuffix(entries[0].Name(), ".eml") {
		t.Fatalf("folder holds %v, want one .eml file", entries)
	}
	name := filepath.Join(dir, entries[0].Name())
	if info, err := os.Stat(name); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %v, %v; want 0600", info.Mode().Perm(), err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	msg, err := netmail.ReadMessage(f)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	if got := msg.Header.Get("Subject"); got != m.Subject {
		t.Errorf("Subject = %q, want %q", got, m.Subject)
	}
	if !strings.HasPrefix(msg.Header.Get("Message-ID"), "<outbox-") {
		t.Errorf("Message-ID = %q", msg.Header.Get("Message-ID"))
	}
	data, _ := os.ReadFile(name)
	p := parseTestMail(t, data)
	if p.Text != m.Text || !strings.Contains(p.HTML, "Hello in HTML") {
		t.Errorf("parts: text %q html %q", p.Text, p.HTML)
	}

	// Sending the same row again replaces its file rather than adding one.
	if _, err := db.W.Exec(`UPDATE outbox SET status = 'failed'`); err != nil {
		t.Fatal(err)
	}
	if err := box.Resend(context.Background(), readOutboxRow(t, db, m.Key).ID); err != nil {
		t.Fatal(err)
	}
	box.SendDue(context.Background())
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("folder holds %d files after a resend, want 1", len(entries))
	}
}

// mustBuildTestMsg builds a message the way the worker does.
func mustBuildTestMsg(t *testing.T) *gomail.Msg {
	t.Helper()
	box := &Outbox{From: "shop@example.com", Host: "shop.test"}
	msg, err := box.message(outboxRow{ID: 1, Key: "k", To: "shopper@example.com", Subject: "Hello",
		Text: "text", HTML: "<p>html</p>", CreatedAt: time.Now()}, "text", "<p>html</p>")
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// A mail the folder cannot take leaves no half-written temporary file behind: a
// merchant's mail holds the six card digits.
func TestDirSender_FailureLeavesNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	sender := &DirSender{Dir: dir}
	msg := gomail.NewMsg()
	if err := msg.From("shop@example.com"); err != nil {
		t.Fatal(err)
	}
	msg.SetMessageIDWithValue("outbox-1-abc@shop.test")
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, "Card digits: 123456")
	// The file's final name is taken by a folder, so the rename fails.
	if err := os.Mkdir(filepath.Join(dir, emlName(msg)), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := sender.Send(context.Background(), msg); err == nil {
		t.Fatal("Send succeeded onto a folder")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || !entries[0].IsDir() {
		t.Errorf("folder holds %v, want only the folder in the way", entries)
	}
}
