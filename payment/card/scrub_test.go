package card

import (
	"strings"
	"testing"
)

func TestScrub_MasksCardNumbers(t *testing.T) {
	const r = "[redacted card number]"
	tests := []struct{ in, want string }{
		{"4242424242424242", r},
		{"paid with 4242424242424242 today", "paid with " + r + " today"},
		{"paid with 4242 4242 4242 4242 today", "paid with " + r + " today"},
		{"paid with 4242-4242-4242-4242 today", "paid with " + r + " today"},
		{"paid with 4242.4242.4242.4242 today", "paid with " + r + " today"},
		{"paid with 4242/4242/4242/4242 today", "paid with " + r + " today"},
		{"paid with 4242  4242  4242  4242 today", "paid with " + r + " today"},
		{"paid with 4242 - 4242 - 4242 - 4242 today", "paid with " + r + " today"},
		{"paid with 4242 4242-4242 4242.", "paid with " + r + "."},
		{"amex 378282246310005.", "amex " + r + "."},
		{"amex 3782 822463 10005.", "amex " + r + "."},
		{"visa13=4007000000027;", "visa13=" + r + ";"},
		{"diners 30569309025904", "diners " + r},
		{"mc 2223003122003222 and 5555555555554444", "mc " + r + " and " + r},
		{"two side by side 4242424242424242 5555555555554444", "two side by side " + r + " " + r},
		{"glued to letters x4242424242424242y", "glued to letters x" + r + "y"},
		{"after a date 2026-11-23 4242424242424242", "after a date 2026-11-23 " + r},
		{`{"pan":"4012888888881881"}`, `{"pan":"` + r + `"}`},
		{"19-digit visa " + withCheckDigit(t, "424242424242424242"), "19-digit visa " + r},
		{"zeros 0000000000000", "zeros " + r},
	}
	for _, tt := range tests {
		if !strings.Contains(tt.want, r) {
			t.Fatalf("bad test case %q", tt.in)
		}
		if got := Scrub(tt.in); got != tt.want {
			t.Errorf("Scrub(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if !Holds(tt.in) {
			t.Errorf("Holds(%q) = false", tt.in)
		}
	}
}

func TestScrub_NumberNextToOtherDigits(t *testing.T) {
	// The card is found even when the run it sits in is longer, and none of
	// its four-digit groups is left behind.
	for _, in := range []string{
		"4242 4242 4242 4242 2 items",
		"qty 2 4242 4242 4242 4242",
		"12 4242 4242 4242 4242 3",
		"2026-11-23 4242-4242-4242-4242-12",
		"1 2 3 5555 5555 5555 4444 7 8 9",
	} {
		got := Scrub(in)
		if strings.Contains(got, "4242") || strings.Contains(got, "5555") || !strings.Contains(got, "[redacted card number]") {
			t.Errorf("Scrub(%q) = %q", in, got)
		}
	}
}

func TestScrub_LeavesOtherNumbersAlone(t *testing.T) {
	tests := []string{
		"order 20261123123456",   // 14 digits, fails Luhn
		"order 2026112312345678", // 16 digits, fails Luhn
		"order 20261123 123456",
		"card 4242424242424241 refused", // a mistyped card: fails Luhn
		"at 2026-11-23 12:34:56.123456",
		"phone 06 12 34 56 78",
		"order 1234, total 4999 cents",
		"12 digits 424242424242",
		"20 digits 42424242424242424242",
		"four spaces 4242    4242 4242 4242",
		"comma 4242, 4242, 4242, 4242",
		"from 12/03/2026 - 14/03/2026",    // 03 2026 14 03 2026 passes Luhn, across two separators
		"06.12.34.56.78 / 07.11.22.33.44", // two phones
		"mixed 4242.4242/4242.4242",
		"",
		"no digits at all",
	}
	for _, in := range tests {
		for _, run := range strings.FieldsFunc(in, func(r rune) bool { return r < '0' || r > '9' }) {
			if len(run) >= 13 && len(run) <= 19 && refLuhn(run) {
				t.Fatalf("test value %s passes Luhn: pick another", run)
			}
		}
		if got := Scrub(in); got != in {
			t.Errorf("Scrub(%q) = %q, want it unchanged", in, got)
		}
	}
}

func TestScrub_LongInputs(t *testing.T) {
	// Long runs of short groups and of digits: Scrub is linear, so these
	// finish at once; a backtracking matcher would not.
	for _, in := range []string{
		strings.Repeat("1 ", 200000),
		strings.Repeat("9-", 200000),
		strings.Repeat("7", 400000),
		strings.Repeat("x", 400000),
		strings.Repeat("1234 5678 ", 50000),
	} {
		out := Scrub(in)
		if in == strings.Repeat("7", 400000) && out != in {
			t.Errorf("a 400000-digit run was changed")
		}
		assertNoCardRun(t, in[:20], out)
	}
}

// assertNoCardRun fails when out holds a maximal run of 13 to 19 consecutive
// ASCII digits that passes Luhn.
func assertNoCardRun(t *testing.T, in, out string) {
	t.Helper()
	for i := 0; i < len(out); {
		if !isDigit(out[i]) {
			i++
			continue
		}
		j := i
		for j < len(out) && isDigit(out[j]) {
			j++
		}
		if run := out[i:j]; len(run) >= 13 && len(run) <= 19 && refLuhn(run) {
			t.Fatalf("Scrub(%q) left the card-like run %s", in, run)
		}
		i = j
	}
}

func FuzzScrub(f *testing.F) {
	for _, s := range []string{
		"", "4242424242424242", "paid with 4242 4242 4242 4242 today", "4242-4242-4242-4242",
		"378282246310005", "4007000000027", "order 20261123123456", "12 4242 4242 4242 4242 3",
		"2026-11-23 4242424242424242", "4242424242424242 5555555555554444", "42424242424242424242",
		"1 2 3 4 5 6 7 8 9 0 1 2 3 4 5", "0000000000000", "4242 4242 4242 4242-", "-4242 4242 4242 4242 ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Scrub(s)
		assertNoCardRun(t, s, out)
		if countDigits(s) < 13 && out != s {
			t.Fatalf("Scrub(%q) = %q: changed a string too short to hold a card", s, out)
		}
		if again := Scrub(out); again != out {
			t.Fatalf("Scrub is not idempotent on %q: %q then %q", s, out, again)
		}
	})
}

