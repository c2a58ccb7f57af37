package card

// Lengths a card number may have before its brand is known.
const (
	minDigits = 12
	maxDigits = 19
	// tailDigits is how many trailing digits are kept out of the database and
	// e-mailed to the merchant instead (the seed's rule).
	tailDigits = 6
)

// Number is a full card number that passed the character, length and Luhn
// checks. It never prints itself: every way fmt, encoding/json,
// encoding.TextMarshaler and log/slog have of showing it gives a mask with
// the first six digits at most (see mask.go). The digits leave it only
// through Split and First6.
//
// Two Numbers parsed from the same text are not ==; compare Split results.
type Number struct {
	d secret[string] // the bare digits, out of fmt's reach (see secret.go)
}

// ParseNumber reads a number as typed: spaces and dashes are dropped, any
// other character (a letter, a dot, a non-ASCII digit) is refused rather
// than guessed at; then the length and the Luhn check digit are checked.
// Whether the number belongs to an accepted brand is Brand's question.
func ParseNumber(s string) (Number, error) {
	buf := make([]byte, 0, maxDigits)
	tooLong := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '-':
		case isDigit(c):
			// Keep scanning past maxDigits: a letter further on is the more
			// useful message, and the buffer never grows beyond a card.
			if len(buf) == maxDigits {
				tooLong = true
				continue
			}
			buf = append(buf, c)
		default:
			return Number{}, ErrNumberCharacters
		}
	}
	switch {
	case len(buf) == 0:
		return Number{}, ErrNumberRequired
	case tooLong || len(buf) < minDigits:
		return Number{}, ErrNumberLength
	}
	d := string(buf)
	if !luhnValid(d) {
		return Number{}, ErrNumberLuhn
	}
	return Number{d: newSecret(d)}, nil
}

// digits is the bare digit string, "" for the zero Number.
func (n Number) digits() string {
	d, _ := n.d.value()
	return d
}

// Brand is the accepted brand the number belongs to, by prefix and length;
// false for a valid number of no accepted brand.
func (n Number) Brand() (Brand, bool) {
	d := n.digits()
	if d == "" {
		return "", false
	}
	return brandOf(d)
}

// Split cuts the number where the shop's storage rule cuts it: stored is
// every digit but the last six and goes into the database with the order;
// tail is the last six and goes only into the merchant's e-mail (sealed with
// a Key until that mail is sent).
func (n Number) Split() (stored, tail string) {
	d := n.digits()
	if len(d) < tailDigits {
		return "", ""
	}
	cut := len(d) - tailDigits
	return d[:cut], d[cut:]
}

// First6 is the issuer prefix, the most any screen shows by default.
func (n Number) First6() string {
	d := n.digits()
	if len(d) < 6 {
		return d
	}
	return d[:6]
}
