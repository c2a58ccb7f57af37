package sandbox_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"shop/payment/cmcic"
	"shop/payment/cmcic/sandbox"
)

// The spec's demo key, as the bank hands it out and in its usable form.
const (
	demoKey       = "12345678901234567890123456789012345678P0"
	demoKeyUsable = "1234567890123456789012345678901234567890"
)

// fakeShop is the shop's notification endpoint: it records what the bank
// sends and answers from a script (AckOK once the script is used up).
type fakeShop struct {
	srv *httptest.Server

	mu      sync.Mutex
	got     []received
	answers []string
}

type received struct {
	values      url.Values
	body        string
	contentType string
	at          time.Time
}

func newFakeShop(t *testing.T, answers ...string) *fakeShop {
	s := &fakeShop{answers: answers}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/payment/cmcic/notify" {
			http.NotFound(w, r)
			return
		}
		raw := new(bytes.Buffer)
		raw.ReadFrom(r.Body)
		v, err := url.ParseQuery(raw.String())
		if err != nil {
			t.Errorf("notification body does not parse: %v", err)
		}
		s.mu.Lock()
		s.got = append(s.got, received{v, raw.String(), r.Header.Get("Content-Type"), time.Now()})
		answer := cmcic.AckOK
		if len(s.answers) > 0 {
			answer, s.answers = s.answers[0], s.answers[1:]
		}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(answer))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *fakeShop) notifications() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

