package card

import (
	"errors"
	"testing"
	"time"
)

func TestParseExpiry(t *testing.T) {
	tests := []struct {
		in      string
		want    Expiry
		wantErr error
	}{
		{"11/27", Expiry{11, 2027}, nil},
		{"11/2027", Expiry{11, 2027}, nil},
		{"01/27", Expiry{1, 2027}, nil},
		{"1/27", Expiry{1, 2027}, nil},
		{" 12 / 2030 ", Expiry{12, 2030}, nil},
		{"", Expiry{}, ErrExpiryRequired},
		{"   ", Expiry{}, ErrExpiryRequired},
		{"13/27", Expiry{}, ErrExpiryFormat},
		{"00/27", Expiry{}, ErrExpiryFormat},
		{"0/27", Expiry{}, ErrExpiryFormat},
		{"1127", Expiry{}, ErrExpiryFormat},
		{"11-27", Expiry{}, ErrExpiryFormat},
		{"11/", Expiry{}, ErrExpiryFormat},
		{"/27", Expiry{}, ErrExpiryFormat},
		{"11/7", Expiry{}, ErrExpiryFormat},
		{"11/027", Expiry{}, ErrExpiryFormat},
		{"11/20277", Expiry{}, ErrExpiryFormat},
		{"011/27", Expiry{}, ErrExpiryFormat},
		{"+1/27", Expiry{}, ErrExpiryFormat},
		{"-1/27", Expiry{}, ErrExpiryFormat},
		{"1a/27", Expiry{}, ErrExpiryFormat},
		{"11/27/01", Expiry{}, ErrExpiryFormat},
		{"١١/٢٧", Expiry{}, ErrExpiryFormat},
	}
	for _, tt := range tests {
		got, err := ParseExpiry(tt.in)
		if got != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("ParseExpiry(%q) = %v, %v; want %v, %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestExpiry_String(t *testing.T) {
	if got := (Expiry{Month: 3, Year: 2027}).String(); got != "03/2027" {
		t.Errorf("String() = %q, want 03/2027", got)
	}
}

func TestExpiry_Valid(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600)
	}
	kiribati := time.FixedZone("UTC+14", 14*3600)
	mid := time.Date(2026, time.November, 15, 10, 0, 0, 0, paris)
	lastMinute := time.Date(2026, time.November, 30, 23, 59, 59, 999999999, paris)
	tests := []struct {
		name   string
		expiry string
		now    time.Time
		want   bool
	}{
		{"last month", "10/26", mid, false},
		{"last year", "11/25", mid, false},
		{"this month", "11/26", mid, true},
		{"this month, four-digit year", "11/2026", mid, true},
		{"last day at 23:59", "11/26", lastMinute, true},
		{"first instant of next month", "11/26", lastMinute.Add(time.Nanosecond), false},
		{"next month", "12/26", mid, true},
		{"next year", "01/27", mid, true},
		// 1 December 00:30 at UTC+14 is still 30 November in UTC: now's
		// location decides.
		{"month over in now's location", "11/26", time.Date(2026, time.December, 1, 0, 30, 0, 0, kiribati), false},
		{"month not over in now's location", "11/26", time.Date(2026, time.December, 1, 0, 30, 0, 0, kiribati).UTC(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseExpiry(tt.expiry)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.Valid(tt.now); got != tt.want {
				t.Errorf("%v.Valid(%v) = %v, want %v", e, tt.now, got, tt.want)
			}
		})
	}
	if (Expiry{Month: 0, Year: 2099}).Valid(mid) || (Expiry{Month: 13, Year: 2099}).Valid(mid) {
		t.Error("an expiry with no real month is valid")
	}
}

// FuzzParseExpiry: never panics; whatever it accepts has a real month and a
// four-digit year, and reads back the same from its String.
func FuzzParseExpiry(f *testing.F) {
	for _, s := range []string{"11/27", "11/2027", "1/27", " 12 / 2030 ", "13/27", "00/27", "", "/", "//", "1/", "99/9999", "\xff/27", "٠١/٢٧"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseExpiry(s)
		if err != nil {
			if e != (Expiry{}) {
				t.Fatalf("non-zero Expiry %v with error %v", e, err)
			}
			return
		}
		if e.Month < 1 || e.Month > 12 {
			t.Fatalf("ParseExpiry(%q) month %d", s, e.Month)
		}
		if e.Year < 0 || e.Year > 9999 {
			t.Fatalf("ParseExpiry(%q) year %d", s, e.Year)
		}
		if back, err := ParseExpiry(e.String()); err != nil || back != e {
			t.Fatalf("ParseExpiry(%q) = %v, which reads back as %v, %v", s, e, back, err)
		}
	})
}
