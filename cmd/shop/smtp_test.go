package main

// A real SMTP server on 127.0.0.1 (github.com/emersion/go-smtp) for the checkout and
// card tests: it accepts every message, keeps the raw bytes and the decoded plain-text
// and HTML parts, and lets a test wait, with a deadline, for mail to arrive.

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// smtpMessage is one message the test server accepted, taken apart.
type smtpMessage struct {
	From      string // the envelope sender
	To        []string
	Raw       []byte
	Sender    *netmail.Address // the From header
	Subject   string
	MessageID string
	ReplyTo   string // the Reply-To header, as sent
	Text      string // the decoded text/plain part
	HTML      string // the decoded text/html part
	Err       error  // why the message could not be decoded, if it could not
}

// smtpSink is a running SMTP server and everything it received.
type smtpSink struct {
	Addr string // host:port it listens on
	srv  *smtp.Server

	mu   sync.Mutex
	msgs []smtpMessage
}

// startSMTP serves on a free loopback port until the test ends.
func startSMTP(t *testing.T) *smtpSink {
	t.Helper()
	return startSMTPAt(t, "127.0.0.1:0")
}

// startSMTPAt serves on addr (a port the shop is already configured with, for tests
// where the server comes up late) until the test ends.
func startSMTPAt(t *testing.T, addr string) *smtpSink {
	t.Helper()
	s := &smtpSink{}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.MaxRecipients = 5
	srv.ErrorLog = log.New(io.Discard, "", 0)
	var ln net.Listener
	var err error
	deadline := time.Now().Add(5 * time.Second)
	for { // a port just closed may take a moment before it can be listened on again
		if ln, err = net.Listen("tcp", addr); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("SMTP test server: listen on %s: %v", addr, err)
	}
	s.Addr, s.srv = ln.Addr().String(), srv
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// unusedLoopbackAddr is a 127.0.0.1 address on which nothing listens (yet): the
// "SMTP server is down" address, where a test may later start one.
func unusedLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// smtpEnv is the shop's configuration for a plain-text SMTP server at addr.
func smtpEnv(t *testing.T, addr string) map[string]string {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"SHOP_SMTP_HOST":      host,
		"SHOP_SMTP_PORT":      port,
		"SHOP_SMTP_TLS":       "none",
		"SHOP_MAIL_FROM":      "shop@example.com",
		"SHOP_MERCHANT_EMAIL": "merchant@example.com",
	}
}

// messages is a copy of what arrived so far, in arrival order.
func (s *smtpSink) messages() []smtpMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMessage(nil), s.msgs...)
}

// waitForMessages polls until at least n messages arrived or the deadline passes, and
// fails the test in the latter case.
func (s *smtpSink) waitForMessages(t *testing.T, n int, within time.Duration) []smtpMessage {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := s.messages()
		if len(got) >= n {
			for _, m := range got {
				if m.Err != nil {
					t.Fatalf("SMTP test server received a message it cannot decode: %v\n%s", m.Err, m.Raw)
				}
			}
			return got
		}
		if time.Now().After(deadline) {
			subjects := make([]string, len(got))
			for i, m := range got {
				subjects[i] = m.Subject
			}
			t.Fatalf("after %v the SMTP server has %d messages, want %d: %q", within, len(got), n, subjects)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// smtpTo lists the messages addressed to rcpt.
func smtpTo(msgs []smtpMessage, rcpt string) []smtpMessage {
	var out []smtpMessage
	for _, m := range msgs {
		for _, to := range m.To {
			if strings.EqualFold(to, rcpt) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// --- go-smtp backend ---

func (s *smtpSink) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &smtpSinkSession{sink: s}, nil
}

type smtpSinkSession struct {
	sink *smtpSink
	from string
	to   []string
}

func (ss *smtpSinkSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *smtpSinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSinkSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := decodeSMTPMessage(raw)
	m.From, m.To = ss.from, append([]string(nil), ss.to...)
	ss.sink.mu.Lock()
	ss.sink.msgs = append(ss.sink.msgs, m)
	ss.sink.mu.Unlock()
	return nil
}

func (ss *smtpSinkSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *smtpSinkSession) Logout() error { return nil }

// decodeSMTPMessage parses a message and decodes its text/plain and text/html parts
// (quoted-printable or base64), with the wire's CRLF line ends made LF.
func decodeSMTPMessage(raw []byte) smtpMessage {
	m := smtpMessage{Raw: raw}
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		m.Err = fmt.Errorf("read message: %w", err)
		return m
	}
	if m.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		m.Err = fmt.Errorf("subject: %w", err)
		return m
	}
	m.MessageID = msg.Header.Get("Message-Id")
	m.ReplyTo = msg.Header.Get("Reply-To")
	if from, err := msg.Header.AddressList("From"); err == nil && len(from) == 1 {
		m.Sender = from[0]
	}
	var walk func(contentType, encoding string, body io.Reader) error
	walk = func(contentType, encoding string, body io.Reader) error {
		mediaType, params, err := mime.ParseMediaType(contentType)
		if err != nil {
			return fmt.Errorf("content type %q: %w", contentType, err)
		}
		if strings.HasPrefix(mediaType, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				part, err := mr.NextRawPart()
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return fmt.Errorf("multipart: %w", err)
				}
				if err := walk(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part); err != nil {
					return err
				}
			}
		}
		switch strings.ToLower(encoding) {
		case "quoted-printable":
			body = quotedprintable.NewReader(body)
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, &newlineSkipper{r: body})
		}
		b, err := io.ReadAll(body)
		if err != nil {
			return fmt.Errorf("%s part: %w", mediaType, err)
		}
		b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
		switch mediaType {
		case "text/plain":
			m.Text = string(b)
		case "text/html":
			m.HTML = string(b)
		}
		return nil
	}
	m.Err = walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return m
}

// newlineSkipper drops CR and LF, which base64 bodies are wrapped with.
type newlineSkipper struct{ r io.Reader }

func (n *newlineSkipper) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	j := 0
	for _, c := range p[:k] {
		if c != '\r' && c != '\n' {
			p[j] = c
			j++
		}
	}
	return j, err
}