// waitFor waits until the shop has n notifications.
func (s *fakeShop) waitFor(t *testing.T, n int, within time.Duration) []received {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := s.notifications()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d notifications after %v, want %d", len(got), within, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// clock is a settable clock for the bank.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer collects the bank's logs from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is a shop, a bank, and the merchant's configuration pointing at it.
type env struct {
	t        *testing.T
	merchant cmcic.Config // the shop's side
	bankCfg  sandbox.Config
	bank     *sandbox.Bank
	shop     *fakeShop
	clock    *clock
	logs     *syncBuffer
	client   *http.Client
}

type envOption func(*envOptions)

type envOptions struct {
	mount, path string
	delay       time.Duration
	answers     []string
}

// mounted serves the bank under a prefix, as the shop does with /_bank.
func mounted(prefix string) envOption { return func(o *envOptions) { o.mount = prefix } }
func atPath(path string) envOption    { return func(o *envOptions) { o.path = path } }
func notifyDelay(d time.Duration) envOption {
	return func(o *envOptions) { o.delay = d }
}
func shopAnswers(a ...string) envOption { return func(o *envOptions) { o.answers = a } }

func newEnv(t *testing.T, format cmcic.Format, opts ...envOption) *env {
	t.Helper()
	o := envOptions{path: "/paiement.cgi", delay: 200 * time.Millisecond}
	for _, opt := range opts {
		opt(&o)
	}
	key, err := cmcic.ParseKey(demoKey)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{
		t:      t,
		shop:   newFakeShop(t, o.answers...),
		clock:  &clock{t: time.Date(2026, 7, 13, 10, 5, 0, 0, time.UTC)},
		logs:   &syncBuffer{},
		client: &http.Client{Timeout: 10 * time.Second},
	}
	e.bankCfg = sandbox.Config{
		Bank:        cmcic.Config{TPE: "1234567", Key: key, Format: format},
		NotifyURL:   e.shop.srv.URL + "/payment/cmcic/notify",
		NotifyDelay: o.delay,
		Logger:      slog.New(slog.NewTextHandler(e.logs, nil)),
		Now:         e.clock.Now,
	}
	if err := e.bankCfg.Validate(); err != nil {
		t.Fatal(err)
	}
	e.bank = sandbox.New(e.bankCfg)
	var h http.Handler = e.bank
	if o.mount != "" {
		mux := http.NewServeMux()
		mux.Handle(o.mount+"/", http.StripPrefix(o.mount, e.bank))
		h = mux
	}
	srv := httptest.NewServer(h)
	// Cleanups run last first: the bank's server stops, then Close waits
	// for late notifications while the shop still answers.
	t.Cleanup(e.bank.Close)
	t.Cleanup(srv.Close)
	e.merchant = cmcic.Config{
		URL: srv.URL + o.mount + o.path, TPE: "1234567", Key: key, Societe: "monSite1", Format: format,
	}
	return e
}

func demoPayment() cmcic.Payment {
	return cmcic.Payment{
		Reference:   "ABERTYP00145",
		AmountCents: 6273,
		Currency:    "EUR",
		Date:        time.Date(2026, 7, 13, 10, 4, 0, 0, time.UTC),
		Email:       "internaute@sonemail.fr",
		FreeText:    "order:ABERTYP00145",
		ReturnOK:    "https://shop.example/orders/ABERTYP00145?paid=1",
		ReturnErr:   "https://shop.example/orders/ABERTYP00145?paid=0",
		Billing:     cmcic.Address{Line1: "1 rue de la Paix", PostalCode: "75002", City: "Paris", Country: "FR"},
	}
}

// post sends a form to the bank's payment page as the shopper's browser
// would after the shop's auto-submitted page.
func (e *env) post(fields []cmcic.Field) *page {
	e.t.Helper()
	v := url.Values{}
	for _, f := range fields {
		v.Add(f.Name, f.Value)
	}
	resp, err := e.client.PostForm(e.merchant.URL, v)
	if err != nil {
		e.t.Fatal(err)
	}
	return readPage(e.t, resp)
}

// start posts a correctly signed form and returns the card page.
func (e *env) start() *page {
	e.t.Helper()
	fields, err := e.merchant.Form(demoPayment())
	if err != nil {
		e.t.Fatal(err)
	}
	p := e.post(fields)
	if p.status != http.StatusOK {
		e.t.Fatalf("payment page: HTTP %d\n%s", p.status, p.body)
	}
	return p
}

func (e *env) pay(card string) *page {
	e.t.Helper()
	return e.start().submit(e.client, "card-form", map[string]string{"number": card, "expiry": "12/30", "cvc": "123"})
}

func TestBank_AcceptsSignedForm(t *testing.T) {
	for _, format := range []cmcic.Format{cmcic.Current, cmcic.Legacy} {
		for _, where := range []struct{ mount, path string }{
			{"", "/paiement.cgi"}, {"", "/test/paiement.cgi"}, {"/_bank", "/paiement.cgi"}, {"/_bank", "/test/paiement.cgi"},
		} {
			t.Run(format.String()+where.mount+where.path, func(t *testing.T) {
				e := newEnv(t, format, mounted(where.mount), atPath(where.path))
				p := e.start()
				if got := p.must("banner").Text(); got != "Sandbox bank — no real payment" {
					t.Errorf("banner = %q", got)
				}
				if got := p.must("amount").Text(); got != "62.73 EUR" {
					t.Errorf("amount = %q", got)
				}
				if got := p.must("merchant").Text(); !strings.Contains(got, "monSite1") {
					t.Errorf("merchant = %q", got)
				}
				for id, want := range map[string]string{"card-number": "Card number", "expiry": "Expiry (MM/YY)", "security-code": "Security code"} {
					if got := p.label(id); got != want {
						t.Errorf("label of %s = %q, want %q", id, got, want)
					}
				}
				if got := p.must("pay"); got.Text() != "Pay" || got.attrs["type"] != "submit" {
					t.Errorf("pay button = %q %v", got.Text(), got.attrs)
				}
				if cards := p.must("test-cards").Text(); !strings.Contains(cards, "4242 4242 4242 4242") || !strings.Contains(cards, "4000 0000 0000 3220") {
					t.Errorf("test cards table = %q", cards)
				}
				if strings.Contains(p.body, "<script") {
					t.Error("the card page must work without JavaScript")
				}

				// The relative form action stays under the mount point.
				r := p.submit(e.client, "card-form", map[string]string{"number": "4242 4242 4242 4242", "expiry": "12/30", "cvc": "123"})
				if got := r.must("result").Text(); got != "Payment accepted" {
					t.Fatalf("result = %q", got)
				}
				if !strings.HasPrefix(r.url.Path, where.mount+strings.TrimSuffix(where.path, "paiement.cgi")) {
					t.Errorf("card form posted to %s", r.url.Path)
				}
				if got := r.must("return-link"); got.Text() != "Return to the shop" || got.attrs["href"] != demoPayment().ReturnOK {
					t.Errorf("return link = %q → %q", got.Text(), got.attrs["href"])
				}
			})
		}
	}
}

// handSeal is the current format's seal computed by hand in the test, over
// the usable demo key: an independent check of both sides.
func handSeal(t *testing.T, v url.Values) string {
	t.Helper()
	var names []string
	for name := range v {
		if name != "MAC" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var parts []string
	for _, name := range names {
		parts = append(parts, name+"="+v.Get(name))
	}
	return hmacHex(t, strings.Join(parts, "*"))
}

func hmacHex(t *testing.T, data string) string {
	t.Helper()
	key, err := hex.DecodeString(demoKeyUsable)
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha1.New, key)
	m.Write([]byte(data))
	return hex.EncodeToString(m.Sum(nil))
}

func TestBank_RejectsBadRequest(t *testing.T) {
	signed := func(t *testing.T, e *env) url.Values {
		fields, err := e.merchant.Form(demoPayment())
		if err != nil {
			t.Fatal(err)
		}
		v := url.Values{}
		for _, f := range fields {
			v.Set(f.Name, f.Value)
		}
		return v
	}
	resealed := func(edit func(url.Values)) func(*testing.T, *env) url.Values {
		return func(t *testing.T, e *env) url.Values {
			v := signed(t, e)
			edit(v)
			v.Set("MAC", handSeal(t, v))
			return v
		}
	}
	tests := []struct {
		name   string
		format cmcic.Format
		form   func(*testing.T, *env) url.Values
		want   string
	}{
		{"changed amount", cmcic.Current, func(t *testing.T, e *env) url.Values {
			v := signed(t, e)
			v.Set("montant", "0.01EUR")
			return v
		}, "seal"},
		{"changed reference, legacy", cmcic.Legacy, func(t *testing.T, e *env) url.Values {
			v := signed(t, e)
			v.Set("reference", "OTHER")
			return v
		}, "seal"},
		{"no MAC", cmcic.Current, func(t *testing.T, e *env) url.Values {
			v := signed(t, e)
			v.Del("MAC")
			return v
		}, "seal"},
		{"another key", cmcic.Current, func(t *testing.T, e *env) url.Values {
			v := signed(t, e)
			other, _ := cmcic.ParseKey("abcdefabcdefabcdefabcdefabcdefabcdefabcd")
			c := e.merchant
			c.Key = other
			fields, _ := c.Form(demoPayment())
			v.Set("MAC", fields[len(fields)-1].Value)
			return v
		}, "seal"},
		{"legacy seal to a current terminal", cmcic.Current, func(t *testing.T, e *env) url.Values {
			c := e.merchant
			c.Format = cmcic.Legacy
			fields, _ := c.Form(demoPayment())
			v := url.Values{}
			for _, f := range fields {
				v.Set(f.Name, f.Value)
			}
			return v
		}, "seal"},
		{"valid seal, no return URL", cmcic.Current, resealed(func(v url.Values) { v.Del("url_retour_ok") }), "missing field url_retour_ok"},
		{"valid seal, another TPE", cmcic.Current, resealed(func(v url.Values) { v.Set("TPE", "7654321") }), "unknown terminal"},
		{"valid seal, zero amount", cmcic.Current, resealed(func(v url.Values) { v.Set("montant", "0.00EUR") }), "montant"},
		{"valid seal, no billing address", cmcic.Current, resealed(func(v url.Values) {
			v.Set("contexte_commande", base64.StdEncoding.EncodeToString([]byte(`{"billing":{}}`)))
		}), "billing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.format)
			resp, err := e.client.PostForm(e.merchant.URL, tt.form(t, e))
			if err != nil {
				t.Fatal(err)
			}
			p := readPage(t, resp)
			if p.status != http.StatusBadRequest {
				t.Errorf("HTTP %d, want 400", p.status)
			}
			if msg := p.must("error-message").Text(); !strings.Contains(msg, tt.want) {
				t.Errorf("message %q does not say %q", msg, tt.want)
			}
			if p.byTestID("card-form") != nil {
				t.Error("a rejected request must not get a card page")
			}
		})
	}
}

