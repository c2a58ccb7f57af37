package checkout

import (
	"net/url"
	"strings"
	"testing"
)

var testMethods = []DeliveryMethod{
	{Code: "home", Name: "Home delivery", NeedsAddress: true, Active: true},
	{Code: "pickup", Name: "Pick-up", NeedsAddress: false, Active: true},
	{Code: "old", Name: "Retired", NeedsAddress: true, Active: false},
}

func validValues() url.Values {
	return url.Values{
		"email": {"marie@example.fr"}, "name": {"Marie Curie"}, "phone": {"06 12 34 56 78"},
		"billing_line1": {"12 rue des Tanneurs"}, "billing_postcode": {"69001"}, "billing_city": {"Lyon"},
		"billing_country": {"FR"}, "delivery": {"home"}, "terms": {"1"},
	}
}

func TestForm_ValidPasses(t *testing.T) {
	if errs := FormFromValues(validValues()).Validate(testMethods); len(errs) != 0 {
		t.Fatalf("valid form refused: %v", errs)
	}
}

// Each bad value must produce a message on its own field, and only there.
func TestForm_EachFieldHasItsOwnMessage(t *testing.T) {
	tests := []struct {
		field, value, wantField, wantText string
	}{
		{"email", "", "email", "Enter your e-mail address"},
		{"email", "marie", "email", "name@example.com"},
		{"email", "marie@localhost", "email", "name@example.com"},
		{"email", "Marie <marie@example.fr>", "email", "name@example.com"},
		{"email", "x*3.0*paiement@example.fr", "email", "without '*'"},
		{"email", strings.Repeat("a", 250) + "@example.fr", "email", "at most 254"},
		{"name", "", "name", "Enter your full name"},
		{"name", strings.Repeat("é", 101), "name", "at most 100"},
		{"phone", "", "phone", "Enter your phone number"},
		{"phone", "12", "phone", "6 to 15 digits"},
		{"phone", "call me", "phone", "6 to 15 digits"},
		{"billing_line1", "", "billing_line1", "street address"},
		{"billing_line1", strings.Repeat("x", 121), "billing_line1", "at most 120"},
		{"billing_postcode", "", "billing_postcode", "Enter the postcode"},
		{"billing_postcode", "6900", "billing_postcode", "postcode of France"},
		{"billing_postcode", "99000", "billing_postcode", "postcode of France"},
		{"billing_postcode", "ABCDE", "billing_postcode", "postcode of France"},
		{"billing_city", "", "billing_city", "Enter the city"},
		{"billing_city", "Paris\nX", "billing_city", "single line"},
		{"billing_line1", "12 rue\rdes Tanneurs", "billing_line1", "single line"},
		{"billing_line2", "Bât. B\nétage 2", "billing_line2", "single line"},
		{"billing_country", "", "billing_country", "Choose a country"},
		{"billing_country", "XX", "billing_country", "Choose a country"},
		{"delivery", "", "delivery", "Choose a delivery method"},
		{"delivery", "old", "delivery", "you picked is not offered any more. Choose a delivery method"},
		{"delivery", "drone", "delivery", "Choose a delivery method"},
		{"note", strings.Repeat("n", 1001), "note", "at most 1000"},
		{"terms", "", "terms", "Accept the terms"},
	}
	for _, tt := range tests {
		t.Run(tt.field+"="+tt.value[:min(len(tt.value), 12)], func(t *testing.T) {
			v := validValues()
			v.Set(tt.field, tt.value)
			if tt.value == "" {
				v.Del(tt.field)
			}
			errs := FormFromValues(v).Validate(testMethods)
			if len(errs) != 1 {
				t.Fatalf("want exactly one error (on %s), got %v", tt.wantField, errs)
			}
			if msg := errs[tt.wantField]; !strings.Contains(msg, tt.wantText) {
				t.Errorf("%s: message %q, want it to contain %q", tt.wantField, msg, tt.wantText)
			}
		})
	}
}

