package cmcic

import (
	"fmt"
	"math"
	"strconv"
)

// FormatAmount writes an amount the way the bank wants it: units, a dot, two
// decimals, then the ISO 4217 code with no space (6273, "EUR" → "62.73EUR").
// Integer arithmetic only: money never goes through a float.
func FormatAmount(cents int64, currency string) string {
	sign := ""
	u := uint64(cents)
	if cents < 0 {
		sign = "-"
		u = -u // two's complement: also right for math.MinInt64
	}
	return sign + strconv.FormatUint(u/100, 10) + "." + fmt.Sprintf("%02d", u%100) + currency
}

// ParseAmount reads an amount as the bank writes it: digits, optionally a dot
// and one or two decimals, then three upper-case letters ("62.73EUR",
// "62.7EUR", "62EUR", "0.50EUR"). Signs, more than two decimals, spaces and
// anything else are rejected.
func ParseAmount(s string) (cents int64, currency string, err error) {
	bad := func(why string) (int64, string, error) {
		return 0, "", fmt.Errorf("cmcic: invalid amount %.40q: %s", s, why)
	}
	if len(s) < 4 {
		return bad("too short")
	}
	num, currency := s[:len(s)-3], s[len(s)-3:]
	if !isCurrency(currency) {
		return bad("no ISO 4217 currency code at the end")
	}
	units, frac := num, ""
	for i := 0; i < len(num); i++ {
		if num[i] == '.' {
			units, frac = num[:i], num[i+1:]
			if frac == "" {
				return bad("no digit after the dot")
			}
			break
		}
	}
	if units == "" || !isDigits(units) {
		return bad("not a positive decimal number")
	}
	if len(frac) > 2 || !isDigits(frac) {
		return bad("at most two decimals")
	}
	const maxUnits = (math.MaxInt64 - 99) / 100
	var u int64
	for i := 0; i < len(units); i++ {
		d := int64(units[i] - '0')
		if u > (maxUnits-d)/10 {
			return bad("too large")
		}
		u = u*10 + d
	}
	var f int64
	for i := 0; i < 2; i++ {
		f *= 10
		if i < len(frac) {
			f += int64(frac[i] - '0')
		}
	}
	return u*100 + f, currency, nil
}

// isCurrency reports whether s has the shape of an ISO 4217 code.
func isCurrency(s string) bool { return isUpperLetters(s, 3) }

// isUpperLetters reports whether s is exactly n letters A–Z.
func isUpperLetters(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// isDigits reports whether s holds only ASCII digits ("" does).
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
