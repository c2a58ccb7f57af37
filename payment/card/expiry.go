package card

import (
	"fmt"
	"strings"
	"time"
)

// Expiry is the month a card expires, as printed on it. Year has four digits.
type Expiry struct{ Month, Year int }

// ParseExpiry reads "MM/YY" or "MM/YYYY" as typed. Spaces around the whole
// and around the slash are forgiven, and so is a one-digit month ("1/27").
// A two-digit year is in the 2000s: cards are valid for a few years at most.
func ParseExpiry(s string) (Expiry, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Expiry{}, ErrExpiryRequired
	}
	m, y, ok := strings.Cut(s, "/")
	if !ok {
		return Expiry{}, ErrExpiryFormat
	}
	m, y = strings.TrimSpace(m), strings.TrimSpace(y)
	month, ok := smallNumber(m)
	if !ok || len(m) > 2 || month < 1 || month > 12 {
		return Expiry{}, ErrExpiryFormat
	}
	year, ok := smallNumber(y)
	switch {
	case !ok || (len(y) != 2 && len(y) != 4):
		return Expiry{}, ErrExpiryFormat
	case len(y) == 2:
		year += 2000
	}
	return Expiry{Month: month, Year: year}, nil
}

// smallNumber reads one to four ASCII digits; strconv.Atoi would also take
// signs and longer strings, which are not dates.
func smallNumber(s string) (int, bool) {
	if s == "" || len(s) > 4 {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		v = v*10 + int(s[i]-'0')
	}
	return v, true
}

// String is "MM/YYYY", the form stored with the order.
func (e Expiry) String() string { return fmt.Sprintf("%02d/%04d", e.Month, e.Year) }

// Valid reports whether a card with this expiry can still pay at now: a card
// is good through the last day of its month, and that day ends at midnight in
// now's location (the shop's clock, injected by the caller).
func (e Expiry) Valid(now time.Time) bool {
	if e.Month < 1 || e.Month > 12 {
		return false
	}
	end := time.Date(e.Year, time.Month(e.Month)+1, 1, 0, 0, 0, 0, now.Location())
	return now.Before(end)
}
