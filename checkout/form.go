package checkout

import (
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"shop/payment/card"
)

// Form is what the shopper types in the order form. Nothing priced comes from it.
type Form struct {
	Email           string `json:"email"`
	Name            string `json:"name"`
	Phone           string `json:"phone"`
	BillingLine1    string `json:"billing_line1"`
	BillingLine2    string `json:"billing_line2"`
	BillingPostcode string `json:"billing_postcode"`
	BillingCity     string `json:"billing_city"`
	BillingCountry  string `json:"billing_country"`
	ShipDifferent   bool   `json:"ship_different"`
	ShipName        string `json:"ship_name"`
	ShipLine1       string `json:"ship_line1"`
	ShipLine2       string `json:"ship_line2"`
	ShipPostcode    string `json:"ship_postcode"`
	ShipCity        string `json:"ship_city"`
	ShipCountry     string `json:"ship_country"`
	Delivery        string `json:"delivery"`
	Note            string `json:"note"`
	AcceptTerms     bool   `json:"-"` // asked again on every order
}

// FormFromValues reads the order form, trimming spaces; unknown fields (a price, a
// total, a quantity) are simply never read.
func FormFromValues(v url.Values) Form {
	get := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	f := Form{
		Email: get("email"), Name: get("name"), Phone: get("phone"),
		BillingLine1: get("billing_line1"), BillingLine2: get("billing_line2"),
		BillingPostcode: normalPostcode(get("billing_country"), get("billing_postcode")), BillingCity: get("billing_city"),
		BillingCountry: strings.ToUpper(get("billing_country")),
		ShipDifferent:  v.Get("ship_different") != "",
		ShipName:       get("ship_name"), ShipLine1: get("ship_line1"), ShipLine2: get("ship_line2"),
		ShipPostcode: normalPostcode(get("ship_country"), get("ship_postcode")), ShipCity: get("ship_city"),
		ShipCountry: strings.ToUpper(get("ship_country")),
		Delivery:    get("delivery"), Note: strings.TrimSpace(v.Get("note")),
		AcceptTerms: v.Get("terms") != "",
	}
	return f
}

// typedDelivery reports whether a delivery address was typed (its country comes chosen).
func (f Form) typedDelivery() bool {
	return f.ShipName != "" || f.ShipLine1 != "" || f.ShipLine2 != "" || f.ShipPostcode != "" || f.ShipCity != ""
}

// formText is one typed field of the form: its name and where its value is.
type formText struct {
	name string
	v    *string
}

// texts are the form's typed fields, to check or clean them all alike.
func (f *Form) texts() []formText {
	return []formText{
		{"email", &f.Email}, {"name", &f.Name}, {"phone", &f.Phone},
		{"billing_line1", &f.BillingLine1}, {"billing_line2", &f.BillingLine2},
		{"billing_postcode", &f.BillingPostcode}, {"billing_city", &f.BillingCity},
		{"billing_country", &f.BillingCountry}, {"ship_name", &f.ShipName}, {"ship_line1", &f.ShipLine1},
		{"ship_line2", &f.ShipLine2}, {"ship_postcode", &f.ShipPostcode}, {"ship_city", &f.ShipCity},
		{"ship_country", &f.ShipCountry}, {"delivery", &f.Delivery}, {"note", &f.Note},
	}
}

// holdsCardNumber says whether a field's value holds what looks like a card number (13
// to 19 digits passing the Luhn check), which shoppers sometimes type in the order form
// thinking they pay there. A phone number that starts with 0 or + is never one: no card
// number does, and an international number can be long enough to pass for one.
func holdsCardNumber(field, v string) bool {
	if field == "phone" && (strings.HasPrefix(v, "0") || strings.HasPrefix(v, "+")) {
		return false
	}
	return card.Holds(v)
}

const cardNumberMessage = "This looks like a card number: card details are asked for on the payment page, after the order is placed."

// withoutCardNumbers is the form as it may be echoed back and kept for the visitor's
// next visit: a field holding a card number is emptied, as the number goes to the card
// form alone, never to a page or the database.
func (f Form) withoutCardNumbers() Form {
	for _, t := range f.texts() {
		if holdsCardNumber(t.name, *t.v) {
			*t.v = ""
		}
	}
	return f
}

// draftLimit bounds each value kept of a form that was not placed: the longest field a
// valid form has (the note), so that a hostile post cannot store tens of kilobytes.
const draftLimit = 1000

// draft is the form as kept for the visitor's next visit: each value cut to draftLimit
// characters.
func (f Form) draft() Form {
	for _, t := range f.texts() {
		if utf8.RuneCountInString(*t.v) > draftLimit {
			*t.v = string([]rune(*t.v)[:draftLimit])
		}
	}
	return f
}

// Country is a destination the shop delivers to.
type Country struct{ Code, Name string }

