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
		{"billing_country", "", "billing_country", "Choose a country"},
		{"billing_country", "XX", "billing_country", "Choose a country"},
		{"delivery", "", "delivery", "Choose a delivery method"},
		{"delivery", "old", "delivery", "Choose a delivery method"},
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
	for _, f := range []string{"ship_name", "ship_line1", "ship_postcode", "ship_city", "ship_country"} {
		if errs[f] == "" {
			t.Errorf("%s: no error for an empty delivery address", f)
		}
	}
	// Pick-up needs no delivery address, whatever the checkbox says.
	v.Set("delivery", "pickup")
	if errs := FormFromValues(v).Validate(testMethods); len(errs) != 0 {
		t.Errorf("pick-up with the box ticked: %v", errs)
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
