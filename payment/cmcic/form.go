package cmcic

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// DateLayout is the date of the outgoing form, in the terminal's local time
// (the caller chooses the time zone of Payment.Date).
const DateLayout = "02/01/2006:15:04:05"

// Field is one name/value pair of the form or of a notification. The order of
// a []Field is the order in which the form is written; the seal does not
// depend on it.
type Field struct{ Name, Value string }

// Config is one terminal (TPE) at the bank.
type Config struct {
	URL     string // bank payment page the form posts to
	TPE     string // 7 chars [A-Za-z0-9]
	Key     Key
	Societe string // [A-Za-z0-9] ≤ 20, the site code given by the bank
	Format  Format
	// Test says the terminal is a test terminal whatever its URL: the sandbox bank,
	// served by the shop itself (at an https address when the shop has one).
	Test bool
}

// Validate checks the configuration before any payment uses it, so that a
// typo shows at start-up rather than as a rejected payment.
func (c Config) Validate() error {
	if err := CheckTPE(c.TPE); err != nil {
		return err
	}
	if err := CheckSociete(c.Societe); err != nil {
		return err
	}
	if c.Key.isZero() {
		return errors.New("cmcic: key is missing")
	}
	if c.Format != Current && c.Format != Legacy {
		return fmt.Errorf("cmcic: unknown seal format %v", c.Format)
	}
	return CheckURL(c.URL)
}

// CheckTPE checks a terminal number: 7 letters or digits.
func CheckTPE(s string) error {
	if len(s) != 7 || !isAlnum(s) {
		return fmt.Errorf("cmcic: TPE must be 7 letters or digits, got %q", s)
	}
	return nil
}

// CheckSociete checks a site code: 1 to 20 letters or digits.
func CheckSociete(s string) error {
	if s == "" || len(s) > 20 || !isAlnum(s) {
		return fmt.Errorf("cmcic: societe must be 1 to 20 letters or digits, got %q", s)
	}
	return nil
}

// CheckURL checks a bank payment page's address: an absolute http(s) URL.
func CheckURL(s string) error {
	if !isAbsoluteHTTP(s) {
		return fmt.Errorf("cmcic: bank URL must be an absolute http(s) URL, got %q", s)
	}
	// The shoppers' browsers post the sealed form there: a host they can reach, a real
	// port, and no name and password, which browsers drop or ask about.
	u, _ := url.Parse(s)
	if u.User != nil {
		return fmt.Errorf("cmcic: bank URL must not hold a user name or password, got %q", s)
	}
	if !bankHost(u.Hostname()) {
		return fmt.Errorf("cmcic: bank URL's host %q is not a domain name or IP address", u.Hostname())
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("cmcic: bank URL's port must be a number from 1 to 65535, got %q", p)
		}
	}
	return nil
}

// domainName is dot-separated labels of letters, digits and inner hyphens.
var domainName = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

func bankHost(host string) bool {
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Zone() == ""
	}
	return domainName.MatchString(host)
}

