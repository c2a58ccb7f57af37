package card

import "strings"

// Redacted replaces anything that looks like a full card number in Scrub's
// output.
const Redacted = "[redacted card number]"

// Lengths of the digit sequences Scrub treats as card numbers (cards.md).
const (
	minScrubDigits = 13
	maxScrubDigits = 19
)

// Scrub is the second line of defence for logs and error texts: it replaces
// every sequence of 13 to 19 digits that passes the Luhn check with
// "[redacted card number]". The digits may be written together or in groups
// separated by the same one to three spaces, dashes, dots or slashes throughout
// ("4242 4242 4242 4242", "4242.4242.4242.4242", "4242 / 4242 / 4242 / 4242"; one
// space or dash may mix, "4242 4242-4242 4242"); any other character, a longer gap or
// another separator ends a sequence, so that "12/03/2026 - 14/03/2026" is two dates
// and "06.12.34.56.78 / 07.11.22.33.44" two phone numbers. Sequences that fail Luhn
// (order numbers, timestamps) and shorter or longer ones are left alone.
//
// Every run of consecutive groups is tried, not only whole runs, so a number
// next to other digits ("2026-11-23 4242424242424242", "4242 4242 4242 4242 2
// items") is still found. Scrub is a hand-written single pass: linear in the
// length of s, and s is returned as is, without allocating, when it holds
// fewer than 13 digits.
func Scrub(s string) string {
	if countDigits(s) < minScrubDigits {
		return s
	}
	var (
		b       strings.Builder
		copied  int // s[:copied] has been written to b
		changed bool
		stack   [16]group // room for the groups of a usual run without allocating
		groups  = stack[:0]
	)
	redact := func(from, to int) {
		if !changed {
			b.Grow(len(s))
			changed = true
		}
		b.WriteString(s[copied:from])
		b.WriteString(Redacted)
		copied = to
	}
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		groups = digitRun(s, i, groups[:0])
		i = groups[len(groups)-1].end
		if runDigits(groups) < minScrubDigits {
			continue
		}
		// Each start group g covers [g, last] when some span starting there
		// is a card; overlapping covers merge into one redaction, adjacent
		// ones (two cards side by side) stay two.
		first, last := -1, -1
		for g := range groups {
			end := longestCard(s, groups, g)
			if end < 0 {
				continue
			}
			if first >= 0 && g <= last {
				last = max(last, end)
				continue
			}
			if first >= 0 {
				redact(groups[first].start, groups[last].end)
			}
			first, last = g, end
		}
		if first >= 0 {
			redact(groups[first].start, groups[last].end)
		}
	}
	if !changed {
		return s
	}
	b.WriteString(s[copied:])
	return b.String()
}

// Holds reports whether s holds what Scrub would redact: a value to keep off a page.
func Holds(s string) bool { return Scrub(s) != s }

// group is s[start:end], a maximal run of consecutive ASCII digits.
type group struct{ start, end int }

// maxGap is the most separator characters Scrub reads between two groups of a number.
const maxGap = 3

// digitRun collects the groups of the run starting at s[i] (a digit): digit
// groups joined by one to maxGap separators, the same between every two groups
// (see sameGap).
func digitRun(s string, i int, groups []group) []group {
	first := ""
	for {
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		groups = append(groups, group{start, i})
		gap := i
		for gap < len(s) && gap-i < maxGap && isSeparator(s[gap]) {
			gap++
		}
		if gap == i || gap == len(s) || !isDigit(s[gap]) {
			return groups
		}
		if first == "" {
			first = s[i:gap]
		} else if !sameGap(first, s[i:gap]) {
			return groups
		}
		i = gap
	}
}

// sameGap reports whether a gap continues a run whose first gap was first: the same
// characters, or one space or dash each (people mix those two in one number).
func sameGap(first, gap string) bool {
	single := func(g string) bool { return g == " " || g == "-" }
	return gap == first || single(gap) && single(first)
}

// isSeparator reports whether c is one of the characters people write between the
// groups of a card number.
func isSeparator(c byte) bool { return c == ' ' || c == '-' || c == '.' || c == '/' }

func runDigits(groups []group) int {
	n := 0
	for _, g := range groups {
		n += g.end - g.start
	}
	return n
}

// longestCard returns the last group j such that groups[g..j] together hold
// 13 to 19 digits passing Luhn, or -1. It reads at most 19 digits, keeping
// both possible Luhn sums as it goes (which digits are doubled depends on the
// total length, unknown until the end), so the whole scan stays linear.
func longestCard(s string, groups []group, g int) int {
	best := -1
	// sums[p] doubles the digits at even (p=0) or odd (p=1) positions from
	// the left. For a length n the doubled positions are those of parity
	// opposite to n-1, the check digit's.
	var sums [2]int
	n := 0
	for j := g; j < len(groups); j++ {
		if n+groups[j].end-groups[j].start > maxScrubDigits {
			break
		}
		for i := groups[j].start; i < groups[j].end; i++ {
			d := int(s[i] - '0')
			if n%2 == 0 {
				sums[0] += luhnDouble(d)
				sums[1] += d
			} else {
				sums[0] += d
				sums[1] += luhnDouble(d)
			}
			n++
		}
		if n >= minScrubDigits && sums[n%2]%10 == 0 {
			best = j
		}
	}
	return best
}

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	return n
}