func TestForm_PostcodeShapesByCountry(t *testing.T) {
	tests := []struct {
		country, postcode string
		ok                bool
	}{
		{"FR", "75011", true}, {"FR", "20000", true}, {"FR", "97400", true}, {"FR", "00100", false},
		{"BE", "1000", true}, {"BE", "10000", false}, {"NL", "1011 ab", true}, {"PT", "1000-001", true},
		{"GB", "SW1A 1AA", true}, {"GB", "<script>", false}, {"MC", "98000", true}, {"MC", "75011", false},
		// As people type them: spaces, the old country prefix.
		{"FR", "75 001", true}, {"FR", "f-75001", true}, {"CH", "CH-1204", true}, {"DE", "D-10115", true},
		{"FR", "F-750", false},
	}
	for _, tt := range tests {
		v := validValues()
		v.Set("billing_country", tt.country)
		v.Set("billing_postcode", tt.postcode)
		_, bad := FormFromValues(v).Validate(testMethods)["billing_postcode"]
		if bad == tt.ok {
			t.Errorf("%s %q: accepted=%v, want %v", tt.country, tt.postcode, !bad, tt.ok)
		}
	}
}

func TestForm_DifferentShippingAddressIsChecked(t *testing.T) {
	v := validValues()
	v.Set("ship_different", "1")
	errs := FormFromValues(v).Validate(testMethods)
	for _, f := range []string{"ship_line1", "ship_postcode", "ship_city", "ship_country"} {
		if !strings.Contains(errs[f], "delivery") {
			t.Errorf("%s: %q, want an error that names the delivery address", f, errs[f])
		}
	}
	// With both addresses empty, the summary lists eight messages, none twice.
	both := url.Values{}
	for k, vs := range v {
		both[k] = vs
	}
	for _, f := range []string{"billing_line1", "billing_postcode", "billing_city", "billing_country"} {
		both.Set(f, "")
	}
	seen := map[string]string{}
	for field, msg := range FormFromValues(both).Validate(testMethods) {
		if other, dup := seen[msg]; dup {
			t.Errorf("%s and %s both read %q", field, other, msg)
		}
		seen[msg] = field
	}
	if errs["ship_name"] != "" {
		t.Errorf("ship_name: %q, want none: the parcel is addressed to the shopper", errs["ship_name"])
	}
	// Pick-up needs no delivery address, whatever the checkbox says.
	v.Set("delivery", "pickup")
	if errs := FormFromValues(v).Validate(testMethods); len(errs) != 0 {
		t.Errorf("pick-up with the box ticked: %v", errs)
	}
}

// A delivery address typed without ticking the box is refused beside the box, not
// guessed at either way; ticked, it is the one delivered to, and an empty recipient is
// the shopper. The box alone, or the preset country alone, changes nothing, and pick-up
// needs no address whatever was typed.
func TestForm_TypedDeliveryAddressNeedsTheBox(t *testing.T) {
	v := validValues()
	v.Set("ship_line1", "9 avenue Foch")
	v.Set("ship_postcode", "69006")
	v.Set("ship_city", "Lyon")
	v.Set("ship_country", "FR")
	if errs := FormFromValues(v).Validate(testMethods); len(errs) != 1 || !strings.Contains(errs["ship_different"], "tick") {
		t.Errorf("typed without the box: errors %v, want one beside the box", errs)
	}
	home := testMethods[0]
	v.Set("ship_different", "1")
	f := FormFromValues(v)
	if errs := f.Validate(testMethods); len(errs) != 0 {
		t.Fatalf("ticked: errors %v", errs)
	}
	want := Address{Name: f.Name, Line1: "9 avenue Foch", Postcode: "69006", City: "Lyon", Country: "FR"}
	if got := f.shipping(home); got != want {
		t.Errorf("shipping = %+v, want %+v", got, want)
	}
	v.Del("ship_different")
	v.Set("delivery", "pickup")
	if errs := FormFromValues(v).Validate(testMethods); len(errs) != 0 {
		t.Errorf("pick-up with a delivery address typed: errors %v", errs)
	}
	only := validValues()
	only.Set("ship_country", "BE")
	if f := FormFromValues(only); len(f.Validate(testMethods)) != 0 || f.shipping(home) != f.billing() {
		t.Errorf("the preset country alone moved the delivery: %+v", f.shipping(home))
	}
}

