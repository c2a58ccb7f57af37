package card

// isDigit accepts ASCII digits only: unicode.IsDigit would let Arabic-Indic or
// full-width digits through, which no card carries and which would then have
// to be converted (or silently read as something else).
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// luhnValid reports whether the digits of s pass the Luhn check. Bytes that
// are not ASCII digits are skipped, so Scrub can check "4242 4242 ..." as
// written; ParseNumber passes digits only.
func luhnValid(s string) bool {
	sum, double := 0, false
	for i := len(s) - 1; i >= 0; i-- {
		if !isDigit(s[i]) {
			continue
		}
		d := int(s[i] - '0')
		if double {
			d = luhnDouble(d)
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// luhnDouble is the Luhn doubling of one digit: a doubled value over 9 loses 9.
func luhnDouble(d int) int {
	d *= 2
	if d > 9 {
		d -= 9
	}
	return d
}