func TestBank_TestCards(t *testing.T) {
	tests := []struct {
		name       string
		card, cvc  string
		code3DS    string // "" when the card has no 3-D Secure step
		accepted   bool
		motif      string
		status3DS  string // legacy status3ds
		auth       string // current: Status3DS summary
		copies     int
		brand, bin string
		masked     string
	}{
		{"accepted", "4242424242424242", "123", "", true, "", "-1", "not_enrolled/N", 1, "VI", "424242", "42424242******42"},
		{"refused", "4000000000000002", "123", "", false, "Refus", "-1", "not_enrolled/N", 1, "VI", "400000", "40000000******02"},
		{"3-D Secure passed", "4000000000003220", "123", "1234", true, "", "1", "authenticated/Y", 1, "VI", "400000", "40000000******20"},
		{"3-D Secure failed", "4000000000003220", "123", "9999", false, "3DSecure", "4", "not_authenticated/N", 1, "VI", "400000", "40000000******20"},
		{"duplicate", "4000000000000077", "123", "", true, "", "-1", "not_enrolled/N", 2, "VI", "400000", "40000000******77"},
		{"other Luhn-valid Mastercard", "5555555555554444", "123", "", true, "", "-1", "not_enrolled/N", 1, "MC", "555555", "55555555******44"},
		{"other Luhn-valid Amex", "378282246310005", "1234", "", true, "", "-1", "not_enrolled/N", 1, "AM", "378282", "37828224*****05"},
	}
	for _, format := range []cmcic.Format{cmcic.Current, cmcic.Legacy} {
		for _, tt := range tests {
			t.Run(format.String()+"/"+tt.name, func(t *testing.T) {
				e := newEnv(t, format)
				p := e.start().submit(e.client, "card-form", map[string]string{"number": tt.card, "expiry": "12/30", "cvc": tt.cvc})
				pages := []*page{p}
				if tt.code3DS != "" {
					if got := p.must("secure-form"); got == nil || !strings.Contains(p.body, "3-D Secure verification") {
						t.Fatalf("no 3-D Secure page:\n%s", p.body)
					}
					if got := p.must("code-hint").Text(); got != "Enter 1234" {
						t.Errorf("hint = %q", got)
					}
					if got := p.label("verification-code"); got != "Verification code" {
						t.Errorf("label = %q", got)
					}
					if got := p.must("confirm").Text(); got != "Confirm" {
						t.Errorf("button = %q", got)
					}
					if n := len(e.shop.notifications()); n != 0 {
						t.Fatalf("%d notifications before the 3-D Secure step", n)
					}
					p = p.submit(e.client, "secure-form", map[string]string{"code": tt.code3DS})
					pages = append(pages, p)
				}

				want, returnURL := "Payment refused", demoPayment().ReturnErr
				if tt.accepted {
					want, returnURL = "Payment accepted", demoPayment().ReturnOK
				}
				if got := p.must("result").Text(); got != want {
					t.Fatalf("result = %q, want %q", got, want)
				}
				if got := p.must("return-link").attrs["href"]; got != returnURL {
					t.Errorf("return link → %q, want %q", got, returnURL)
				}

				// Synchronous notifications have arrived before the page.
				got := e.shop.notifications()
				if len(got) != tt.copies {
					t.Fatalf("%d notifications, want %d", len(got), tt.copies)
				}
				for _, rcv := range got {
					if rcv.contentType != "application/x-www-form-urlencoded" {
						t.Errorf("Content-Type = %q", rcv.contentType)
					}
					if rcv.body != got[0].body {
						t.Error("duplicate notifications differ")
					}
				}
				n, err := e.merchant.VerifyNotification(got[0].values)
				if err != nil {
					t.Fatalf("VerifyNotification: %v", err)
				}
				if n.Paid() != tt.accepted || n.Refused() == tt.accepted {
					t.Errorf("code-retour %q: Paid=%v", n.Code, n.Paid())
				}
				if tt.accepted && n.Code != "payetest" {
					t.Errorf("code-retour = %q, want payetest", n.Code)
				}
				if n.Reference != "ABERTYP00145" || n.AmountCents != 6273 || n.Currency != "EUR" || n.TPE != "1234567" {
					t.Errorf("notification %+v", n)
				}
				if n.RefusalReason != tt.motif {
					t.Errorf("motifrefus = %q, want %q", n.RefusalReason, tt.motif)
				}
				wantStatus := tt.status3DS
				if format == cmcic.Current {
					wantStatus = tt.auth
				}
				if n.Status3DS != wantStatus {
					t.Errorf("Status3DS = %q, want %q", n.Status3DS, wantStatus)
				}
				if ok := regexp.MustCompile(`^[0-9]{6}$`).MatchString(n.AuthNumber); ok != tt.accepted {
					t.Errorf("numauto = %q", n.AuthNumber)
				}
				if _, err := time.Parse(cmcic.NotifyDateLayout, n.Date); err != nil {
					t.Errorf("date %q: %v", n.Date, err)
				}
				if n.CardBrand != tt.brand {
					t.Errorf("brand = %q, want %q", n.CardBrand, tt.brand)
				}
				f := n.Fields
				for name, want := range map[string]string{
					"montant": "62.73EUR", "texte-libre": "order:ABERTYP00145", "cvx": "oui", "vld": "1230",
					"bincb": tt.bin, "originecb": "FRA", "ipclient": "127.0.0.1",
				} {
					if got := f.Get(name); got != want {
						t.Errorf("%s = %q, want %q", name, got, want)
					}
				}
				if hpan := f.Get("hpancb"); !regexp.MustCompile(`^[0-9A-F]{40}$`).MatchString(hpan) {
					t.Errorf("hpancb = %q", hpan)
				}
				if format == cmcic.Current {
					if f.Get("cbmasquee") != tt.masked || f.Get("modepaiement") != "CB" {
						t.Errorf("cbmasquee = %q, modepaiement = %q", f.Get("cbmasquee"), f.Get("modepaiement"))
					}
				} else if f.Has("cbmasquee") || f.Has("authentification") {
					t.Errorf("legacy notification with current-only fields: %v", f)
				}

				// The number goes nowhere after submission.
				for _, p := range pages {
					assertNoCardNumber(t, "page", p.body, tt.card)
				}
				for _, rcv := range got {
					assertNoCardNumber(t, "notification", rcv.body, tt.card)
				}
				assertNoCardNumber(t, "logs", e.logs.String(), tt.card)
			})
		}
	}
}

