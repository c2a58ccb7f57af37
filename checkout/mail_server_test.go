package checkout

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"log/slog"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"shop/cart"
	"shop/store"
)

// Helpers shared by the outbox, sender and message tests: a real SQLite file, a real
// SMTP server on 127.0.0.1 (emersion/go-smtp) that records what it receives, a clock the
// test moves, and a small AES-GCM opener in the card key's format.

// openMailTestDB opens a fresh database file with every migration up to checkout's.
func openMailTestDB(t *testing.T) (*store.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shop.db")
	return openMailTestDBAt(t, path), path
}

// openMailTestDBAt opens path as a second process would: its own pools.
func openMailTestDBAt(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), path, cart.Migrations, Migrations)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustEnqueue(t *testing.T, db *store.DB, m Mail) {
	t.Helper()
	if err := db.Tx(context.Background(), func(tx *store.Tx) error { return enqueueMail(context.Background(), tx, m) }); err != nil {
		t.Fatalf("enqueue %s: %v", m.Key, err)
	}
}

func plainTestMail(key string) Mail {
	return Mail{
		Key:     key,
		To:      "shopper@example.com",
		Subject: "Test mail " + key,
		Text:    "Hello in plain text for " + key + "\n",
		HTML:    "<!DOCTYPE html><html><body><p>Hello in HTML for " + key + "</p></body></html>",
	}
}

// outboxRowState is a row as the tests inspect it.
type outboxRowState struct {
	ID         int64
	Status     string
	Attempts   int
	Next       time.Time
	LastError  string
	HasSecret  bool
	SentAt     sql.NullTime
	ClaimToken string
}

func readOutboxRow(t *testing.T, db *store.DB, key string) outboxRowState {
	t.Helper()
	var s outboxRowState
	err := db.R.QueryRow(`SELECT id, status, attempts, next_attempt_at, last_error, secret IS NOT NULL, sent_at, claim_token
		FROM outbox WHERE key = ?`, key).Scan(&s.ID, &s.Status, &s.Attempts, &s.Next, &s.LastError, &s.HasSecret, &s.SentAt, &s.ClaimToken)
	if err != nil {
		t.Fatalf("read outbox row %s: %v", key, err)
	}
	return s
}

// mailTestClock is a clock the test moves by hand.
type mailTestClock struct {
	mu sync.Mutex
	t  time.Time
}

func newMailTestClock() *mailTestClock {
	return &mailTestClock{t: time.Date(2031, 3, 14, 9, 30, 0, 0, time.UTC)}
}

func (c *mailTestClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *mailTestClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// lockedBuffer collects log output written from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newTestOutbox(db *store.DB, sender Sender, clock *mailTestClock, logs io.Writer) *Outbox {
	return &Outbox{
		DB:     db,
		Sender: sender,
		From:   "Le Test <shop@example.com>",
		Now:    clock.Now,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Host:   "shop.test",
	}
}

// plainSMTPSender is the real SMTPSender, without TLS, for the loopback test server.
// newSMTPTestOutbox is an outbox on a fresh database, sending over plain SMTP to a
// test server answering as be does, on a clock the test moves.
func newSMTPTestOutbox(t *testing.T, be *testSMTPBackend) (*store.DB, *mailTestClock, *Outbox) {
	t.Helper()
	db, _ := openMailTestDB(t)
	addr, _ := startTestSMTP(t, be, "127.0.0.1:0", nil)
	clock := newMailTestClock()
	return db, clock, newTestOutbox(db, plainSMTPSender(t, addr), clock, &lockedBuffer{})
}

func plainSMTPSender(t *testing.T, addr string) *SMTPSender {
	t.Helper()
	host, port := splitTestAddr(t, addr)
	s, err := NewSMTPSender(SMTPConfig{Host: host, Port: port, TLS: "none", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("smtp sender: %v", err)
	}
	return s
}

func splitTestAddr(t *testing.T, addr string) (string, int) {
	t.Helper()
	tcp, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return tcp.IP.String(), tcp.Port
}

// receivedMail is one message the test server accepted.
type receivedMail struct {
	From string
	To   []string
	Data []byte
}

// testSMTPBackend records messages; it can refuse recipients and require a login.
type testSMTPBackend struct {
	mu         sync.Mutex
	received   []receivedMail
	rejectRcpt *smtp.SMTPError
	user, pass string
	// gather, when set, holds each message in DATA until that many are there at once
	// (gathered is then closed) or a second passes: a test that mails go out together.
	// inData counts the messages held now.
	gather    int
	inData    int
	gathered  chan struct{}
	didGather bool
	// sessions counts the connections the server took; ended, those that ended.
	sessions, ended int
}

// Connections reports how many connections the server took and how many have ended.
func (b *testSMTPBackend) Connections() (taken, ended int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sessions, b.ended
}

func (b *testSMTPBackend) Received() []receivedMail {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]receivedMail(nil), b.received...)
}

func (b *testSMTPBackend) SetRejectRcpt(e *smtp.SMTPError) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rejectRcpt = e
}

func (b *testSMTPBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sessions++
	return &testSMTPSession{b: b}, nil
}

type testSMTPSession struct {
	b      *testSMTPBackend
	authed bool
	from   string
	to     []string
}