// Countries the shop delivers to, in the order the form lists them.
var Countries = []Country{
	{"FR", "France"}, {"BE", "Belgium"}, {"LU", "Luxembourg"}, {"CH", "Switzerland"}, {"MC", "Monaco"},
	{"DE", "Germany"}, {"ES", "Spain"}, {"IT", "Italy"}, {"NL", "Netherlands"}, {"PT", "Portugal"},
	{"AT", "Austria"}, {"IE", "Ireland"}, {"GB", "United Kingdom"},
}

func countryName(code string) string {
	for _, c := range Countries {
		if c.Code == code {
			return c.Name
		}
	}
	return ""
}

// postcodeShapes are the countries whose postcode we can check exactly; others only get
// a length and character check.
var postcodeShapes = map[string]struct {
	re      *regexp.Regexp
	example string
}{
	"FR": {regexp.MustCompile(`^(0[1-9]|[1-8]\d|9[0-8])\d{3}$`), "75011"},
	"MC": {regexp.MustCompile(`^980\d{2}$`), "98000"},
	"BE": {regexp.MustCompile(`^[1-9]\d{3}$`), "1000"},
	"LU": {regexp.MustCompile(`^(L-)?\d{4}$`), "1111"},
	"CH": {regexp.MustCompile(`^[1-9]\d{3}$`), "8001"},
	"AT": {regexp.MustCompile(`^[1-9]\d{3}$`), "1010"},
	"DE": {regexp.MustCompile(`^\d{5}$`), "10115"},
	"ES": {regexp.MustCompile(`^(0[1-9]|[1-4]\d|5[0-2])\d{3}$`), "28001"},
	"IT": {regexp.MustCompile(`^\d{5}$`), "00118"},
	"NL": {regexp.MustCompile(`^[1-9]\d{3} ?[A-Z]{2}$`), "1011 AB"},
	"PT": {regexp.MustCompile(`^\d{4}-\d{3}$`), "1000-001"},
}

// postcodePrefixes are the letters once written before the postcodes of the countries
// whose postcodes are digits alone ("F-75001", "CH-1204").
var postcodePrefixes = map[string][]string{"FR": {"F-", "FR-"}, "MC": {"MC-"}, "BE": {"B-", "BE-"},
	"CH": {"CH-"}, "AT": {"A-", "AT-"}, "DE": {"D-", "DE-"}, "ES": {"E-", "ES-"}, "IT": {"I-", "IT-"}}

// normalPostcode is a postcode as the shop stores it: upper case and, where postcodes are
// digits alone, without the spaces or the old country prefix people type ("75 001"). A
// postcode still wrong without them stays as typed, for the form to show back.
func normalPostcode(country, s string) string {
	s = strings.ToUpper(s)
	country = strings.ToUpper(country)
	prefixes, digitsOnly := postcodePrefixes[country]
	if !digitsOnly {
		return s
	}
	n := s
	for _, p := range prefixes {
		if rest, ok := strings.CutPrefix(n, p); ok {
			n = rest
			break
		}
	}
	if n = strings.ReplaceAll(n, " ", ""); postcodeShapes[country].re.MatchString(n) {
		return n
	}
	return s
}

var (
	genericPostcode = regexp.MustCompile(`^[A-Z0-9][A-Z0-9 -]{1,9}$`)
	phoneChars      = regexp.MustCompile(`^\+?[0-9 ().-]+$`)
)

// FieldErrors maps a form field's name to the message shown beside it.
type FieldErrors map[string]string

// formFields is the order of fields in the error summary at the top of the form.
var formFields = []string{"email", "name", "phone", "billing_line1", "billing_line2", "billing_postcode",
	"billing_city", "billing_country", "ship_different", "ship_name", "ship_line1", "ship_line2", "ship_postcode", "ship_city",
	"ship_country", "delivery", "note", "terms"}

