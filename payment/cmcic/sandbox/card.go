package sandbox

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// behaviour is what a test card makes the bank do.
type behaviour int

const (
	accept behaviour = iota
	refuse
	threeDS
	duplicate // accepted, notified twice
	late      // accepted, notified after the shopper has the return link
)

// testCard is a number with a fixed outcome, shown on the card page.
type testCard struct {
	number    string
	behaviour behaviour
	outcome   string
}

var testCards = []testCard{
	{"4242424242424242", accept, "Accepted"},
	{"4000000000000002", refuse, "Refused (Refus)"},
	{"4000000000003220", threeDS, "3-D Secure: asks for a verification code (1234 passes)"},
	{"4000000000000077", duplicate, "Accepted; the notification is sent twice"},
	{"4000000000000341", late, "Accepted; the notification comes late, after the return link"},
}

// secureCode is the one 3-D Secure code that passes; the page shows it.
const secureCode = "1234"

// cardSummary is what the bank keeps of a card: enough for the notification,
// never the number.
type cardSummary struct {
	behaviour behaviour
	brand     string // VI MC AM na
	bin       string // first 6 digits
	masked    string // first 8, stars, last 2
	last4     string
	vld       string // expiry MMYY
	hpan      string // keyed hash of the number
}

// cardErrors are the card page's messages, one per field.
type cardErrors struct{ Number, Expiry, Code string }

func (e cardErrors) any() bool { return e != cardErrors{} }

// readCard checks what the shopper typed and reduces it to a summary. The
// number goes no further than this function.
func (b *Bank) readCard(number, expiry, code string, now time.Time) (cardSummary, cardErrors) {
	var errs cardErrors
	number = strings.NewReplacer(" ", "", "-", "").Replace(number)
	switch {
	case number == "":
		errs.Number = "Enter the card number."
	case !isDigits(number):
		errs.Number = "The card number must contain only digits."
	case len(number) < 12 || len(number) > 19:
		errs.Number = "The card number must have 12 to 19 digits."
	case !luhn(number):
		errs.Number = "This card number is not valid: check it and type it again."
	}
	vld, expErr := readExpiry(expiry, now)
	errs.Expiry = expErr
	if code = strings.TrimSpace(code); (len(code) != 3 && len(code) != 4) || !isDigits(code) {
		errs.Code = "Enter the 3 or 4 digits of the security code."
	}
	if errs.any() {
		return cardSummary{}, errs
	}
	// Copies, not slices of number: a slice keeps the whole string alive, and that is
	// often the request's body, which holds the full number, for as long as the payment
	// is kept.
	c := cardSummary{
		behaviour: accept,
		brand:     brand(number),
		bin:       strings.Clone(number[:6]),
		masked:    number[:8] + strings.Repeat("*", len(number)-10) + number[len(number)-2:],
		last4:     strings.Clone(number[len(number)-4:]),
		vld:       vld,
	}
	for _, tc := range testCards {
		if tc.number == number {
			c.behaviour = tc.behaviour
		}
	}
	m := hmac.New(sha1.New, b.hpanKey)
	m.Write([]byte(number))
	c.hpan = strings.ToUpper(hex.EncodeToString(m.Sum(nil)))
	return c, cardErrors{}
}

// readExpiry reads MM/YY or MM/YYYY; a card is valid through the last day of
// its month. It returns the notification's vld (MMYY) or a message.
func readExpiry(s string, now time.Time) (string, string) {
	mm, yy, ok := strings.Cut(strings.ReplaceAll(s, " ", ""), "/")
	if !ok || len(mm) != 2 || !isDigits(mm) || (len(yy) != 2 && len(yy) != 4) || !isDigits(yy) {
		return "", "Enter the expiry date as MM/YY."
	}
	month, _ := strconv.Atoi(mm)
	year, _ := strconv.Atoi(yy)
	if len(yy) == 2 {
		year += 2000
	}
	if month < 1 || month > 12 {
		return "", "The expiry month must be 01 to 12."
	}
	if firstAfter := time.Date(year, time.Month(month)+1, 1, 0, 0, 0, 0, now.Location()); !now.Before(firstAfter) {
		return "", "This card has expired."
	}
	return fmt.Sprintf("%02d%02d", month, year%100), ""
}