func assertNoCardNumber(t *testing.T, where, s, number string) {
	t.Helper()
	if strings.Contains(s, number) || strings.Contains(url.QueryEscape(s), number) {
		t.Errorf("the card number appears in the %s", where)
	}
}

// The seal of the bank's notifications, recomputed by hand from the spec
// with crypto/hmac and the demo key's usable bytes: the sandbox is checked
// against the spec, not only against the shared cmcic code.
func TestBank_NotificationSealMatchesSpec(t *testing.T) {
	t.Run("legacy", func(t *testing.T) {
		e := newEnv(t, cmcic.Legacy)
		e.pay("4242424242424242")
		v := e.shop.waitFor(t, 1, time.Second)[0].values
		positions := []string{"TPE", "date", "montant", "reference", "texte-libre", "version",
			"code-retour", "cvx", "vld", "brand", "status3ds", "numauto", "motifrefus",
			"originecb", "bincb", "hpancb", "ipclient", "originetr", "veres", "pares"}
		var data strings.Builder
		for _, name := range positions {
			val := v.Get(name)
			if name == "version" {
				val = "3.0"
			}
			data.WriteString(val + "*")
		}
		if got, want := v.Get("MAC"), hmacHex(t, data.String()); got != want {
			t.Errorf("MAC = %s, by hand %s over %q", got, want, data.String())
		}
		if strings.Count(data.String(), "*") != 20 {
			t.Errorf("sealed string has %d stars", strings.Count(data.String(), "*"))
		}
	})
	t.Run("current", func(t *testing.T) {
		e := newEnv(t, cmcic.Current)
		e.pay("4000000000000002")
		v := e.shop.waitFor(t, 1, time.Second)[0].values
		if got, want := v.Get("MAC"), handSeal(t, v); got != want {
			t.Errorf("MAC = %s, by hand %s", got, want)
		}
		raw, err := base64.StdEncoding.DecodeString(v.Get("authentification"))
		if err != nil {
			t.Fatal(err)
		}
		var auth struct {
			Status  string            `json:"status"`
			Details map[string]string `json:"details"`
		}
		if err := json.Unmarshal(raw, &auth); err != nil || auth.Status != "not_enrolled" {
			t.Errorf("authentification = %s (%v)", raw, err)
		}
	})
}

