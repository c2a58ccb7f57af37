package card

import (
	"testing"
	"time"
)

// BenchmarkLuhnValid is the check digit alone, over a 16-digit number.
func BenchmarkLuhnValid(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if !luhnValid("4242424242424242") {
			b.Fatal("valid number refused")
		}
	}
}

// BenchmarkParseNumber reads a number as typed, with spaces: characters, length, Luhn.
func BenchmarkParseNumber(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseNumber("4242 4242 4242 4242"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheck is the whole card form check: number, brand, expiry.
func BenchmarkCheck(b *testing.B) {
	in := Input{Number: "4242 4242 4242 4242", Expiry: "12/30", Brand: "visa"}
	now := time.Date(2026, 11, 23, 18, 30, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, errs := Check(in, now); errs != nil {
			b.Fatal(errs)
		}
	}
}
