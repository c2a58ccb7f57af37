package card

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
)

// Masks: the forms in which a number may appear on a screen, in a log line or
// in any serialised value. None shows more than the first six digits.

// ellipsis ends a Number's mask: it shows that digits are missing without
// saying how many.
const ellipsis = "…"

// bullet stands for each hidden digit in MaskStored.
const bullet = "•"

// mask is the only text a Number ever gives of itself.
func (n Number) mask() string {
	if n.digits() == "" {
		return ""
	}
	return n.First6() + ellipsis
}

// String returns the mask, e.g. "424242…".
func (n Number) String() string { return n.mask() }

// GoString keeps %#v (and test failure output) masked too.
func (n Number) GoString() string {
	if n.digits() == "" {
		return "card.Number{}"
	}
	return fmt.Sprintf("card.Number{%q}", n.mask())
}

// Format handles every fmt verb, so that %d, %x or %+v cannot fall back to
// printing the struct. Width, precision and flags apply to the mask.
func (n Number) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v':
		if f.Flag('#') {
			fmt.Fprint(f, n.GoString())
			return
		}
	case 'q':
		fmt.Fprintf(f, fmt.FormatString(f, 'q'), n.mask())
		return
	}
	fmt.Fprintf(f, fmt.FormatString(f, 's'), n.mask())
}

// MarshalJSON writes the mask as a JSON string.
func (n Number) MarshalJSON() ([]byte, error) { return json.Marshal(n.mask()) }

// MarshalText writes the mask; there is deliberately no UnmarshalText, since
// a mask cannot be read back into a number.
func (n Number) MarshalText() ([]byte, error) { return []byte(n.mask()), nil }

// LogValue makes log/slog record the mask, whatever the handler.
func (n Number) LogValue() slog.Value { return slog.StringValue(n.mask()) }

// MaskStored renders the stored part of a number (see Number.Split) for a
// screen: at most its first six digits, then a bullet for every other stored
// digit and for the six digits that were never stored. It reads only digits
// from stored, so nothing else it might hold is shown, and "" stays "".
func MaskStored(stored string) string {
	var b strings.Builder
	shown, hidden := 0, 0
	for i := 0; i < len(stored); i++ {
		if !isDigit(stored[i]) {
			continue
		}
		if shown < 6 {
			b.WriteByte(stored[i])
			shown++
			continue
		}
		hidden++
	}
	if shown == 0 {
		return ""
	}
	b.WriteString(strings.Repeat(bullet, hidden+tailDigits))
	return b.String()
}