func TestBank_LateNotification(t *testing.T) {
	const delay = 300 * time.Millisecond
	e := newEnv(t, cmcic.Current, notifyDelay(delay))
	p := e.pay("4000000000000341")
	shownAt := time.Now()
	if got := p.must("result").Text(); got != "Payment accepted" {
		t.Fatalf("result = %q", got)
	}
	p.must("late-note")
	if n := len(e.shop.notifications()); n != 0 {
		t.Fatalf("%d notifications before the return link was shown", n)
	}
	got := e.shop.waitFor(t, 1, 5*time.Second)
	if !got[0].at.After(shownAt) {
		t.Error("the late notification arrived before the result page")
	}
	if _, err := e.merchant.VerifyNotification(got[0].values); err != nil {
		t.Error(err)
	}
	time.Sleep(2 * delay)
	if n := len(e.shop.notifications()); n != 1 {
		t.Errorf("%d notifications, want 1", n)
	}
}

func TestBank_CloseSendsLateNotifications(t *testing.T) {
	e := newEnv(t, cmcic.Legacy, notifyDelay(time.Hour))
	e.pay("4000000000000341")
	if n := len(e.shop.notifications()); n != 0 {
		t.Fatalf("%d notifications before Close", n)
	}
	start := time.Now()
	e.bank.Close()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v", d)
	}
	if n := len(e.shop.notifications()); n != 1 {
		t.Fatalf("%d notifications after Close, want 1", n)
	}
	e.bank.Close() // a second Close is harmless
}

