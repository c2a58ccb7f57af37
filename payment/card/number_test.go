package card

import (
	"errors"
	"strings"
	"testing"
)

// testNumbers are the public test numbers of cards.md, by brand.
var testNumbers = map[Brand][]string{
	Visa:       {"4242424242424242", "4012888888881881", "4111111111111111", "4007000000027"},
	Mastercard: {"5555555555554444", "5105105105105100", "5200828282828210", "2223003122003222"},
	Amex:       {"378282246310005", "371449635398431", "370000000000002"},
	Diners:     {"30569309025904", "38520000023237", "36227206271667", "3056930009020004"},
}

// refLuhn is the textbook Luhn check written independently of luhnValid
// (from the left, with the parity fixed by the length), so a bug in one is
// not hidden by the same bug in the other.
func refLuhn(digits string) bool {
	sum := 0
	parity := len(digits) % 2
	for i, c := range digits {
		d := int(c - '0')
		if i%2 == parity {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// withCheckDigit completes prefix with the digit that makes it pass Luhn.
func withCheckDigit(t testing.TB, prefix string) string {
	t.Helper()
	for c := '0'; c <= '9'; c++ {
		if s := prefix + string(c); refLuhn(s) {
			return s
		}
	}
	t.Fatalf("no check digit for %s", prefix)
	return ""
}

func mustParseNumber(t testing.TB, s string) Number {
	t.Helper()
	n, err := ParseNumber(s)
	if err != nil {
		t.Fatalf("ParseNumber(%q): %v", s, err)
	}
	return n
}

func TestLuhn_MatchesReference(t *testing.T) {
	inputs := []string{"0", "18", "79927398713", "79927398710", "4242424242424241", "1234567812345670", "1234567812345678"}
	for _, ns := range testNumbers {
		inputs = append(inputs, ns...)
	}
	for _, s := range inputs {
		if got, want := luhnValid(s), refLuhn(s); got != want {
			t.Errorf("luhnValid(%s) = %v, reference says %v", s, got, want)
		}
	}
	for _, ns := range testNumbers {
		for _, s := range ns {
			if !refLuhn(s) {
				t.Errorf("test number %s fails the reference Luhn", s)
			}
		}
	}
}

func TestParseNumber_Accepts(t *testing.T) {
	tests := []struct{ in, digits string }{
		{"4242424242424242", "4242424242424242"},
		{"4242 4242 4242 4242", "4242424242424242"},
		{"4242-4242-4242-4242", "4242424242424242"},
		{" 4242 - 4242--4242  4242 ", "4242424242424242"},
		{"3782 822463 10005", "378282246310005"},
		{"4007000000027", "4007000000027"},
	}
	for _, tt := range tests {
		n, err := ParseNumber(tt.in)
		if err != nil {
			t.Errorf("ParseNumber(%q): %v", tt.in, err)
			continue
		}
		if stored, tail := n.Split(); stored+tail != tt.digits {
			t.Errorf("ParseNumber(%q) holds %s, want %s", tt.in, stored+tail, tt.digits)
		}
	}
}

func TestParseNumber_Errors(t *testing.T) {
	tests := []struct {
		name, in string
		want     error
	}{
		{"empty", "", ErrNumberRequired},
		{"only separators", " - -", ErrNumberRequired},
		{"luhn", "4242424242424241", ErrNumberLuhn},
		{"letter", "4242 4242 4242 424a", ErrNumberCharacters},
		{"letter O for zero", "4OO7000000027", ErrNumberCharacters},
		{"dot", "4242.4242.4242.4242", ErrNumberCharacters},
		{"tab", "4242\t4242424242424242", ErrNumberCharacters},
		{"full-width digit", "424242424242424２", ErrNumberCharacters},
		{"arabic-indic digit", "424242424242424٢", ErrNumberCharacters},
		{"plus sign", "+4242424242424242", ErrNumberCharacters},
		{"11 digits", withCheckDigit(t, "4242424242"), ErrNumberLength},
		{"20 digits", withCheckDigit(t, "4242424242424242424"), ErrNumberLength},
		{"very long", strings.Repeat("4", 1000), ErrNumberLength},
		{"very long then letter", strings.Repeat("4", 1000) + "x", ErrNumberCharacters},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ParseNumber(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseNumber(%q) error = %v, want %v", tt.in, err, tt.want)
			}
			if n != (Number{}) {
				t.Errorf("ParseNumber(%q) returned a non-zero Number with an error", tt.in)
			}
		})
	}
}

func TestParseNumber_LengthBounds(t *testing.T) {
	// 12 and 19 digits pass ParseNumber; which brands take them is Brand's job.
	for _, prefix := range []string{"42424242424", "424242424242424242"} {
		s := withCheckDigit(t, prefix)
		if _, err := ParseNumber(s); err != nil {
			t.Errorf("ParseNumber(%d digits): %v", len(s), err)
		}
	}
}

func TestNumber_Brand(t *testing.T) {
	tests := []struct {
		name, prefix string // the number is prefix plus its check digit
		want         Brand
		ok           bool
	}{
		{"visa 13", "400700000002", Visa, true},
		{"visa 16", "424242424242424", Visa, true},
		{"visa 19", "424242424242424242", Visa, true},
		{"visa 15", "42424242424242", "", false},
		{"visa 12", "42424242424", "", false},
		{"mastercard 51", "510510510510510", Mastercard, true},
		{"mastercard 55", "555555555555444", Mastercard, true},
		{"mastercard 50", "505555555555444", "", false},
		{"mastercard 56", "565555555555444", "", false},
		{"mastercard 55 length 15", "55555555555544", "", false},
		{"mastercard 222100", "222100000000000", Mastercard, true},
		{"mastercard 272099", "272099000000000", Mastercard, true},
		{"mastercard 222099", "222099000000000", "", false},
		{"mastercard 272100", "272100000000000", "", false},
		{"amex 34", "34000000000000", Amex, true},
		{"amex 37", "37828224631000", Amex, true},
		{"amex 16", "378282246310005", "", false},
		{"amex 35", "35828224631000", "", false},
		{"diners 300", "3000000000000", Diners, true},
		{"diners 305", "3056930902590", Diners, true},
		{"diners 306", "3060000000000", "", false},
		{"diners 3095", "3095000000000", Diners, true},
		{"diners 3096", "3096000000000", "", false},
		{"diners 36", "3622720627166", Diners, true},
		{"diners 38", "3852000002323", Diners, true},
		{"diners 39", "3900000000000", Diners, true},
		{"diners 16", "305693000902000", Diners, true},
		{"diners 15", "30569300090200", "", false},
		{"unknown 6", "601100000000000", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := mustParseNumber(t, withCheckDigit(t, tt.prefix))
			got, ok := n.Brand()
			if got != tt.want || ok != tt.ok {
				t.Errorf("Brand() = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	for brand, ns := range testNumbers {
		for _, s := range ns {
			if got, ok := mustParseNumber(t, s).Brand(); got != brand || !ok {
				t.Errorf("Brand(%s) = %q, %v; want %q", s, got, ok, brand)
			}
		}
	}
	if _, ok := (Number{}).Brand(); ok {
		t.Error("the zero Number has a brand")
	}
}

func TestNumber_Split(t *testing.T) {
	for _, ns := range testNumbers {
		for _, s := range ns {
			n := mustParseNumber(t, s)
			stored, tail := n.Split()
			if len(tail) != 6 {
				t.Errorf("Split(%s): tail %q has %d digits, want 6", s, tail, len(tail))
			}
			if stored+tail != s {
				t.Errorf("Split(%s) = %q + %q, does not rebuild the number", s, stored, tail)
			}
			if !strings.HasPrefix(s, n.First6()) || len(n.First6()) != 6 {
				t.Errorf("First6(%s) = %q", s, n.First6())
			}
		}
	}
	if stored, tail := (Number{}).Split(); stored != "" || tail != "" {
		t.Errorf("zero Number Split = %q, %q", stored, tail)
	}
}

// FuzzParseNumber: never panics, and whatever it accepts is digits, spaces
// and dashes only, with digits that pass Luhn and fit a card's length.
func FuzzParseNumber(f *testing.F) {
	for _, ns := range testNumbers {
		for _, s := range ns {
			f.Add(s)
		}
	}
	for _, s := range []string{"", " ", "-", "4242 4242 4242 4242", "4242-4242-4242-4242", "4242424242424241",
		"4242 4242 4242 424a", "424242424242424２", "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢", "\x00", "\xff4242424242424242", strings.Repeat("0", 19)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNumber(s)
		if err != nil {
			if n != (Number{}) {
				t.Fatalf("non-zero Number with error %v", err)
			}
			return
		}
		var digits strings.Builder
		for _, r := range s {
			switch {
			case r >= '0' && r <= '9':
				digits.WriteRune(r)
			case r == ' ' || r == '-':
			default:
				t.Fatalf("accepted %q holding %q", s, r)
			}
		}
		d := digits.String()
		if !refLuhn(d) {
			t.Fatalf("accepted %q failing Luhn", s)
		}
		if len(d) < 12 || len(d) > 19 {
			t.Fatalf("accepted %q with %d digits", s, len(d))
		}
		if stored, tail := n.Split(); stored+tail != d || len(tail) != 6 {
			t.Fatalf("Split of %q = %q, %q", s, stored, tail)
		}
	})
}
