package card

import (
	"errors"
	"testing"
)

func TestParseBrand(t *testing.T) {
	tests := []struct {
		in      string
		want    Brand
		wantErr error
	}{
		{"visa", Visa, nil},
		{"mastercard", Mastercard, nil},
		{"amex", Amex, nil},
		{"diners", Diners, nil},
		{" Visa ", Visa, nil},
		{"", "", ErrBrandRequired},
		{"  ", "", ErrBrandRequired},
		{"discover", "", ErrBrandUnknown},
		{"American Express", "", ErrBrandUnknown},
		{"visa2", "", ErrBrandUnknown},
	}
	for _, tt := range tests {
		got, err := ParseBrand(tt.in)
		if got != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("ParseBrand(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestBrand_Label(t *testing.T) {
	want := map[Brand]string{
		Visa:       "Visa",
		Mastercard: "Mastercard",
		Amex:       "American Express",
		Diners:     "Diners Club",
	}
	if len(Brands) != len(want) {
		t.Fatalf("Brands has %d entries, want %d", len(Brands), len(want))
	}
	for _, b := range Brands {
		if got := b.Label(); got != want[b] {
			t.Errorf("%q.Label() = %q, want %q", b, got, want[b])
		}
		if got, err := ParseBrand(string(b)); got != b || err != nil {
			t.Errorf("ParseBrand(%q) = %q, %v", b, got, err)
		}
	}
	if got := Brand("4242424242424242").Label(); got != "Unknown" {
		t.Errorf("unknown brand label = %q", got)
	}
}
