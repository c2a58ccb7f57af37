package card

import "strings"

// Brand is a card network the shop accepts. Its value is what the form posts
// and what is stored with the order.
type Brand string

const (
	Visa       Brand = "visa"
	Mastercard Brand = "mastercard"
	Amex       Brand = "amex"
	Diners     Brand = "diners"
)

// Brands lists the accepted brands in the order the payment form shows them.
var Brands = []Brand{Visa, Mastercard, Amex, Diners}

// ParseBrand reads a brand as posted by the form. Surrounding spaces and case
// are forgiven; anything else that is not one of the constants is refused.
func ParseBrand(s string) (Brand, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ErrBrandRequired
	}
	for _, b := range Brands {
		if strings.EqualFold(s, string(b)) {
			return b, nil
		}
	}
	return "", ErrBrandUnknown
}

// Label is the brand's name as shoppers know it.
func (b Brand) Label() string {
	switch b {
	case Visa:
		return "Visa"
	case Mastercard:
		return "Mastercard"
	case Amex:
		return "American Express"
	case Diners:
		return "Diners Club"
	}
	// Not the raw value: a Brand built from arbitrary input could hold anything.
	return "Unknown"
}

// brandOf finds the brand of a Luhn-checked digit string by prefix and
// length (cards.md). The ranges do not overlap, but the narrower ones are
// tested first so that adding a range later cannot be shadowed by a wider one.
func brandOf(d string) (Brand, bool) {
	n := len(d)
	switch {
	case n == 16 && inRange(d, 6, 222100, 272099):
		return Mastercard, true
	case n == 16 && inRange(d, 2, 51, 55):
		return Mastercard, true
	case n == 15 && (inRange(d, 2, 34, 34) || inRange(d, 2, 37, 37)):
		return Amex, true
	case (n == 14 || n == 16) && (inRange(d, 4, 3095, 3095) || inRange(d, 3, 300, 305) ||
		inRange(d, 2, 36, 36) || inRange(d, 2, 38, 39)):
		return Diners, true
	case (n == 13 || n == 16 || n == 19) && d[0] == '4':
		return Visa, true
	}
	return "", false
}

// inRange reports whether the first width digits of d, read as a number, lie
// in [lo, hi].
func inRange(d string, width, lo, hi int) bool {
	if len(d) < width {
		return false
	}
	v := 0
	for i := range width {
		v = v*10 + int(d[i]-'0')
	}
	return lo <= v && v <= hi
}
