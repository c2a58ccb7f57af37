package store

import (
	"strconv"
	"strings"
)

// FormatCents writes an amount of euro cents the way shoppers read it: "€1,234.50".
// Integer arithmetic only; a negative amount keeps its sign in front.
func FormatCents(cents int64) string {
	sign := ""
	if cents < 0 {
		sign = "-"
		cents = -cents
	}
	units := strconv.FormatInt(cents/100, 10)
	for i := len(units) - 3; i > 0; i -= 3 {
		units = units[:i] + "," + units[i:]
	}
	frac := cents % 100
	return sign + "€" + units + "." + string(rune('0'+frac/10)) + string(rune('0'+frac%10))
}

// FormatMoney writes an amount of cents in a currency: euros as FormatCents does, any
// other currency with its code after the number ("14.40 USD"), never a euro sign on it.
func FormatMoney(cents int64, currency string) string {
	s := FormatCents(cents)
	if currency == "EUR" || currency == "" {
		return s
	}
	return strings.Replace(s, "€", "", 1) + " " + currency
}

// FormatRate writes a VAT rate in basis points as a percentage: 550 → "5.5%".
func FormatRate(bp int) string {
	s := strconv.Itoa(bp / 100)
	if r := bp % 100; r != 0 {
		if r%10 == 0 {
			s += "." + strconv.Itoa(r/10)
		} else {
			s += "." + strconv.Itoa(r/10) + strconv.Itoa(r%10)
		}
	}
	return s + "%"
}