// A postcode is stored as the country writes it: "75 001" and "F-75001" are 75001.
func TestForm_PostcodeStoredInItsCountrysForm(t *testing.T) {
	for _, tt := range []struct{ country, typed, want string }{
		{"FR", "75 001", "75001"}, {"fr", "f-75001", "75001"}, {"CH", "ch-1204", "1204"},
		{"NL", "1011 ab", "1011 AB"}, {"GB", "sw1a 1aa", "SW1A 1AA"},
		{"FR", "f-750", "F-750"}, {"FR", "75 00", "75 00"}, // still wrong: shown back as typed
	} {
		if got := normalPostcode(tt.country, tt.typed); got != tt.want {
			t.Errorf("normalPostcode(%s, %q) = %q, want %q", tt.country, tt.typed, got, tt.want)
		}
	}
	for country := range postcodePrefixes {
		if _, ok := postcodeShapes[country]; !ok {
			t.Errorf("%s has prefixes but no postcode shape to check them against", country)
		}
	}
}

func TestForm_NeverReadsPricedFields(t *testing.T) {
	v := validValues()
	v.Set("total", "1")
	v.Set("price", "0.01")
	v.Set("quantity", "1000")
	a, b := FormFromValues(v), FormFromValues(validValues())
	if a != b {
		t.Errorf("extra fields changed the form: %+v vs %+v", a, b)
	}
}

// A card number typed in any field of the order form is refused on that field, and the
// form as echoed and kept no longer holds it; ordinary numbers (a phone, a postcode, a
// flat number) are not taken for one.
func TestForm_RefusesCardNumbersAnywhere(t *testing.T) {
	const number = "4111 1111 1111 1111"
	for _, field := range []string{"email", "name", "phone", "billing_line1", "billing_line2", "billing_city", "note", "note.", "note/"} {
		t.Run(field, func(t *testing.T) {
			v := validValues()
			value := number
			switch field {
			case "email":
				value = "4111111111111111@example.com"
			case "note":
				value = "Please charge card " + number + ", thanks"
			case "note.", "note/": // other ways of writing the groups
				value = "Card: " + strings.ReplaceAll(number, " ", field[4:])
				field = "note"
			}
			v.Set(field, value)
			f := FormFromValues(v)
			errs := f.Validate(testMethods)
			if !strings.Contains(errs[field], "looks like a card number") {
				t.Fatalf("%s = %q: errors %v, want the card-number message on %s", field, value, errs, field)
			}
			kept := f.withoutCardNumbers()
			for _, tx := range kept.texts() {
				if strings.Contains(strings.ReplaceAll(*tx.v, " ", ""), "4111111111111111") {
					t.Errorf("kept form still holds the number in %s: %q", tx.name, *tx.v)
				}
			}
			if kept.Email == "" && field != "email" || kept.Name == "" && field != "name" {
				t.Errorf("kept form lost fields other than %s: %+v", field, kept)
			}
		})
	}
	for _, phone := range []string{"+49 1512 3456 7890", "0049151234567890", "06 12 34 56 78"} {
		v := validValues()
		v.Set("phone", phone)
		if msg := FormFromValues(v).Validate(testMethods)["phone"]; strings.Contains(msg, "card number") {
			t.Errorf("phone %q taken for a card number", phone)
		}
	}
}

func TestForm_DraftCutsLongValues(t *testing.T) {
	v := validValues()
	v.Set("billing_city", strings.Repeat("Z", 50_000))
	kept := FormFromValues(v).draft()
	if n := len(kept.BillingCity); n != draftLimit {
		t.Errorf("draft city is %d bytes, want %d", n, draftLimit)
	}
	if kept.Name != "Marie Curie" {
		t.Errorf("draft name = %q", kept.Name)
	}
}

// Every error shows at once: the delivery address asked for is checked even when the
// delivery method is wrong too.
func TestForm_DeliveryAddressCheckedWithAnUnknownMethod(t *testing.T) {
	v := validValues()
	v.Set("delivery", "warp")
	v.Set("ship_different", "1")
	errs := FormFromValues(v).Validate(testMethods)
	for _, field := range []string{"delivery", "ship_line1", "ship_postcode", "ship_city", "ship_country"} {
		if errs[field] == "" {
			t.Errorf("no error on %s; errors: %v", field, errs)
		}
	}
}
