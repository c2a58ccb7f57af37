package cmcic

import (
	"fmt"
	"slices"
	"strings"
)

// Format is the way a terminal's seal is computed. A terminal is configured
// for one of them at the bank; sealing with the other one gets every payment
// rejected.
type Format int

const (
	// Current is Monetico's format since September 2019: every field except
	// MAC as name=value, sorted by name in byte order, joined by '*'.
	Current Format = iota
	// Legacy is CM-CIC p@iement 3.0: values at fixed positions joined by '*'.
	Legacy
)

// ParseFormat reads a Format from configuration: "current" or "legacy".
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "current":
		return Current, nil
	case "legacy":
		return Legacy, nil
	}
	return 0, fmt.Errorf("cmcic: unknown seal format %q (want current or legacy)", s)
}

func (f Format) String() string {
	switch f {
	case Current:
		return "current"
	case Legacy:
		return "legacy"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// sealVersion is the protocol version both formats carry. The legacy
// notification seal has it at position 6, a literal: the bank does not post a
// version field back, and one posted anyway is not what is sealed there.
const sealVersion = "3.0"

// legacyFormOrder is the legacy outgoing seal: a plain payment leaves the
// last ten values empty, so its sealed string ends with ten stars after mail.
var legacyFormOrder = []string{
	"TPE", "date", "montant", "reference", "texte-libre", "version", "lgue",
	"societe", "mail", "nbrech", "dateech1", "montantech1", "dateech2",
	"montantech2", "dateech3", "montantech3", "dateech4", "montantech4",
	"options",
}

// legacyNotificationOrder is the legacy notification seal: 20 values, each
// followed by a star.
var legacyNotificationOrder = []string{
	"TPE", "date", "montant", "reference", "texte-libre", "version",
	"code-retour", "cvx", "vld", "brand", "status3ds", "numauto", "motifrefus",
	"originecb", "bincb", "hpancb", "ipclient", "originetr", "veres", "pares",
}

// macField is the name of the seal itself, left out of what is sealed.
const macField = "MAC"

// formInput is the string sealed for an outgoing payment form.
func (c Config) formInput(fields []Field) string {
	if c.Format == Legacy {
		get := lookup(fields)
		vals := make([]string, len(legacyFormOrder))
		for i, name := range legacyFormOrder {
			vals[i] = get(name)
		}
		return strings.Join(vals, "*")
	}
	return sortedInput(fields)
}

// notificationInput is the string sealed for a notification.
func (c Config) notificationInput(fields []Field) string {
	if c.Format == Legacy {
		get := lookup(fields)
		var sb strings.Builder
		for _, name := range legacyNotificationOrder {
			v := get(name)
			if name == "version" {
				v = sealVersion // the spec's literal 3.0, whatever version field is posted
			}
			sb.WriteString(v)
			sb.WriteByte('*')
		}
		return sb.String()
	}
	return sortedInput(fields)
}

// sortedInput is the current format's sealed string: whatever fields are
// there, never a fixed list, because the bank adds fields over time.
// Sorting is by byte order (digits < upper case < lower case), not by
// locale or case-insensitively.
func sortedInput(fields []Field) string {
	fs := make([]Field, 0, len(fields))
	for _, f := range fields {
		if f.Name != macField {
			fs = append(fs, f)
		}
	}
	slices.SortStableFunc(fs, func(a, b Field) int { return strings.Compare(a.Name, b.Name) })
	var sb strings.Builder
	for i, f := range fs {
		if i > 0 {
			sb.WriteByte('*')
		}
		sb.WriteString(f.Name)
		sb.WriteByte('=')
		sb.WriteString(f.Value)
	}
	return sb.String()
}

// lookup returns the value of the first field of that name, "" if absent.
func lookup(fields []Field) func(string) string {
	return func(name string) string {
		for _, f := range fields {
			if f.Name == name {
				return f.Value
			}
		}
		return ""
	}
}

// starInValues reports whether a value of one of the named fields holds the legacy
// format's separator, where it would read as the end of that value.
func starInValues(fields []Field, names []string) bool {
	get := lookup(fields)
	for _, name := range names {
		if strings.Contains(get(name), "*") {
			return true
		}
	}
	return false
}

// isFieldName reports whether s is a name as the bank writes them: letters, digits,
// '-' and '_'.
func isFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !('0' <= ch && ch <= '9' || 'A' <= ch && ch <= 'Z' || 'a' <= ch && ch <= 'z' || ch == '-' || ch == '_') {
			return false
		}
	}
	return true
}

// withMAC returns fields without any previous MAC, plus the MAC of input.
func (c Config) withMAC(fields []Field, input func([]Field) string) []Field {
	out := make([]Field, 0, len(fields)+1)
	for _, f := range fields {
		if f.Name != macField {
			out = append(out, f)
		}
	}
	return append(out, Field{Name: macField, Value: c.Key.MAC(input(out))})
}
