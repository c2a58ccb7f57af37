package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"shop/payment/cmcic"
)

// paymentTTL is how long a payment page stays usable, like a bank session.
const paymentTTL = time.Hour

// state is where a payment is in the bank's pages.
type state int

const (
	awaitingCard state = iota
	awaiting3DS
	decided
)

// payment is one payment request between the shop's form and the outcome.
// It never holds the card number: only what the notification needs.
type payment struct {
	id      string
	created time.Time
	ip      string

	// From the shop's form, as received (montant is echoed verbatim).
	tpe, societe, reference, montant, freeText, returnOK, returnErr string
	cents                                                           int64
	currency                                                        string

	state   state
	card    cardSummary // set once a card is read
	outcome outcome     // set once decided
}

// payments is the in-memory store of payments, keyed by a random id carried
// in a hidden field.
type payments struct {
	mu    sync.Mutex
	m     map[string]*payment
	swept time.Time // when expired payments were last dropped
}

// sweepEvery is how often add drops expired payments: walking the map on every payment
// made a burst of n payments cost n² steps. update refuses an expired one meanwhile.
const sweepEvery = time.Minute

func newPayments() *payments { return &payments{m: make(map[string]*payment)} }

// add stores p under a new id, dropping expired payments at most once every sweepEvery.
func (s *payments) add(p payment, now time.Time) payment {
	p.id = rand.Text()
	p.created = now
	s.mu.Lock()
	defer s.mu.Unlock()
	// Either way: a payment whose clock was read before another's may take the lock after.
	if d := now.Sub(s.swept); d >= sweepEvery || d <= -sweepEvery {
		for id, q := range s.m {
			if now.Sub(q.created) > paymentTTL {
				delete(s.m, id)
			}
		}
		s.swept = now
	}
	s.m[p.id] = &p
	return p
}

var errUnknownPayment = errors.New("unknown or expired payment")

// update runs change on the payment under the lock, so a double submit sees
// the first one's result rather than deciding twice, and returns a copy.
func (s *payments) update(id string, now time.Time, change func(*payment)) (payment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.m[id]
	if !ok || now.Sub(p.created) > paymentTTL {
		return payment{}, errUnknownPayment
	}
	if change != nil {
		change(p)
	}
	return *p, nil
}

// receiveForm is the bank's payment page: the shop's form arrives here.
func (b *Bank) receiveForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		b.errorPage(w, http.StatusBadRequest, "Payment request rejected", "The payment request could not be read.")
		return
	}
	form := r.PostForm
	if err := b.cfg.Bank.VerifyForm(form); err != nil {
		b.log.Warn("payment request with an invalid seal", "reference", form.Get("reference"), "err", err)
		b.errorPage(w, http.StatusBadRequest, "Payment request rejected",
			"The merchant's seal (MAC) is invalid: this request was not signed with the terminal's key, or was changed on the way.")
		return
	}
	p, err := b.readRequest(form)
	if err != nil {
		b.log.Warn("payment request rejected", "reference", form.Get("reference"), "err", err)
		b.errorPage(w, http.StatusBadRequest, "Payment request rejected", "The payment request is invalid: "+err.Error()+".")
		return
	}
	p.ip = clientIP(r)
	p = b.payments.add(p, b.now())
	b.log.Info("payment request received", "reference", p.reference, "montant", p.montant)
	b.renderCard(w, http.StatusOK, p, cardErrors{}, "")
}

// readRequest checks a sealed payment request the way the bank does, so that
// a shop bug shows here rather than at the real bank.
func (b *Bank) readRequest(v url.Values) (payment, error) {
	required := []string{"version", "TPE", "date", "montant", "reference", "mail", "societe", "url_retour_ok", "url_retour_err"}
	if b.cfg.Bank.Format == cmcic.Current {
		required = append(required, "contexte_commande")
	}
	for _, name := range required {
		if v.Get(name) == "" {
			return payment{}, fmt.Errorf("missing field %s", name)
		}
	}
	if v.Get("version") != "3.0" {
		return payment{}, fmt.Errorf("version %q is not 3.0", v.Get("version"))
	}
	if v.Get("TPE") != b.cfg.Bank.TPE {
		return payment{}, fmt.Errorf("unknown terminal (TPE) %q", v.Get("TPE"))
	}
	if _, err := time.Parse(cmcic.DateLayout, v.Get("date")); err != nil {
		return payment{}, fmt.Errorf("date %q is not dd/mm/yyyy:hh:mm:ss", v.Get("date"))
	}
	cents, currency, err := cmcic.ParseAmount(v.Get("montant"))
	if err != nil || cents == 0 {
		return payment{}, fmt.Errorf("montant %q is not a positive amount with its currency", v.Get("montant"))
	}
	if ref := v.Get("reference"); len(ref) > 50 || !isAlnum(ref) {
		return payment{}, fmt.Errorf("reference %q is not 1 to 50 letters or digits", ref)
	}
	for _, name := range []string{"url_retour_ok", "url_retour_err"} {
		u, err := url.Parse(v.Get(name))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return payment{}, fmt.Errorf("%s is not an absolute http(s) URL", name)
		}
	}
	if b.cfg.Bank.Format == cmcic.Current {
		if err := checkOrderContext(v.Get("contexte_commande")); err != nil {
			return payment{}, err
		}
	}
	// Copies: a value the form did not escape is a slice of the request's whole body,
	// which a payment kept for paymentTTL would keep too. In make bench the bank's
	// payments of one row held 4 MB of bodies, a tenth of the shop's memory limit.
	keep := func(name string) string { return strings.Clone(v.Get(name)) }
	return payment{
		tpe: keep("TPE"), societe: keep("societe"), reference: keep("reference"),
		montant: keep("montant"), freeText: keep("texte-libre"),
		returnOK: keep("url_retour_ok"), returnErr: keep("url_retour_err"),
		cents: cents, currency: strings.Clone(currency),
	}, nil
}

// checkOrderContext checks the mandatory billing address of the current
// format's contexte_commande.
func checkOrderContext(b64 string) error {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return errors.New("contexte_commande is not Base64")
	}
	var ctx struct {
		Billing map[string]any `json:"billing"`
	}
	if err := json.Unmarshal(raw, &ctx); err != nil {
		return errors.New("contexte_commande is not JSON")
	}
	for _, name := range []string{"addressLine1", "city", "postalCode", "country"} {
		if s, _ := ctx.Billing[name].(string); s == "" {
			return fmt.Errorf("contexte_commande has no billing %s", name)
		}
	}
	return nil
}
