package card

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// assertNoLeak fails when out shows the number s or its six last digits.
// When the six last digits also appear in the first six (4242424242424242),
// the mask cannot avoid showing them and only the full number is checked.
func assertNoLeak(t *testing.T, what, out, s string) {
	t.Helper()
	if strings.Contains(out, s) {
		t.Errorf("%s shows the full number %s: %s", what, s, out)
	}
	tail := s[len(s)-6:]
	if !strings.Contains(s[:6], tail) && strings.Contains(out, tail) {
		t.Errorf("%s shows the last six digits %s of %s: %s", what, tail, s, out)
	}
}

func eachTestNumber(t *testing.T, fn func(t *testing.T, s string, n Number)) {
	for _, ns := range testNumbers {
		for _, s := range ns {
			t.Run(s[:6], func(t *testing.T) { fn(t, s, mustParseNumber(t, s)) })
		}
	}
}

func TestNumber_String(t *testing.T) {
	n := mustParseNumber(t, "5555 5555 5555 4444")
	if got, want := n.String(), "555555…"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := (Number{}).String(); got != "" {
		t.Errorf("zero Number String() = %q", got)
	}
}

// pointerAddr matches the addresses fmt prints for pointers and functions;
// their random hex digits could spell a tail by chance.
var pointerAddr = regexp.MustCompile(`0x[0-9a-f]+`)

func TestNumber_FormatNeverLeaks(t *testing.T) {
	type order struct {
		Ref  string
		Card Card
	}
	type hidden struct{ n Number } // unexported: fmt cannot call Number's methods
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%X", "%o", "%b", "%e", "%T", "%p",
		"%20v", "%-20s", "%.3s", "%#q", "%+q", "%U", "%c", "%030d"}
	// fmt walks a hidden Number's fields and ends at an address, which
	// numeric verbs print without 0x: only verbs that print it as 0x… here.
	hiddenVerbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%-20s", "%#q", "%e", "%U", "%c"}
	check := func(t *testing.T, verbs []string, v any, s string) {
		t.Helper()
		for _, verb := range verbs {
			out := pointerAddr.ReplaceAllString(fmt.Sprintf(verb, v), "0xADDR")
			assertNoLeak(t, fmt.Sprintf("%s of %T", verb, v), out, s)
		}
	}
	eachTestNumber(t, func(t *testing.T, s string, n Number) {
		brand, _ := n.Brand()
		c := Card{Brand: brand, Expiry: Expiry{Month: 12, Year: 2030}, Number: n}
		for _, v := range []any{n, &n, []Number{n}, map[string]Number{"n": n}, []any{n}} {
			check(t, verbs, v, s)
		}
		for _, v := range []any{hidden{n}, &hidden{n}, []hidden{{n}}} {
			check(t, hiddenVerbs, v, s)
		}
		// Fewer verbs with a Card: %b, %o, %e or zero padding of its expiry
		// year can spell a tail such as 111111 or 000002 without any leak.
		for _, v := range []any{c, &c, order{"A1", c}} {
			check(t, []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x"}, v, s)
		}
		assertNoLeak(t, "Sprint", fmt.Sprint(n, c), s)
		assertNoLeak(t, "Sprintln", fmt.Sprintln(n, c), s)
		assertNoLeak(t, "GoString", n.GoString(), s)
	})
}

func TestNumber_FormatShowsMask(t *testing.T) {
	n := mustParseNumber(t, "5555555555554444")
	tests := []struct{ format, want string }{
		{"%v", "555555…"},
		{"%s", "555555…"},
		{"%d", "555555…"},
		{"%q", `"555555…"`},
		{"%#v", `card.Number{"555555…"}`},
		{"%9v|", "  555555…|"},
		{"%-9s|", "555555…  |"},
	}
	for _, tt := range tests {
		if got := fmt.Sprintf(tt.format, n); got != tt.want {
			t.Errorf("Sprintf(%q) = %q, want %q", tt.format, got, tt.want)
		}
	}
}

func TestNumber_JSONNeverLeaks(t *testing.T) {
	eachTestNumber(t, func(t *testing.T, s string, n Number) {
		brand, _ := n.Brand()
		c := Card{Brand: brand, Expiry: Expiry{Month: 1, Year: 2031}, Number: n}
		for _, v := range []any{n, &n, c, map[string]any{"card": c, "n": n}} {
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("json.Marshal(%T): %v", v, err)
			}
			assertNoLeak(t, "json", string(b), s)
		}
		text, err := n.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		assertNoLeak(t, "MarshalText", string(text), s)
		var got string
		b, _ := json.Marshal(n)
		if err := json.Unmarshal(b, &got); err != nil || got != n.First6()+"…" {
			t.Errorf("JSON of a Number = %s, want the mask as a string", b)
		}
	})
}

func TestNumber_SlogNeverLeaks(t *testing.T) {
	eachTestNumber(t, func(t *testing.T, s string, n Number) {
		brand, _ := n.Brand()
		c := Card{Brand: brand, Expiry: Expiry{Month: 1, Year: 2031}, Number: n}
		var buf bytes.Buffer
		// No time attribute: a timestamp's digits could match a tail by chance.
		opts := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}
		for _, h := range []slog.Handler{slog.NewJSONHandler(&buf, opts), slog.NewTextHandler(&buf, opts)} {
			l := slog.New(h)
			l.Info("card", "number", n, "card", c, "ptr", &n, slog.Group("g", "number", n))
			l.With("number", n).Info("with")
		}
		if !strings.Contains(buf.String(), n.First6()+"…") {
			t.Errorf("log does not show the mask: %s", buf.String())
		}
		assertNoLeak(t, "slog", buf.String(), s)
	})
}

func TestMaskStored(t *testing.T) {
	tests := []struct{ stored, want string }{
		{"4242424242", "424242••••••••••"},           // 16-digit number: 10 stored
		{"4007000", "400700•••••••"},                 // 13-digit number: 7 stored
		{"424242424242424", "424242•••••••••••••••"}, // 19-digit number
		{"424242", "424242••••••"},                   // reduced to the first six after certification
		{"4242", "4242••••••"},
		{"", ""},
		{"4242-4242-42", "424242••••••••••"},
	}
	for _, tt := range tests {
		got := MaskStored(tt.stored)
		if got != tt.want {
			t.Errorf("MaskStored(%q) = %q, want %q", tt.stored, got, tt.want)
		}
		if digits := countDigits(got); digits > 6 {
			t.Errorf("MaskStored(%q) shows %d digits", tt.stored, digits)
		}
	}
	for _, ns := range testNumbers {
		for _, s := range ns {
			stored, _ := mustParseNumber(t, s).Split()
			got := MaskStored(stored)
			if utf8.RuneCountInString(got) != len(s) || got[:6] != s[:6] || countDigits(got) != 6 {
				t.Errorf("MaskStored(%q) = %q: want the first six digits and one bullet per other digit", stored, got)
			}
		}
	}
}
