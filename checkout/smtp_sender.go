package checkout

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
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
	// IdleTimeout is how long a connection is kept open unused for the next message;
	// 0: 10 seconds.
	IdleTimeout time.Duration
}

// SMTPSender sends messages with go-mail over connections it keeps open for a while.
// A connection per message meant a dozen round trips per mail (connect, greeting, EHLO,
// NOOP, the message, NOOP, RSET, QUIT) on both ends; a reused one needs four (MAIL,
// RCPT, DATA, the message). Each Send uses a connection no other Send is using, so the
// outbox's parallel sends keep one connection each; at most smtpMaxIdle wait unused,
// and a connection unused for IdleTimeout is closed.
type SMTPSender struct {
	client      *mail.Client
	addr        string
	idleTimeout time.Duration

	mu     sync.Mutex
	idle   []idleSMTP  // the most recently used last
	sweep  *time.Timer // closes the connections left unused; nil when none wait
	closed bool
}

type idleSMTP struct {
	conn  *smtp.Client
	since time.Time
}

// smtpMaxIdle is how many unused connections are kept: one per parallel send.
const smtpMaxIdle = mailParallel

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
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 10 * time.Second
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
		// A message is done once the server accepts its data: an RSET after it, or a
		// NOOP before each command, only adds round trips. A connection the server
		// dropped while unused shows at MAIL FROM, and Send then redials.
		mail.WithoutRset(),
		mail.WithoutNoop(),
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
	return &SMTPSender{client: client, addr: client.ServerAddr(), idleTimeout: cfg.IdleTimeout}, nil
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

// Send sends msg over an unused open connection, or a new one. go-mail's
// *mail.SendError stays in the chain, so the worker can tell a temporary failure from a
// permanent one.
func (s *SMTPSender) Send(ctx context.Context, msg *mail.Msg) error {
	conn, reused := s.take()
	if conn == nil {
		var err error
		if conn, err = s.dial(ctx); err != nil {
			return err
		}
	}
	err := s.client.SendWithSMTPClient(conn, msg)
	if err != nil && reused && droppedBeforeSending(err) {
		// The server closed the connection while it waited (its own idle timeout, a
		// restart): nothing of this message reached it, so a new connection may send it.
		conn.Close()
		if conn, err = s.dial(ctx); err != nil {
			return err
		}
		err = s.client.SendWithSMTPClient(conn, msg)
	}
	if err != nil {
		// Whatever state the failure left the connection in, it is not used again.
		var se *mail.SendError
		if errors.As(err, &se) && se.ErrorCode() != 0 {
			_ = s.client.CloseWithSMTPClient(conn) // the server answers: say goodbye
		} else {
			conn.Close()
		}
		return fmt.Errorf("smtp %s: send failed: %w", s.addr, err)
	}
	s.put(conn)
	return nil
}

func (s *SMTPSender) dial(ctx context.Context) (*smtp.Client, error) {
	conn, err := s.client.DialToSMTPClientWithContext(ctx)
	if err == nil {
		return conn, nil
	}
	var verr *tls.CertificateVerificationError
	if errors.As(err, &verr) {
		return nil, fmt.Errorf("smtp %s: the server's TLS certificate is not trusted (give its CA as the SMTP CA file): %w", s.addr, err)
	}
	return nil, fmt.Errorf("smtp %s: dial failed: %w", s.addr, err)
}

// droppedBeforeSending reports a connection found dead at the first command of a
// message: no reply from the server, so it cannot have taken the message.
func droppedBeforeSending(err error) bool {
	var se *mail.SendError
	return errors.As(err, &se) && se.ErrorCode() == 0 &&
		(se.Reason == mail.ErrConnCheck || se.Reason == mail.ErrSMTPMailFrom)
}

// take hands out the most recently used unused connection, if any.
func (s *SMTPSender) take() (*smtp.Client, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.idle)
	if n == 0 {
		return nil, false
	}
	c := s.idle[n-1]
	s.idle[n-1] = idleSMTP{}
	s.idle = s.idle[:n-1]
	return c.conn, true
}

// put keeps conn for the next message, or quits it when enough wait already.
func (s *SMTPSender) put(conn *smtp.Client) {
	s.mu.Lock()
	if s.closed || len(s.idle) >= smtpMaxIdle {
		s.mu.Unlock()
		_ = s.client.CloseWithSMTPClient(conn)
		return
	}
	s.idle = append(s.idle, idleSMTP{conn: conn, since: time.Now()})
	if s.sweep == nil {
		s.sweep = time.AfterFunc(s.idleTimeout, s.closeUnused)
	}
	s.mu.Unlock()
}

// closeUnused quits the connections unused for the idle timeout, and looks again later
// while others wait.
func (s *SMTPSender) closeUnused() {
	s.mu.Lock()
	cut := time.Now().Add(-s.idleTimeout)
	n := 0
	for n < len(s.idle) && !s.idle[n].since.After(cut) {
		n++
	}
	stale := append([]idleSMTP(nil), s.idle[:n]...)
	s.idle = append(s.idle[:0], s.idle[n:]...)
	s.sweep = nil
	if len(s.idle) > 0 {
		s.sweep = time.AfterFunc(s.idle[0].since.Sub(cut), s.closeUnused)
	}
	s.mu.Unlock()
	for _, c := range stale {
		_ = s.client.CloseWithSMTPClient(c.conn)
	}
}

// Close quits the unused connections; a Send after it still works but keeps nothing.
func (s *SMTPSender) Close() error {
	s.mu.Lock()
	idle := s.idle
	s.idle, s.closed = nil, true
	if s.sweep != nil {
		s.sweep.Stop()
		s.sweep = nil
	}
	s.mu.Unlock()
	var errs []error
	for _, c := range idle {
		errs = append(errs, s.client.CloseWithSMTPClient(c.conn))
	}
	return errors.Join(errs...)
}