func TestBank_RetriesOnce(t *testing.T) {
	t.Run("bad answer then acknowledged", func(t *testing.T) {
		e := newEnv(t, cmcic.Current, shopAnswers(cmcic.AckBadMAC))
		e.pay("4242424242424242")
		got := e.shop.notifications()
		if len(got) != 2 || got[0].body != got[1].body {
			t.Fatalf("%d notifications, want the same one twice", len(got))
		}
		if !strings.Contains(e.logs.String(), "retrying once") {
			t.Errorf("no warning logged:\n%s", e.logs.String())
		}
	})
	t.Run("never acknowledged", func(t *testing.T) {
		e := newEnv(t, cmcic.Current, shopAnswers("OK", "version=2\ncdr=0"))
		e.pay("4242424242424242")
		if n := len(e.shop.notifications()); n != 2 {
			t.Fatalf("%d attempts, want 2", n)
		}
		if !strings.Contains(e.logs.String(), "after the retry") {
			t.Errorf("no error logged:\n%s", e.logs.String())
		}
	})
}

func TestBank_BadCardEntry(t *testing.T) {
	e := newEnv(t, cmcic.Current)
	card := e.start()
	const badNumber = "4242424242424241"
	p := card.submit(e.client, "card-form", map[string]string{"number": badNumber, "expiry": "01/20", "cvc": "12"})
	if p.status != http.StatusUnprocessableEntity {
		t.Errorf("HTTP %d, want 422", p.status)
	}
	for _, id := range []string{"number-error", "expiry-error", "code-error"} {
		if p.must(id).Text() == "" {
			t.Errorf("%s is empty", id)
		}
	}
	if v := p.must("card-number").attrs["value"]; v != "" {
		t.Errorf("the number was echoed back: %q", v)
	}
	if v := p.must("expiry").attrs["value"]; v != "01/20" {
		t.Errorf("expiry not kept: %q", v)
	}
	assertNoCardNumber(t, "page", p.body, badNumber)
	assertNoCardNumber(t, "logs", e.logs.String(), badNumber)
	if n := len(e.shop.notifications()); n != 0 {
		t.Fatalf("%d notifications for a bad entry", n)
	}

	tests := []struct{ number, expiry, cvc, field string }{
		{"", "12/30", "123", "number-error"},
		{"4242-4242-4242-424x", "12/30", "123", "number-error"},
		{"42424242424", "12/30", "123", "number-error"},
		{"4242424242424242", "13/30", "123", "expiry-error"},
		{"4242424242424242", "1230", "123", "expiry-error"},
		{"4242424242424242", "06/26", "123", "expiry-error"}, // the clock is in July 2026
		{"4242424242424242", "12/30", "12a", "code-error"},
	}
	for _, tt := range tests {
		q := card.submit(e.client, "card-form", map[string]string{"number": tt.number, "expiry": tt.expiry, "cvc": tt.cvc})
		if q.status != http.StatusUnprocessableEntity || q.byTestID(tt.field) == nil {
			t.Errorf("%q %q %q: HTTP %d, want 422 with %s", tt.number, tt.expiry, tt.cvc, q.status, tt.field)
		}
	}

	// Re-entry on the page that came back works; the current month is valid.
	ok := p.submit(e.client, "card-form", map[string]string{"number": "4242 4242 4242 4242", "expiry": "07/2026", "cvc": "123"})
	if got := ok.must("result").Text(); got != "Payment accepted" {
		t.Fatalf("after re-entry: %q", got)
	}
	if n := len(e.shop.notifications()); n != 1 {
		t.Errorf("%d notifications, want 1", n)
	}
}

