package card

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"
)

// checkNow is the injected clock of the Check tests: mid-November 2026.
var checkNow = time.Date(2026, time.November, 15, 12, 0, 0, 0, time.UTC)

func TestCheck_AcceptsTestNumbers(t *testing.T) {
	for brand, ns := range testNumbers {
		for _, s := range ns {
			for _, typed := range []string{s, groupBy4(s, " "), groupBy4(s, "-")} {
				c, errs := Check(Input{Number: typed, Expiry: "12/29", Brand: string(brand)}, checkNow)
				if len(errs) != 0 {
					t.Errorf("Check(%q as %s): %v", typed, brand, errs)
					continue
				}
				stored, tail := c.Number.Split()
				if c.Brand != brand || c.Expiry != (Expiry{12, 2029}) || stored+tail != s {
					t.Errorf("Check(%q as %s) = %v %v %s%s", typed, brand, c.Brand, c.Expiry, stored, tail)
				}
			}
		}
	}
}

func groupBy4(s, sep string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

func TestCheck_BrandMismatch(t *testing.T) {
	for brand, ns := range testNumbers {
		for _, s := range ns {
			for _, other := range Brands {
				if other == brand {
					continue
				}
				c, errs := Check(Input{Number: s, Expiry: "12/29", Brand: string(other)}, checkNow)
				err := errs["number"]
				if !errors.Is(err, ErrBrandMismatch) {
					t.Errorf("Check(%s as %s): number error = %v, want ErrBrandMismatch", s, other, err)
					continue
				}
				if len(errs) != 1 {
					t.Errorf("Check(%s as %s): errors %v, want only the number's", s, other, errs)
				}
				if c != (Card{}) {
					t.Errorf("Check(%s as %s) returned a card with errors", s, other)
				}
				if want := "not " + article(other.Label()) + " " + other.Label() + " card"; !strings.Contains(err.Error(), want) {
					t.Errorf("mismatch message %q does not say %q", err, want)
				}
			}
		}
	}
}

func TestCheck_FieldErrors(t *testing.T) {
	valid := Input{Number: "4242 4242 4242 4242", Expiry: "12/29", Brand: "visa"}
	with := func(change func(*Input)) Input {
		in := valid
		change(&in)
		return in
	}
	tests := []struct {
		name string
		in   Input
		want map[string]error
	}{
		{"luhn", with(func(in *Input) { in.Number = "4242424242424241" }), map[string]error{"number": ErrNumberLuhn}},
		{"letter", with(func(in *Input) { in.Number = "4242 4242 4242 424a" }), map[string]error{"number": ErrNumberCharacters}},
		{"12 digits, no brand that long", with(func(in *Input) { in.Number = withCheckDigit(t, "42424242424") }), map[string]error{"number": ErrNumberBrand}},
		{"20 digits", with(func(in *Input) { in.Number = withCheckDigit(t, "4242424242424242424") }), map[string]error{"number": ErrNumberLength}},
		{"no brand", with(func(in *Input) { in.Number = "6011111111111117" }), map[string]error{"number": ErrNumberBrand}},
		{"number missing", with(func(in *Input) { in.Number = "  " }), map[string]error{"number": ErrNumberRequired}},
		{"brand missing", with(func(in *Input) { in.Brand = "" }), map[string]error{"brand": ErrBrandRequired}},
		{"brand unknown", with(func(in *Input) { in.Brand = "discover" }), map[string]error{"brand": ErrBrandUnknown}},
		{"expiry missing", with(func(in *Input) { in.Expiry = "" }), map[string]error{"expiry": ErrExpiryRequired}},
		{"expiry month 13", with(func(in *Input) { in.Expiry = "13/27" }), map[string]error{"expiry": ErrExpiryFormat}},
		{"expiry past", with(func(in *Input) { in.Expiry = "10/26" }), map[string]error{"expiry": ErrExpiryPast}},
		{"everything empty", Input{}, map[string]error{"number": ErrNumberRequired, "brand": ErrBrandRequired, "expiry": ErrExpiryRequired}},
		{"all wrong", Input{Number: "4242424242424241", Expiry: "10/2026", Brand: "amex"},
			map[string]error{"number": ErrNumberLuhn, "expiry": ErrExpiryPast}},
		{"mismatch and past", Input{Number: "4242424242424242", Expiry: "10/26", Brand: "amex"},
			map[string]error{"number": ErrBrandMismatch, "expiry": ErrExpiryPast}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, errs := Check(tt.in, checkNow)
			if c != (Card{}) {
				t.Errorf("Check returned a card with errors")
			}
			if len(errs) != len(tt.want) {
				t.Errorf("errors = %v, want %v", errs, tt.want)
			}
			for field, want := range tt.want {
				if !errors.Is(errs[field], want) {
					t.Errorf("%s error = %v, want %v", field, errs[field], want)
				}
			}
		})
	}
}

func TestCheck_Success(t *testing.T) {
	c, errs := Check(Input{Number: " 3782-822463-10005 ", Expiry: " 11/26 ", Brand: "amex"}, checkNow)
	if errs != nil {
		t.Fatalf("errs = %v, want nil", errs)
	}
	stored, tail := c.Number.Split()
	if c.Brand != Amex || c.Expiry.String() != "11/2026" || stored != "378282246" || tail != "310005" {
		t.Errorf("Check = %v %v %q %q", c.Brand, c.Expiry, stored, tail)
	}
}

// TestErrors_NoDigits: shopper-facing messages never contain a digit, so no
// part of a number can travel through them.
func TestErrors_NoDigits(t *testing.T) {
	errs := []error{ErrNumberRequired, ErrNumberCharacters, ErrNumberLength, ErrNumberLuhn, ErrNumberBrand,
		ErrBrandRequired, ErrBrandUnknown, ErrBrandMismatch, ErrExpiryRequired, ErrExpiryFormat, ErrExpiryPast}
	for _, b := range Brands {
		errs = append(errs, brandMismatch{chosen: b})
	}
	seen := map[string]bool{}
	for _, err := range errs {
		msg := err.Error()
		if strings.IndexFunc(msg, unicode.IsDigit) >= 0 {
			t.Errorf("error message %q contains a digit", msg)
		}
		if seen[msg] {
			t.Errorf("two errors share the message %q", msg)
		}
		seen[msg] = true
	}
	// Every sentinel is its own value.
	for i, a := range errs[:11] {
		for j, b := range errs[:11] {
			if i != j && errors.Is(a, b) {
				t.Errorf("errors.Is(%v, %v)", a, b)
			}
		}
	}
	// Whatever the typed number, Check's errors do not repeat it.
	for _, typed := range []string{"4242424242424241", "4242 4242 4242 424a", "424242424242424242424242", "6011111111111117", "4242424242424242"} {
		_, fe := Check(Input{Number: typed, Expiry: "1/20", Brand: "amex"}, checkNow)
		for field, err := range fe {
			if strings.IndexFunc(err.Error(), unicode.IsDigit) >= 0 || strings.Contains(fmt.Sprintf("%+v", err), "4242") {
				t.Errorf("%s error for %q: %q contains digits", field, typed, err)
			}
		}
	}
}
