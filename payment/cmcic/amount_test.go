package cmcic

import (
	"math"
	"math/big"
	"strings"
	"testing"
)

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		cents int64
		cur   string
		want  string
	}{
		{6273, "EUR", "62.73EUR"},
		{600, "EUR", "6.00EUR"},
		{50, "EUR", "0.50EUR"},
		{5, "EUR", "0.05EUR"},
		{0, "EUR", "0.00EUR"},
		{100000, "USD", "1000.00USD"},
		{-150, "EUR", "-1.50EUR"},
		{math.MaxInt64, "EUR", "92233720368547758.07EUR"},
		{math.MinInt64, "EUR", "-92233720368547758.08EUR"},
	}
	for _, tt := range tests {
		if got := FormatAmount(tt.cents, tt.cur); got != tt.want {
			t.Errorf("FormatAmount(%d, %q) = %q, want %q", tt.cents, tt.cur, got, tt.want)
		}
	}
}

func TestParseAmount(t *testing.T) {
	good := []struct {
		in    string
		cents int64
		cur   string
	}{
		{"62.73EUR", 6273, "EUR"},
		{"62.7EUR", 6270, "EUR"},
		{"62EUR", 6200, "EUR"},
		{"0.50EUR", 50, "EUR"},
		{"0.05EUR", 5, "EUR"},
		{"0EUR", 0, "EUR"},
		{"062.73EUR", 6273, "EUR"},
		{"6.00USD", 600, "USD"},
		{"92233720368547757.00EUR", 9223372036854775700, "EUR"},
	}
	for _, tt := range good {
		cents, cur, err := ParseAmount(tt.in)
		if err != nil || cents != tt.cents || cur != tt.cur {
			t.Errorf("ParseAmount(%q) = %d, %q, %v; want %d, %q", tt.in, cents, cur, err, tt.cents, tt.cur)
		}
	}
	bad := []string{
		"", "EUR", "62.73", "-1.00EUR", "+1.00EUR", "62.735EUR", "62.EUR", ".50EUR",
		"62,73EUR", "62.73 EUR", " 62.73EUR", "62.73eur", "62.73EU", "62.73EURO",
		"6e2EUR", "1.2.3EUR", "0x10EUR", "62.7aEUR", "١٢EUR",
		"92233720368547758.08EUR", "99999999999999999999EUR",
	}
	for _, in := range bad {
		if cents, cur, err := ParseAmount(in); err == nil {
			t.Errorf("ParseAmount(%q) = %d, %q; want an error", in, cents, cur)
		}
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"62.73EUR", "62.7EUR", "62EUR", "0.50EUR", "-1EUR", "1.234EUR", "9223372036854775807EUR", "1.EUR", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cents, cur, err := ParseAmount(s)
		if err != nil {
			if cents != 0 || cur != "" {
				t.Fatalf("error with a result: %d %q", cents, cur)
			}
			return
		}
		if cents < 0 || !isCurrency(cur) || !strings.HasSuffix(s, cur) {
			t.Fatalf("ParseAmount(%q) = %d, %q", s, cents, cur)
		}
		// Independent reference: exact rational arithmetic.
		r, ok := new(big.Rat).SetString(strings.TrimSuffix(s, cur))
		if !ok {
			t.Fatalf("ParseAmount accepted %q, big.Rat does not", s)
		}
		r.Mul(r, big.NewRat(100, 1))
		if !r.IsInt() || r.Num().Cmp(big.NewInt(cents)) != 0 {
			t.Fatalf("ParseAmount(%q) = %d, exact value %s", s, cents, r.RatString())
		}
		// What we write we read back.
		back, cur2, err := ParseAmount(FormatAmount(cents, cur))
		if err != nil || back != cents || cur2 != cur {
			t.Fatalf("round trip of %d %s: %d %q %v", cents, cur, back, cur2, err)
		}
	})
}
