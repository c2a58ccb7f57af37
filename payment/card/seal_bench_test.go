package card

import "testing"

// BenchmarkKey_Seal seals the six e-mailed digits of a number to an order reference
// (AES-256-GCM), once per card payment.
func BenchmarkKey_Seal(b *testing.B) {
	k, err := NewKey()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Seal("424242", "K7M2QX9PRT"); err != nil {
			b.Fatal(err)
		}
	}
}