// FuzzScrub_AroundCard puts a test number, written one of three ways, between
// fuzzed text. Runs never cross a '|', so Scrub must give the scrubbed text on
// each side and exactly one redaction for the card.
func FuzzScrub_AroundCard(f *testing.F) {
	f.Add("paid with", "today", uint8(0), uint8(0))
	f.Add("2026-11-23 12", "3 items", uint8(5), uint8(1))
	f.Add("4242424242424242", "5555 5555 5555 4444", uint8(9), uint8(2))
	var cards []string
	for _, b := range Brands {
		cards = append(cards, testNumbers[b]...)
	}
	f.Fuzz(func(t *testing.T, before, after string, which, form uint8) {
		card := cards[int(which)%len(cards)]
		switch form % 3 {
		case 1:
			card = groupBy4(card, " ")
		case 2:
			card = groupBy4(card, "-")
		}
		got := Scrub(before + "|" + card + "|" + after)
		want := Scrub(before) + "|" + Redacted + "|" + Scrub(after)
		if got != want {
			t.Fatalf("Scrub around %s = %q, want %q", card, got, want)
		}
	})
}

func BenchmarkScrub(b *testing.B) {
	line := `time=2026-11-23T12:34:56.789Z level=INFO msg="order placed" ref=AB12CD34 total=4999 items=3 duration=12.5ms`
	b.Run("no card", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Scrub(line)
		}
	})
	withCard := line + " pan=4242424242424242"
	b.Run("card", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Scrub(withCard)
		}
	})
}
