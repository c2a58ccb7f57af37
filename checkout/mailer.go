package checkout

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
)

// Sender delivers one built message. SMTPSender and DirSender are the real ones.
type Sender interface {
	Send(ctx context.Context, msg *mail.Msg) error
}

var (
	_ Sender = (*SMTPSender)(nil)
	_ Sender = (*DirSender)(nil)
)

// SMTPConfig is how to reach the SMTP server (SHOP_SMTP_*).
type SMTPConfig struct {
	Host     string
	Port     int    // 0: 587, the submission port
	User     string // empty: no SMTP AUTH
	Password string
	// TLS is "mandatory" (STARTTLS or nothing; the default), "opportunistic" (STARTTLS
	// when offered) or "none" (plain text: a local test server only).
	TLS string
	// CAPEM holds extra trusted root certificates in PEM, for a server with a private or
	// self-signed certificate (the file named by SHOP_SMTP_CA_FILE).
	CAPEM []byte
	// Timeout bounds the connection and each SMTP command; 0: 15 seconds.
	Timeout time.Duration
}

// SMTPSender sends each message over its own SMTP connection with go-mail.
type SMTPSender struct {
	client *mail.Client
	addr   string
}

// NewSMTPSender checks cfg and builds the client; it does not connect.
func NewSMTPSender(cfg SMTPConfig) (*SMTPSender, error) {
	if cfg.Host == "" {
		return nil, errors.New("smtp: no host")
	}
	policy, err := parseTLSPolicy(cfg.TLS)
	if err != nil {
		return nil, err
	}
	if cfg.Port == 0 {
		cfg.Port = mail.DefaultPortTLS
	}
	tlsConfig := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if len(cfg.CAPEM) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(cfg.CAPEM) {
			return nil, errors.New("smtp: the CA file holds no PEM certificate")
		}
		tlsConfig.RootCAs = pool
	}
	opts := []mail.Option{
		mail.WithPort(cfg.Port),
		mail.WithTLSPolicy(policy),
		mail.WithTLSConfig(tlsConfig),
	}
	if cfg.Timeout > 0 {
		opts = append(opts, mail.WithTimeout(cfg.Timeout))
	}
	if cfg.User != "" {
		// Auto-discovery picks the best mechanism the server offers, and PLAIN or LOGIN
		// only once the connection is encrypted.
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(cfg.User), mail.WithPassword(cfg.Password))
	}
	client, err := mail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp: %w", err)
	}
	return &SMTPSender{client: client, addr: client.ServerAddr()}, nil
}

func parseTLSPolicy(s string) (mail.TLSPolicy, error) {
	switch s {
	case "", "mandatory":
		return mail.TLSMandatory, nil
	case "opportunistic":
		return mail.TLSOpportunistic, nil
	case "none":
		return mail.NoTLS, nil
	}
	return 0, fmt.Errorf("smtp: TLS policy %q: want mandatory, opportunistic or none", s)
}

// Send dials, sends msg and quits. go-mail's *mail.SendError stays in the chain, so the
// worker can tell a temporary failure from a permanent one.
func (s *SMTPSender) Send(ctx context.Context, msg *mail.Msg) error {
	if err := s.client.DialAndSendWithContext(ctx, msg); err != nil {
		var verr *tls.CertificateVerificationError
		if errors.As(err, &verr) {
			return fmt.Errorf("smtp %s: the server's TLS certificate is not trusted (give its CA as the SMTP CA file): %w", s.addr, err)
		}
		return fmt.Errorf("smtp %s: %w", s.addr, err)
	}
	return nil
}

// DirSender writes each message as an .eml file in Dir instead of sending it: the
// development default when no SMTP server is configured. Open the files with any mail
// client. The merchant's card mails hold the six digits like the real mail would, so
// the folder is readable by its owner only.
type DirSender struct {
	Dir string
}

// NewDirSender creates dir if needed and says where the mails go.
func NewDirSender(dir string, logger *slog.Logger) (*DirSender, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mail folder: %w", err)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if logger != nil {
		logger.Info("mail: no SMTP host configured; mails are written as .eml files", "dir", dir)
	}
	return &DirSender{Dir: dir}, nil
}

// Send writes msg to "<date queued>-<message id>.eml", through a temporary file and a
// rename so that a reader never sees half a file. The same row always gets the same
// name: a second try replaces the file rather than adding one.
func (d *DirSender) Send(ctx context.Context, msg *mail.Msg) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(d.Dir, ".mail-*.tmp")
	if err != nil {
		return fmt.Errorf("mail folder: %w", err)
	}
	renamed := false
	defer func() {
		if !renamed { // a failure or a panic: a merchant's mail holds the six digits
			os.Remove(tmp.Name())
		}
	}()
	if err := d.write(tmp, msg); err != nil {
		return err
	}
	renamed = true
	return nil
}

// write fills tmp, syncs and closes it, and renames it to its final name. The message
// writes itself in many small pieces: buffered, the file takes one write system call.
func (d *DirSender) write(tmp *os.File, msg *mail.Msg) error {
	w := bufio.NewWriterSize(tmp, 32<<10)
	if _, err := msg.WriteTo(w); err != nil {
		tmp.Close()
		return fmt.Errorf("mail folder: write: %w", err)
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("mail folder: write: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("mail folder: write: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("mail folder: write: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(d.Dir, emlName(msg))); err != nil {
		return fmt.Errorf("mail folder: %w", err)
	}
	return nil
}

// emlName is "20060102-150405-outbox-12-0a1b2c3d4e5f.eml" from the Date and the
// Message-ID, falling back to now for a message without them.
func emlName(msg *mail.Msg) string {
	at := time.Now().UTC()
	if v := msg.GetGenHeader(mail.HeaderDate); len(v) > 0 {
		if t, err := time.Parse(time.RFC1123Z, v[0]); err == nil {
			at = t.UTC()
		}
	}
	id := strings.Trim(msg.GetMessageID(), "<>")
	id, _, _ = strings.Cut(id, "@")
	id = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, id)
	if id == "" {
		id = strconv.FormatInt(time.Now().UnixNano(), 10)
	}
	return at.Format("20060102-150405") + "-" + id + ".eml"
}