func luhn(number string) bool {
	sum := 0
	for i := len(number) - 1; i >= 0; i-- {
		d := int(number[i] - '0')
		if (len(number)-i)%2 == 0 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// brand is the notification's brand code, from the number's prefix.
func brand(number string) string {
	p2, _ := strconv.Atoi(number[:2])
	p6, _ := strconv.Atoi(number[:6])
	switch {
	case number[0] == '4':
		return "VI"
	case p2 >= 51 && p2 <= 55, p6 >= 222100 && p6 <= 272099:
		return "MC"
	case p2 == 34 || p2 == 37:
		return "AM"
	}
	return "na"
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// outcome is the bank's decision and what the notification says about it.
type outcome struct {
	accepted   bool
	code       string // code-retour
	authNumber string // numauto
	refusal    string // motifrefus
	status3DS  string // legacy status3ds
	veres      string
	pares      string
	auth       authentication // current format's authentification
	copies     int            // notifications to send
	late       bool
	date       time.Time
}

// authentication is the current format's authentification field.
type authentication struct {
	Protocol string `json:"protocol"`
	Version  string `json:"version"`
	Status   string `json:"status"`
	Details  struct {
		LiabilityShift string `json:"liabilityShift"`
	} `json:"details"`
}

func newAuthentication(status, liabilityShift string) authentication {
	a := authentication{Protocol: "3DSecure", Version: "2.2.0", Status: status}
	a.Details.LiabilityShift = liabilityShift
	return a
}

// decideCard is the outcome of a card without 3-D Secure.
func decideCard(c cardSummary, now time.Time) outcome {
	o := outcome{
		status3DS: "-1",
		auth:      newAuthentication("not_enrolled", "N"),
		copies:    1,
		date:      now,
	}
	switch c.behaviour {
	case refuse:
		o.code, o.refusal = "Annulation", "Refus"
		return o
	case duplicate:
		o.copies = 2
	case late:
		o.late = true
	}
	o.accepted, o.code, o.authNumber = true, "payetest", authNumber()
	return o
}

// decide3DS is the outcome of the 3-D Secure step.
func decide3DS(code string, now time.Time) outcome {
	o := outcome{copies: 1, date: now, veres: "Y"}
	if strings.TrimSpace(code) != secureCode {
		o.code, o.refusal, o.status3DS, o.pares = "Annulation", "3DSecure", "4", "N"
		o.auth = newAuthentication("not_authenticated", "N")
		return o
	}
	o.accepted, o.code, o.authNumber = true, "payetest", authNumber()
	o.status3DS, o.pares = "1", "Y"
	o.auth = newAuthentication("authenticated", "Y")
	return o
}

// authNumber is a made-up authorisation number; not a secret.
func authNumber() string { return fmt.Sprintf("%06d", rand.IntN(1_000_000)) }

// submitCard reads the card page: on a bad entry the page comes back with
// the messages (and without the number); otherwise the card decides.
func (b *Bank) submitCard(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	now := b.now()
	id := r.PostFormValue("id")
	p, err := b.payments.update(id, now, nil)
	if err != nil {
		b.unknownPayment(w)
		return
	}
	if p.state != awaitingCard {
		b.showState(w, p)
		return
	}
	card, errs := b.readCard(r.PostFormValue("number"), r.PostFormValue("expiry"), r.PostFormValue("cvc"), now)
	if errs.any() {
		b.renderCard(w, http.StatusUnprocessableEntity, p, errs, r.PostFormValue("expiry"))
		return
	}
	var decidedNow bool
	p, err = b.payments.update(id, now, func(p *payment) {
		if p.state != awaitingCard {
			return // a concurrent submit got there first
		}
		p.card = card
		if card.behaviour == threeDS {
			p.state = awaiting3DS
			return
		}
		p.state, p.outcome, decidedNow = decided, decideCard(card, now), true
	})
	if err != nil {
		b.unknownPayment(w)
		return
	}
	if decidedNow {
		b.deliver(p)
	}
	b.showState(w, p)
}

// confirm3DS reads the 3-D Secure page: the right code accepts, any other
// refuses (motifrefus 3DSecure), as an issuer would after a failed challenge.
func (b *Bank) confirm3DS(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	now := b.now()
	var decidedNow bool
	p, err := b.payments.update(r.PostFormValue("id"), now, func(p *payment) {
		if p.state != awaiting3DS {
			return
		}
		p.state, p.outcome, decidedNow = decided, decide3DS(r.PostFormValue("code"), now), true
	})
	if err != nil {
		b.unknownPayment(w)
		return
	}
	if decidedNow {
		b.deliver(p)
	}
	b.showState(w, p)
}

// showState shows the page a payment is at, so a resubmitted form shows the
// first decision again instead of deciding (and notifying) twice.
func (b *Bank) showState(w http.ResponseWriter, p payment) {
	switch p.state {
	case awaitingCard:
		b.renderCard(w, http.StatusOK, p, cardErrors{}, "")
	case awaiting3DS:
		b.render(w, http.StatusOK, pageSecure, secureView{
			ID: p.id, Action: "3ds", Merchant: merchant(p), Amount: displayAmount(p),
			Card: "•••• " + p.card.last4,
		})
	default:
		v := resultView{
			Accepted: p.outcome.accepted, Merchant: merchant(p), Amount: displayAmount(p),
			Reference: p.reference, AuthNumber: p.outcome.authNumber, Reason: p.outcome.refusal,
			Late: p.outcome.late, ReturnURL: p.returnErr,
		}
		if p.outcome.accepted {
			v.ReturnURL = p.returnOK
		}
		b.render(w, http.StatusOK, pageResult, v)
	}
}

func (b *Bank) unknownPayment(w http.ResponseWriter) {
	b.errorPage(w, http.StatusNotFound, "Payment not found",
		"This payment is unknown or has expired. Go back to the shop and start the payment again.")
}