func TestBank_ResubmitShowsFirstDecision(t *testing.T) {
	e := newEnv(t, cmcic.Current)
	card := e.start()
	first := card.submit(e.client, "card-form", map[string]string{"number": "4000000000000002", "expiry": "12/30", "cvc": "123"})
	again := card.submit(e.client, "card-form", map[string]string{"number": "4242424242424242", "expiry": "12/30", "cvc": "123"})
	if a, b := first.must("result").Text(), again.must("result").Text(); a != "Payment refused" || b != a {
		t.Errorf("first %q, again %q", a, b)
	}
	if n := len(e.shop.notifications()); n != 1 {
		t.Errorf("%d notifications, want 1", n)
	}
}

func TestBank_ConcurrentSubmitsDecideOnce(t *testing.T) {
	e := newEnv(t, cmcic.Legacy)
	card := e.start()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			card.submit(e.client, "card-form", map[string]string{"number": "4242424242424242", "expiry": "12/30", "cvc": "123"})
		})
	}
	wg.Wait()
	if n := len(e.shop.notifications()); n != 1 {
		t.Errorf("%d notifications, want 1", n)
	}
}

func TestBank_PaymentExpires(t *testing.T) {
	e := newEnv(t, cmcic.Current)
	card := e.start()
	e.clock.Advance(61 * time.Minute)
	p := card.submit(e.client, "card-form", map[string]string{"number": "4242424242424242", "expiry": "12/30", "cvc": "123"})
	if p.status != http.StatusNotFound || p.byTestID("error-message") == nil {
		t.Errorf("HTTP %d, want 404 with a message", p.status)
	}
	if n := len(e.shop.notifications()); n != 0 {
		t.Errorf("%d notifications for an expired payment", n)
	}
	resp, err := e.client.PostForm(strings.TrimSuffix(e.merchant.URL, "paiement.cgi")+"3ds", url.Values{"id": {"nope"}, "code": {"1234"}})
	if err != nil {
		t.Fatal(err)
	}
	if p := readPage(t, resp); p.status != http.StatusNotFound {
		t.Errorf("3ds with an unknown id: HTTP %d", p.status)
	}
}

func TestBank_Index(t *testing.T) {
	e := newEnv(t, cmcic.Legacy)
	resp, err := e.client.Get(strings.TrimSuffix(e.merchant.URL, "paiement.cgi"))
	if err != nil {
		t.Fatal(err)
	}
	p := readPage(t, resp)
	if p.status != http.StatusOK || p.must("format").Text() != "legacy" || p.must("tpe").Text() != "1234567" {
		t.Errorf("index: HTTP %d\n%s", p.status, p.body)
	}
	resp, err = e.client.Get(e.merchant.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET paiement.cgi: HTTP %d, want 405", resp.StatusCode)
	}
}

func TestConfig_Validate(t *testing.T) {
	key, _ := cmcic.ParseKey(demoKey)
	good := sandbox.Config{Bank: cmcic.Config{TPE: "1234567", Key: key}, NotifyURL: "http://127.0.0.1:8080/payment/cmcic/notify"}
	tests := []struct {
		name string
		edit func(*sandbox.Config)
		ok   bool
	}{
		{"good", func(*sandbox.Config) {}, true},
		{"short TPE", func(c *sandbox.Config) { c.Bank.TPE = "123" }, false},
		{"no key", func(c *sandbox.Config) { c.Bank.Key = cmcic.Key{} }, false},
		{"bad format", func(c *sandbox.Config) { c.Bank.Format = 5 }, false},
		{"relative notify URL", func(c *sandbox.Config) { c.NotifyURL = "/payment/cmcic/notify" }, false},
		{"no notify URL", func(c *sandbox.Config) { c.NotifyURL = "" }, false},
	}
	for _, tt := range tests {
		c := good
		tt.edit(&c)
		if err := c.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v", tt.name, err)
		}
	}
}

var _ http.Handler = (*sandbox.Bank)(nil)