func (s *testSMTPSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *testSMTPSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if s.b.user == "" || user != s.b.user || pass != s.b.pass {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *testSMTPSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.b.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *testSMTPSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.b.mu.Lock()
	reject := s.b.rejectRcpt
	s.b.mu.Unlock()
	if reject != nil {
		return reject
	}
	s.to = append(s.to, to)
	return nil
}

func (s *testSMTPSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.b.mu.Lock()
	if g := s.b.gather; g > 0 {
		s.b.inData++
		if s.b.inData >= g && !s.b.didGather {
			s.b.didGather = true
			close(s.b.gathered)
		}
		wait := s.b.gathered
		s.b.mu.Unlock()
		select {
		case <-wait:
		case <-time.After(time.Second):
		}
		s.b.mu.Lock()
		s.b.inData--
	}
	defer s.b.mu.Unlock()
	s.b.received = append(s.b.received, receivedMail{From: s.from, To: s.to, Data: data})
	return nil
}

func (s *testSMTPSession) Reset() { s.from, s.to = "", nil }
func (s *testSMTPSession) Logout() error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.ended++
	return nil
}

// startTestSMTP serves be on addr ("127.0.0.1:0" for any port) until the test ends, or
// until the returned stop is called; it returns the address it listens on.
func startTestSMTP(t *testing.T, be *testSMTPBackend, addr string, tlsConfig *tls.Config) (string, func()) {
	t.Helper()
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.MaxRecipients = 5
	srv.TLSConfig = tlsConfig
	srv.AllowInsecureAuth = false
	srv.ErrorLog = log.New(io.Discard, "", 0)
	var l net.Listener
	var err error
	for range 50 { // a port just freed may take a moment to listen on again
		if l, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	go srv.Serve(l)
	var once sync.Once
	stop := func() { once.Do(func() { srv.Close() }) }
	t.Cleanup(stop)
	return l.Addr().String(), stop
}

// freeTestAddr is a loopback address where nothing listens (for now).
func freeTestAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// selfSignedCert makes a certificate for 127.0.0.1 and returns it with its PEM.
func selfSignedCert(t *testing.T) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "test smtp server"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return cert, certPEM
}

// testDigitsKey seals and opens like the card package's Key: AES-256-GCM, a random
// 12-byte nonce in front of the ciphertext, the order reference as additional data.
type testDigitsKey struct{ aead cipher.AEAD }

func newTestDigitsKey(t testing.TB) testDigitsKey {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	return testDigitsKey{aead: aead}
}

func (k testDigitsKey) Seal(digits, aad string) []byte {
	nonce := make([]byte, k.aead.NonceSize())
	rand.Read(nonce)
	return k.aead.Seal(nonce, nonce, []byte(digits), []byte(aad))
}

func (k testDigitsKey) Open(sealed []byte, aad string) (string, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n {
		return "", errors.New("test key: sealed value too short")
	}
	plain, err := k.aead.Open(nil, sealed[:n], sealed[n:], []byte(aad))
	if err != nil {
		return "", errors.New("test key: cannot open (wrong key or order reference)")
	}
	return string(plain), nil
}

var _ DigitsOpener = testDigitsKey{}

// parsedMail is a received message taken apart.
type parsedMail struct {
	Header netmail.Header
	Text   string
	HTML   string
}

// parseTestMail reads a message and decodes its text/plain and text/html parts.
func parseTestMail(t *testing.T, data []byte) parsedMail {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parse message: %v", err)
	}
	p := parsedMail{Header: msg.Header}
	var walk func(contentType string, encoding string, body io.Reader)
	walk = func(contentType, encoding string, body io.Reader) {
		mediaType, params, err := mime.ParseMediaType(contentType)
		if err != nil {
			t.Fatalf("content type %q: %v", contentType, err)
		}
		if strings.HasPrefix(mediaType, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				part, err := mr.NextRawPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatalf("multipart: %v", err)
				}
				walk(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part)
			}
		}
		if strings.EqualFold(encoding, "quoted-printable") {
			body = quotedprintable.NewReader(body)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")) // the wire's line ends
		switch mediaType {
		case "text/plain":
			p.Text = string(b)
		case "text/html":
			p.HTML = string(b)
		}
	}
	walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return p
}

// decodeTestHeader undoes RFC 2047 encoded words.
func decodeTestHeader(t *testing.T, v string) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(v)
	if err != nil {
		t.Fatalf("decode header %q: %v", v, err)
	}
	return s
}

// insertMailTestOrder writes the smallest order row an outbox mail can point to.
func insertMailTestOrder(t *testing.T, db *store.DB, ref string) int64 {
	t.Helper()
	var id int64
	now := time.Now().UTC()
	err := db.Tx(context.Background(), func(tx *store.Tx) error {
		res, err := tx.Exec(`INSERT INTO orders (reference, access_token, submission, placed_by, owner, email, name, phone,
			billing_line1, billing_postcode, billing_city, billing_country, delivery_code, delivery_name,
			delivery_cents, delivery_vat, items_cents, total_cents, total_ht_cents, total_vat_cents,
			expires_at, created_at, updated_at)
			VALUES (?, 'tok', ?, 'visitor', 'visitor', 'ada@example.com', 'Ada Lovelace', '+33 4 72 00 00 00',
			'1 rue de la Paix', '69001', 'Lyon', 'FR', 'home', 'Home delivery', 590, 2000, 2500, 3090, 2575, 515, ?, ?, ?)`,
			ref, "sub-"+ref, now.Add(time.Hour), now, now)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		t.Fatalf("insert order: %v", err)
	}
	return id
}
