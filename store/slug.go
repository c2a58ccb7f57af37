package store

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// maxSlug keeps URLs readable; a longer name is cut at a dash.
const maxSlug = 80

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ligatures are the letters that do not decompose into a base letter and an accent.
var ligatures = strings.NewReplacer("æ", "ae", "œ", "oe", "ß", "ss", "ø", "o", "đ", "d", "ł", "l", "þ", "th", "ð", "d")

// Slugify turns a name into lower-case ASCII words joined by dashes, accents folded:
// "Café Crème" → "cafe-creme". It may return "" when nothing of the name is usable.
func Slugify(name string) string {
	s := ligatures.Replace(strings.ToLower(name))
	var b strings.Builder
	dash := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r): // the accent of a decomposed letter
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		default:
			dash = true
		}
	}
	out := b.String()
	if len(out) > maxSlug {
		out = out[:maxSlug]
		if i := strings.LastIndexByte(out, '-'); i > maxSlug/2 {
			out = out[:i]
		}
		out = strings.Trim(out, "-")
	}
	return out
}

// ValidSlug reports whether s may be used as typed: lower-case ASCII words and dashes.
func ValidSlug(s string) bool { return len(s) <= maxSlug && slugPattern.MatchString(s) }

// freeSlug is base, or base-2, base-3… the first not used in table by another row than
// exceptID. It runs inside the writing transaction, so no one takes it in between.
func freeSlug(ctx context.Context, tx *Tx, table, base string, exceptID int64) (string, error) {
	if base == "" {
		base = strings.TrimSuffix(table, "s")
	}
	for i := 1; ; i++ {
		s := base
		if i > 1 {
			suffix := "-" + strconv.Itoa(i)
			s = strings.TrimRight(base[:min(len(base), maxSlug-len(suffix))], "-") + suffix
		}
		taken, err := slugTaken(ctx, tx, table, s, exceptID)
		if err != nil || !taken {
			return s, err
		}
	}
}

// slugTaken says whether another row of table (products or categories) has slug s.
func slugTaken(ctx context.Context, q Querier, table, s string, exceptID int64) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE slug = ? AND id != ?`, s, exceptID).Scan(&n)
	return n > 0, err
}