// Validate checks every field and returns one specific message per wrong field.
func (f Form) Validate(methods []DeliveryMethod) FieldErrors {
	errs := FieldErrors{}
	check := func(field, value, label string, required bool, maxLen int) bool {
		switch {
		case value == "" && required:
			errs[field] = "Enter your " + label + "."
		case utf8.RuneCountInString(value) > maxLen:
			errs[field] = strings.ToUpper(label[:1]) + label[1:] + " must be at most " + strconv.Itoa(maxLen) + " characters."
		case strings.ContainsAny(value, "\r\n\x00") && field != "note":
			errs[field] = strings.ToUpper(label[:1]) + label[1:] + " must be on one line."
		default:
			return value != ""
		}
		return false
	}
	if check("email", f.Email, "e-mail address", true, 254) {
		if a, err := mail.ParseAddress(f.Email); err != nil || a.Address != f.Email || !strings.Contains(f.Email[strings.LastIndexByte(f.Email, '@')+1:], ".") {
			errs["email"] = "Enter an e-mail address like name@example.com."
		} else if strings.Contains(f.Email, "*") {
			// The bank's legacy seal joins values with '*': one inside a value cannot be sealed.
			errs["email"] = "Enter an e-mail address without '*': the bank cannot take one."
		}
	}
	check("name", f.Name, "full name", true, 100)
	if check("phone", f.Phone, "phone number", true, 25) {
		digits := 0
		for _, r := range f.Phone {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if !phoneChars.MatchString(f.Phone) || digits < 6 || digits > 15 {
			errs["phone"] = "Enter a phone number with 6 to 15 digits, such as 06 12 34 56 78 or +33 6 12 34 56 78."
		}
	}
	f.validateAddress(errs, "billing_", "", f.BillingLine1, f.BillingLine2, f.BillingPostcode, f.BillingCity, f.BillingCountry)
	method, ok := findMethod(methods, f.Delivery)
	switch {
	case !ok && f.Delivery != "": // the merchant withdrew it while the form was open, most likely
		errs["delivery"] = "The delivery method you picked is not offered any more. Choose a delivery method."
	case !ok:
		errs["delivery"] = "Choose a delivery method."
	}
	// A delivery address typed for an unknown method is checked too, so that every
	// error shows at once rather than one round after the other.
	switch {
	case !ok || method.NeedsAddress:
		if f.ShipDifferent {
			check("ship_name", f.ShipName, "recipient's name", false, 100) // the shopper's own name when empty
			f.validateAddress(errs, "ship_", "delivery ", f.ShipLine1, f.ShipLine2, f.ShipPostcode, f.ShipCity, f.ShipCountry)
		} else if f.typedDelivery() {
			// Typed but not asked for (the box unticked after, or never ticked without the
			// page's script, which ticks it on typing): which address is meant is the
			// shopper's to say, not the shop's to guess.
			errs["ship_different"] = "You typed a delivery address: tick “Deliver to a different address” to use it, or clear its fields."
		}
	}
	check("note", f.Note, "note", false, draftLimit)
	if !f.AcceptTerms {
		errs["terms"] = "Accept the terms of sale to place your order."
	}
	for _, t := range f.texts() {
		if holdsCardNumber(t.name, *t.v) {
			errs[t.name] = cardNumberMessage
		}
	}
	return errs
}

// validateAddress checks one address; which is "" for the billing address and
// "delivery " for the delivery one, so that the two addresses' messages differ in the
// error summary, where both can show at once.
func (f Form) validateAddress(errs FieldErrors, prefix, which, line1, line2, postcode, city, country string) {
	set := func(field, msg string) { errs[prefix+field] = msg }
	switch {
	case line1 == "":
		set("line1", "Enter the "+which+"street address.")
	case utf8.RuneCountInString(line1) > 120:
		set("line1", "The "+which+"address must be at most 120 characters.")
	}
	if utf8.RuneCountInString(line2) > 120 {
		set("line2", "The second "+which+"address line must be at most 120 characters.")
	}
	switch {
	case city == "":
		set("city", "Enter the "+which+"city.")
	case utf8.RuneCountInString(city) > 80:
		set("city", "The "+which+"city must be at most 80 characters.")
	}
	name := countryName(country)
	if name == "" {
		set("country", "Choose a "+which+"country from the list.")
	}
	switch shape, exact := postcodeShapes[country]; {
	case postcode == "":
		set("postcode", "Enter the "+which+"postcode.")
	case exact && !shape.re.MatchString(postcode):
		set("postcode", "Enter a "+which+"postcode of "+name+" such as "+shape.example+".")
	case !exact && !genericPostcode.MatchString(postcode):
		set("postcode", "Enter a "+which+"postcode of 2 to 10 letters and digits.")
	}
	// Beside the field that holds the line break, over any other message it had.
	for field, v := range map[string]string{"line1": line1, "line2": line2, "postcode": postcode, "city": city} {
		if strings.ContainsAny(v, "\r\n\x00") {
			set(field, "This must be on a single line.")
		}
	}
}

// billing and shipping addresses of a valid form.
func (f Form) billing() Address {
	return Address{Name: f.Name, Line1: f.BillingLine1, Line2: f.BillingLine2, Postcode: f.BillingPostcode,
		City: f.BillingCity, Country: f.BillingCountry}
}

func (f Form) shipping(m DeliveryMethod) Address {
	switch {
	case !m.NeedsAddress:
		return Address{}
	case f.ShipDifferent:
		name := f.ShipName
		if name == "" {
			name = f.Name
		}
		return Address{Name: name, Line1: f.ShipLine1, Line2: f.ShipLine2, Postcode: f.ShipPostcode,
			City: f.ShipCity, Country: f.ShipCountry}
	default:
		return f.billing()
	}
}