// Production reports whether the form goes to a bank's real payment page, where a
// "payetest" answer cannot be a payment: it comes from the bank's test server, which
// takes the same terminal's forms (a shopper can post the form there) and moves no money.
// A real page is any HTTPS page off this machine outside /test/ (the banks' test pages,
// https://p.monetico-services.com/test/paiement.cgi and the like); a test terminal
// (the sandbox) and a development bank on plain HTTP or on loopback are test pages.
func (c Config) Production() bool {
	if c.Test {
		return false
	}
	u, err := url.Parse(c.URL)
	if err != nil || u.Scheme != "https" || strings.Contains(u.Path, "/test/") {
		return false
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if ip, err := netip.ParseAddr(host); err == nil {
		return !ip.IsLoopback()
	}
	return host != "localhost" && !strings.HasSuffix(host, ".localhost")
}

// Address is a billing or shipping address. Current-format terminals must
// send the billing address (3-D Secure v2 uses it).
type Address struct {
	Name, Line1, Line2, PostalCode, City string
	Country                              string // ISO 3166-1 alpha-2, upper case
}

// Payment is what one outgoing form asks the bank to collect.
type Payment struct {
	Reference   string // [A-Za-z0-9], ≤12 (legacy) / ≤50 (current), unique per order
	AmountCents int64
	Currency    string    // ISO 4217, e.g. "EUR"
	Date        time.Time // written with DateLayout in Date's own location
	Email       string
	Lang        string // FR EN DE IT ES NL PT SV; empty means FR
	FreeText    string // texte-libre, echoed back in the notification; keep it ASCII
	// Return URLs are where the browser comes back; they prove nothing.
	ReturnOK, ReturnErr string
	ReturnHome          string // legacy url_retour; empty means ReturnOK
	Billing, Shipping   Address
}

// maxFreeText is the bank's limit on texte-libre.
const maxFreeText = 3200

// languages the bank's payment page speaks.
var languages = map[string]bool{"FR": true, "EN": true, "DE": true, "IT": true, "ES": true, "NL": true, "PT": true, "SV": true}

// Form returns the complete form to post to c.URL, MAC last. Values are raw:
// the template escapes them when writing the hidden inputs, and the seal is
// over the raw values.
func (c Config) Form(p Payment) ([]Field, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := p.check(c.Format); err != nil {
		return nil, err
	}
	lang := p.Lang
	if lang == "" {
		lang = "FR"
	}
	head := []Field{
		{"version", sealVersion},
		{"TPE", c.TPE},
		{"date", p.Date.Format(DateLayout)},
		{"montant", FormatAmount(p.AmountCents, p.Currency)},
		{"reference", p.Reference},
		{"texte-libre", p.FreeText},
		{"mail", p.Email},
		{"lgue", lang},
		{"societe", c.Societe},
	}
	var fields []Field
	switch c.Format {
	case Legacy:
		home := p.ReturnHome
		if home == "" {
			home = p.ReturnOK
		}
		fields = append(head,
			Field{"url_retour", home},
			Field{"url_retour_ok", p.ReturnOK},
			Field{"url_retour_err", p.ReturnErr})
	default:
		ctx, err := orderContext(p.Billing, p.Shipping)
		if err != nil {
			return nil, err
		}
		fields = append(head,
			Field{"url_retour_ok", p.ReturnOK},
			Field{"url_retour_err", p.ReturnErr},
			Field{"contexte_commande", ctx})
	}
	for _, f := range fields {
		if strings.ContainsAny(f.Value, "\r\n") {
			return nil, fmt.Errorf("cmcic: %s contains a line break", f.Name)
		}
		if !utf8.ValidString(f.Value) {
			return nil, fmt.Errorf("cmcic: %s is not valid UTF-8", f.Name)
		}
	}
	if c.Format == Legacy && starInValues(fields, legacyFormOrder) {
		// Sealed, the star would move every later value: the string could be read as
		// other values, a notification's among them.
		return nil, errors.New("cmcic: a value contains '*', which the legacy seal cannot carry")
	}
	return c.withMAC(fields, c.formInput), nil
}

// check validates a payment against what the bank accepts, so that the shop
// gets a clear error instead of the bank's generic error page.
func (p Payment) check(f Format) error {
	maxRef := 50
	if f == Legacy {
		maxRef = 12
	}
	switch {
	case p.Reference == "" || len(p.Reference) > maxRef || !isAlnum(p.Reference):
		return fmt.Errorf("cmcic: reference must be 1 to %d letters or digits, got %q", maxRef, p.Reference)
	case p.AmountCents <= 0:
		return fmt.Errorf("cmcic: amount must be positive, got %d cents", p.AmountCents)
	case !isCurrency(p.Currency):
		return fmt.Errorf("cmcic: currency must be three upper-case letters, got %q", p.Currency)
	case p.Date.IsZero():
		return errors.New("cmcic: payment date is missing")
	case p.Email == "":
		return errors.New("cmcic: e-mail is missing")
	case p.Lang != "" && !languages[p.Lang]:
		return fmt.Errorf("cmcic: language %q is not one the bank offers", p.Lang)
	case len(p.FreeText) > maxFreeText:
		return fmt.Errorf("cmcic: free text is longer than %d bytes", maxFreeText)
	case !isAbsoluteHTTP(p.ReturnOK) || !isAbsoluteHTTP(p.ReturnErr):
		return errors.New("cmcic: return URLs must be absolute http(s) URLs")
	case p.ReturnHome != "" && !isAbsoluteHTTP(p.ReturnHome):
		return errors.New("cmcic: home URL must be an absolute http(s) URL")
	}
	for _, a := range []Address{p.Billing, p.Shipping} {
		for _, s := range []string{a.Name, a.Line1, a.Line2, a.PostalCode, a.City, a.Country} {
			if strings.ContainsAny(s, "\r\n") {
				return errors.New("cmcic: address contains a line break")
			}
		}
	}
	return nil
}

// contextAddress is one address of contexte_commande, with Monetico's names.
type contextAddress struct {
	Name         string `json:"name,omitempty"`
	AddressLine1 string `json:"addressLine1"`
	AddressLine2 string `json:"addressLine2,omitempty"`
	City         string `json:"city"`
	PostalCode   string `json:"postalCode"`
	Country      string `json:"country"`
}

// orderContext is contexte_commande: Base64 of the UTF-8 JSON of the
// addresses. The billing address is mandatory; shipping is left out when the
// shop gives none (no physical delivery).
func orderContext(billing, shipping Address) (string, error) {
	b, err := toContext("billing", billing)
	if err != nil {
		return "", err
	}
	ctx := struct {
		Billing  *contextAddress `json:"billing"`
		Shipping *contextAddress `json:"shipping,omitempty"`
	}{Billing: b}
	if shipping != (Address{}) {
		if ctx.Shipping, err = toContext("shipping", shipping); err != nil {
			return "", err
		}
	}
	js, err := json.Marshal(ctx)
	if err != nil {
		return "", fmt.Errorf("cmcic: order context: %w", err)
	}
	return base64.StdEncoding.EncodeToString(js), nil
}

func toContext(which string, a Address) (*contextAddress, error) {
	if a.Line1 == "" || a.City == "" || a.PostalCode == "" {
		return nil, fmt.Errorf("cmcic: %s address needs a line 1, a postal code and a city", which)
	}
	if !isUpperLetters(a.Country, 2) {
		return nil, fmt.Errorf("cmcic: %s country must be an ISO alpha-2 code, got %q", which, a.Country)
	}
	return &contextAddress{
		Name: a.Name, AddressLine1: a.Line1, AddressLine2: a.Line2,
		City: a.City, PostalCode: a.PostalCode, Country: a.Country,
	}, nil
}

// VerifyForm checks the seal of an outgoing form as the bank receives it.
// The shop never needs it; the sandbox (the bank's side) does, and keeping it
// here keeps one definition of the seal. It fails with ErrBadMAC.
func (c Config) VerifyForm(v url.Values) error {
	fields, err := singleFields(v)
	if err != nil {
		return err
	}
	mac := v.Get(macField)
	if mac == "" {
		return fmt.Errorf("%w: no MAC field", ErrBadMAC)
	}
	if !c.Key.Verify(c.formInput(fields), mac) {
		return ErrBadMAC
	}
	return nil
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

func isAbsoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
