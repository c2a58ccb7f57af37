package cmcic

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// keyChars is the length of the key as the bank hands it out, and of its
// usable hexadecimal form.
const keyChars = 40

// Key is a terminal's HMAC-SHA1 key (20 bytes). Its zero value is "no key".
// It never prints itself, so a Config logged with %v does not leak it.
type Key struct {
	b [keyChars / 2]byte
}

// ParseKey turns the 40-character key given by the bank into its usable form
// and decodes it. The bank's kits rewrite the last two characters before
// decoding (see usableKey); keys that are plain hex pass through unchanged.
// Surrounding white space is ignored because keys usually come from
// environment variables or files. Error messages never contain the key.
func ParseKey(s string) (Key, error) {
	s = strings.TrimSpace(s)
	if len(s) != keyChars {
		return Key{}, fmt.Errorf("cmcic: key must be %d characters, got %d", keyChars, len(s))
	}
	var k Key
	// hex.Decode's own error quotes the offending character: not shown.
	if _, err := hex.Decode(k.b[:], usableKey(s)); err != nil {
		return Key{}, errors.New("cmcic: key is not 40 hexadecimal digits once made usable")
	}
	if k.isZero() {
		return Key{}, errors.New("cmcic: key is all zeros, not a key a bank gives")
	}
	return k, nil
}

// usableKey applies the transformation of the bank's kits to a 40-character
// key: characters 0–37 are kept; for the last two (a, b): if a's code is
// strictly between 70 ('F') and 97 ('a'), a becomes chr(code(a)−23); else if
// b is 'M', b becomes '0'; else both are kept.
func usableKey(s string) []byte {
	out := []byte(s[:keyChars-2])
	a, b := s[keyChars-2], s[keyChars-1]
	switch {
	case a > 70 && a < 97:
		return append(out, a-23, b)
	case b == 'M':
		return append(out, a, '0')
	default:
		return append(out, a, b)
	}
}

// MAC returns the seal of data: HMAC-SHA1 written as lower-case hex.
func (k Key) MAC(data string) string {
	return hex.EncodeToString(sealBytes(k.b[:], data))
}

// Verify reports whether mac is the seal of data. Hex is compared after
// decoding, so upper-case MACs are accepted, and in constant time.
func (k Key) Verify(data, mac string) bool {
	got, err := hex.DecodeString(mac)
	if err != nil || len(got) != sha1.Size {
		return false
	}
	return hmac.Equal(sealBytes(k.b[:], data), got)
}

// String hides the key: it is a secret shared with the bank.
func (k Key) String() string {
	if k.isZero() {
		return "cmcic.Key(unset)"
	}
	return "cmcic.Key(redacted)"
}

// GoString hides the key from %#v as well.
func (k Key) GoString() string { return k.String() }

func (k Key) isZero() bool { return k == Key{} }

// sealBytes is the raw HMAC-SHA1; it takes any key length so that the short
// keys of published test vectors can be checked too.
func sealBytes(key []byte, data string) []byte {
	m := hmac.New(sha1.New, key)
	io.WriteString(m, data)
	return m.Sum(nil)
}
