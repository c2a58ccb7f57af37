package cmcic

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// NotifyDateLayout is the date of a notification.
const NotifyDateLayout = "02/01/2006_a_15:04:05"

// The acknowledgements the shop answers to a notification (HTTP 200,
// text/plain), whatever the payment outcome: cdr=0 when the seal is valid,
// cdr=1 when it is not. Anything else makes the bank alert the merchant and
// retry.
const (
	AckOK     = "version=2\ncdr=0\n"
	AckBadMAC = "version=2\ncdr=1\n"
)

// ErrBadMAC means the seal is missing, malformed or wrong, or cannot be
// checked unambiguously (a parameter sent twice). Answer AckBadMAC and
// change nothing.
var ErrBadMAC = errors.New("cmcic: invalid seal (MAC)")

// ErrBadContent means the seal is valid but a value cannot be used (an
// unreadable montant, another terminal's TPE). The bank did send it, so
// answer AckOK (cdr=0: answering cdr=1 would claim the seal is wrong and make
// the bank retry the same content); record the notification for a human and
// do not mark the order paid.
var ErrBadContent = errors.New("cmcic: notification sealed correctly but unusable")

// Notification is a verified notification from the bank.
type Notification struct {
	Fields        url.Values // everything received, for the audit record
	TPE           string
	Reference     string
	Code          string // code-retour
	AmountCents   int64
	Currency      string
	Date          string // as sent, NotifyDateLayout
	AuthNumber    string // numauto
	RefusalReason string // motifrefus
	// Status3DS is the legacy status3ds, or for the current format a short
	// summary "status/liabilityShift" of the authentification field.
	Status3DS  string
	CardBrand  string // brand: AM CB MC VI na
	Instalment int    // N of paiement_pfN / Annulation_pfN, 0 otherwise
}

// Paid reports whether the bank accepted the payment (or one instalment of
// it). payetest is the test terminals' code for an accepted payment.
func (n Notification) Paid() bool {
	code, _ := splitInstalment(n.Code)
	return code == "paiement" || code == "payetest"
}

// Test reports whether the bank's test server sent it: an accepted payment on a test
// terminal, which moves no money.
func (n Notification) Test() bool { return n.Code == "payetest" }

// Refused reports whether the bank refused the payment (or one instalment).
// A reference can be refused several times and then paid.
func (n Notification) Refused() bool {
	code, _ := splitInstalment(n.Code)
	return code == "Annulation"
}

// splitInstalment splits "paiement_pf2" into "paiement" and 2. A code that
// is not exactly that shape comes back whole with 0.
func splitInstalment(code string) (string, int) {
	base, num, ok := strings.Cut(code, "_pf")
	if !ok || (base != "paiement" && base != "Annulation") || num == "" || !isDigits(num) || len(num) > 2 {
		return code, 0
	}
	n, _ := strconv.Atoi(num)
	if n == 0 {
		return code, 0
	}
	return base, n
}

// VerifyNotification checks the seal of a notification received as v (the
// POST body, or the query of the replay link) and parses it.
//
// Current format: the seal covers every parameter received except MAC, so a
// field the bank adds later is covered too. Legacy: the fixed 20 positions.
// Errors: ErrBadMAC (answer AckBadMAC) or ErrBadContent (valid seal: answer
// AckOK); both are wrapped with a reason, test them with errors.Is. The
// returned Notification has Fields set even on error, for the audit record.
func (c Config) VerifyNotification(v url.Values) (Notification, error) {
	n := Notification{Fields: cloneValues(v)}
	fields, err := singleFields(v)
	if err != nil {
		return n, err
	}
	mac := v.Get(macField)
	if mac == "" {
		return n, fmt.Errorf("%w: no MAC field", ErrBadMAC)
	}
	// Either format's seal is valid: a bank moves a terminal from one to the other on
	// its own day, not on the day the shop's setting changes, and the protocol's answer
	// is cdr=0 for any valid seal. Whichever matched, the fields are checked the same
	// way below (terminal, amount) and then against the order.
	//
	// Both formats join with '*', and so does the outgoing form sealed with the same key:
	// a star or an equals sign where the format puts none would let a shopper who typed
	// them into the form's e-mail present its seal as a notification's. So a field name
	// must be a plain name, and a legacy value holds no star.
	for _, f := range fields {
		if !isFieldName(f.Name) {
			return n, fmt.Errorf("%w: parameter name %.40q", ErrBadMAC, f.Name)
		}
	}
	other := Current
	if c.Format == Current {
		other = Legacy
	}
	format := c.Format
	if !c.verifiesAs(format, fields, mac) {
		if !c.verifiesAs(other, fields, mac) {
			return n, ErrBadMAC
		}
		format = other
	}

	get := lookup(fields)
	n.TPE = get("TPE")
	n.Reference = get("reference")
	n.Code = get("code-retour")
	n.Date = get("date")
	n.AuthNumber = get("numauto")
	n.RefusalReason = get("motifrefus")
	n.CardBrand = get("brand")
	n.Status3DS = get("status3ds")
	if format == Current {
		if s := authSummary(get("authentification")); s != "" {
			n.Status3DS = s
		}
	}
	_, n.Instalment = splitInstalment(n.Code)

	if c.TPE != "" && n.TPE != c.TPE {
		return n, fmt.Errorf("%w: TPE %q is not this terminal", ErrBadContent, n.TPE)
	}
	if n.AmountCents, n.Currency, err = ParseAmount(get("montant")); err != nil {
		return n, fmt.Errorf("%w: %v", ErrBadContent, err)
	}
	return n, nil
}

// verifiesAs reports whether mac seals fields in format f.
func (c Config) verifiesAs(f Format, fields []Field, mac string) bool {
	c.Format = f
	if f == Legacy && starInValues(fields, legacyNotificationOrder) {
		return false
	}
	return c.Key.Verify(c.notificationInput(fields), mac)
}

// SealNotification is the bank's side of VerifyNotification: it returns
// fields (any MAC in them dropped) followed by their MAC in c.Format. Used by
// the sandbox and by tests.
func (c Config) SealNotification(fields []Field) []Field {
	return c.withMAC(fields, c.notificationInput)
}

// singleFields turns received parameters into fields, refusing a name sent
// twice: which value the seal covers would be a guess, and a guess is how a
// forged value slips past a valid seal.
func singleFields(v url.Values) ([]Field, error) {
	names := make([]string, 0, len(v))
	for name := range v {
		names = append(names, name)
	}
	slices.Sort(names) // deterministic error messages
	fields := make([]Field, 0, len(v))
	for _, name := range names {
		switch len(v[name]) {
		case 0:
			continue
		case 1:
			fields = append(fields, Field{name, v[name][0]})
		default:
			return nil, fmt.Errorf("%w: parameter %.40q sent %d times", ErrBadMAC, name, len(v[name]))
		}
	}
	return fields, nil
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// authSummary reduces the current format's authentification field (Base64
// JSON) to "status/liabilityShift"; "" when absent or unreadable, since it
// only informs.
func authSummary(b64 string) string {
	if b64 == "" {
		return ""
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		if raw, err = base64.RawStdEncoding.DecodeString(b64); err != nil {
			return ""
		}
	}
	var a struct {
		Status  string `json:"status"`
		Details struct {
			LiabilityShift string `json:"liabilityShift"`
		} `json:"details"`
	}
	if json.Unmarshal(raw, &a) != nil || a.Status == "" {
		return ""
	}
	if a.Details.LiabilityShift == "" {
		return a.Status
	}
	return a.Status + "/" + a.Details.LiabilityShift
}
