package sandbox

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"shop/payment/cmcic"
)

// Config is the sandbox bank's configuration: the terminal it serves and
// where it notifies the shop.
type Config struct {
	Bank        cmcic.Config  // TPE, Key, Format (URL and Societe unused)
	NotifyURL   string        // the shop's notification URL
	Client      *http.Client  // for the notification call (default: 10 s timeout)
	NotifyDelay time.Duration // delay of the late-notification card (default 3 s)
	Logger      *slog.Logger  // default slog.Default()
	Now         func() time.Time
}

const (
	defaultClientTimeout = 10 * time.Second
	defaultNotifyDelay   = 3 * time.Second
	// retryDelay is the pause before the one retry of a notification the
	// shop did not acknowledge, as the real bank does.
	retryDelay = 500 * time.Millisecond
	// closeWait bounds how long Close waits for notifications in flight.
	closeWait = 15 * time.Second
	// maxFormBytes bounds a payment request (texte-libre is 3200 chars).
	maxFormBytes = 64 << 10
)

// Validate checks what the sandbox uses of the configuration.
func (c Config) Validate() error {
	tpe := c.Bank.TPE
	if len(tpe) != 7 || !isAlnum(tpe) {
		return fmt.Errorf("sandbox: TPE must be 7 letters or digits, got %q", tpe)
	}
	if c.Bank.Key == (cmcic.Key{}) {
		return errors.New("sandbox: key is missing")
	}
	if c.Bank.Format != cmcic.Current && c.Bank.Format != cmcic.Legacy {
		return fmt.Errorf("sandbox: unknown seal format %v", c.Bank.Format)
	}
	u, err := url.Parse(c.NotifyURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("sandbox: notification URL must be an absolute http(s) URL, got %q", c.NotifyURL)
	}
	return nil
}

// Bank is the sandbox bank, an http.Handler whose routes are relative to
// where it is mounted: POST paiement.cgi (and test/paiement.cgi) receives the
// shop's form; card and 3ds are the pages that follow; GET / describes it.
type Bank struct {
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	client   *http.Client
	delay    time.Duration
	mux      *http.ServeMux
	pages    pages
	payments *payments
	hpanKey  []byte // keys hpancb, the card's stand-in in notifications

	// Notifications outlive requests: ctx is cancelled only when Close
	// gives up waiting; stop makes late notifications go at once.
	ctx    context.Context
	cancel context.CancelFunc
	stop   chan struct{}
	mu     sync.Mutex // guards closed and the wg.Add that depends on it
	closed bool
	wg     sync.WaitGroup
}

// New builds a sandbox bank. It does not validate cfg (see Config.Validate).
func New(cfg Config) *Bank {
	b := &Bank{
		cfg:      cfg,
		log:      cfg.Logger,
		now:      cfg.Now,
		client:   cfg.Client,
		delay:    cfg.NotifyDelay,
		pages:    parsePages(),
		payments: newPayments(),
		hpanKey:  make([]byte, 32),
		stop:     make(chan struct{}),
	}
	if b.log == nil {
		b.log = slog.Default()
	}
	b.log = b.log.With("component", "sandbox-bank")
	if b.now == nil {
		b.now = time.Now
	}
	if b.client == nil {
		b.client = &http.Client{Timeout: defaultClientTimeout}
	}
	if b.delay <= 0 {
		b.delay = defaultNotifyDelay
	}
	rand.Read(b.hpanKey)
	b.ctx, b.cancel = context.WithCancel(context.Background())

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", b.index)
	// The test/ variants mirror the real bank's test URLs; keeping the
	// page actions relative makes each variant stay under its own prefix.
	for _, prefix := range []string{"/", "/test/"} {
		mux.HandleFunc("POST "+prefix+"paiement.cgi", b.receiveForm)
		mux.HandleFunc("POST "+prefix+"card", b.submitCard)
		mux.HandleFunc("POST "+prefix+"3ds", b.confirm3DS)
	}
	b.mux = mux
	return b
}

// ServeHTTP serves the bank's pages.
func (b *Bank) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mux.ServeHTTP(w, r)
}

// Close sends the late notifications still waiting (without waiting for
// their delay) and waits for every notification in flight, at most
// closeWait. Call it after the HTTP server has stopped taking requests.
func (b *Bank) Close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	close(b.stop)
	b.mu.Unlock()

	done := make(chan struct{})
	go func() {
		b.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(closeWait):
		b.log.Warn("notifications still in flight at close; abandoning them")
		b.cancel()
		<-done
	}
	b.cancel()
}

func (b *Bank) index(w http.ResponseWriter, r *http.Request) {
	b.render(w, http.StatusOK, pageIndex, indexView{
		TPE:       b.cfg.Bank.TPE,
		Format:    b.cfg.Bank.Format.String(),
		NotifyURL: b.cfg.NotifyURL,
		Cards:     testCardViews(),
	})
}

// clientIP is the shopper's address as the bank sees it (ipclient).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !('0' <= ch && ch <= '9' || 'A' <= ch && ch <= 'Z' || 'a' <= ch && ch <= 'z') {
			return false
		}
	}
	return true
}
