package store

import (
	"strconv"
	"strings"
)

// MaxPriceCents is the highest price the admin accepts: €1,000,000.00.
const MaxPriceCents = 100_000_000

// ParseEuros reads a price typed by the merchant into cents, with integer arithmetic
// only. It accepts "12", "12.5", "12,50", "€12.50", "12,50 €" and "1 234,50" (spaces
// between groups of three digits). It refuses what is ambiguous rather than guess:
// "12,345" (three decimals, or twelve thousand in English?) and "1,234.50" (two
// separators). The error is Invalid with a message to show beside the field.
func ParseEuros(s string) (int64, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(s, "€"), "€"))
	s = strings.TrimSpace(strings.TrimSuffix(s, "EUR"))
	switch {
	case s == "":
		return 0, Errorf(Invalid, "Enter a price, such as 12.50.")
	case strings.HasPrefix(s, "-"):
		return 0, Errorf(Invalid, "The price cannot be negative.")
	case strings.Count(s, ",")+strings.Count(s, ".") > 1:
		return 0, Errorf(Invalid, "Use one decimal separator only, such as 1234.50.")
	}
	units, frac, _ := strings.Cut(strings.ReplaceAll(s, ",", "."), ".")
	if len(frac) > 2 {
		return 0, Errorf(Invalid, "A price has at most two decimals, such as 12.34; for twelve thousand write 12000.")
	}
	units, ok := ungroup(units)
	if !ok || !allDigits(frac) || (frac == "" && strings.ContainsAny(s, ",.")) {
		return 0, Errorf(Invalid, "Enter a price in euros, such as 12.50.")
	}
	if len(units) > 9 {
		return 0, Errorf(Invalid, "The price must be at most €1,000,000.00.")
	}
	n, _ := strconv.ParseInt(units, 10, 64) // nine digits at most: cannot overflow
	cents := n * 100
	if frac != "" {
		f, _ := strconv.ParseInt(frac, 10, 64)
		if len(frac) == 1 {
			f *= 10
		}
		cents += f
	}
	switch {
	case cents > MaxPriceCents:
		return 0, Errorf(Invalid, "The price must be at most €1,000,000.00.")
	case cents == 0:
		return 0, Errorf(Invalid, "The price must be more than zero.")
	}
	return cents, nil
}

// ungroup removes the spaces (plain or non-breaking) between groups of three digits of
// an amount's whole part; any other space is a mistake.
func ungroup(s string) (string, bool) {
	groups := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\u00a0' || r == '\u202f' })
	if len(groups) == 0 || len(groups[0]) > 3 && len(groups) > 1 {
		return "", false
	}
	for i, g := range groups {
		if !allDigits(g) || g == "" || (i > 0 && len(g) != 3) {
			return "", false
		}
	}
	return strings.Join(groups, ""), true
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// CentsInput writes cents the way the price field shows them for editing: "1234.50".
func CentsInput(cents int64) string {
	return strconv.FormatInt(cents/100, 10) + "." + string(rune('0'+cents%100/10)) + string(rune('0'+cents%10))
}
