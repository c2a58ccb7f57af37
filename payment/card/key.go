package card

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// Key encrypts the six e-mailed digits while they wait in the mail outbox
// (AES-256-GCM). It comes from configuration (SHOP_CARD_KEY) and is never
// stored in the database, so a copy of the database alone does not give
// back full numbers.
type Key struct {
	// Out of fmt's reach, like a Number's digits (see secret.go). The zero
	// Key holds nothing, and Seal and Open refuse it.
	k secret[[32]byte]
}

// ErrKeyFormat is returned by ParseKey. Its message never repeats the key.
var ErrKeyFormat = errors.New("card key: want 64 hexadecimal characters or the base64 encoding of 32 bytes")

var (
	errNoKey    = errors.New("card key: not set")
	errTail     = errors.New("card key: only the six last digits of a number are sealed")
	errOpen     = errors.New("card key: cannot open the sealed digits (wrong key or wrong order reference)")
	errTailOpen = errors.New("card key: the opened value is not six digits")
)

// ParseKey reads a key as configured: 64 hex characters, or standard base64
// (padded or not) of exactly 32 bytes. Surrounding spaces and newlines, as
// left by a key file, are ignored.
func ParseKey(s string) (Key, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Key{}, fmt.Errorf("%w (the key is empty)", ErrKeyFormat)
	}
	var raw []byte
	if len(s) == 64 {
		if b, err := hex.DecodeString(s); err == nil {
			raw = b
		}
	}
	if raw == nil {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
			if b, err := enc.DecodeString(s); err == nil && len(b) == 32 {
				raw = b
				break
			}
		}
	}
	if len(raw) != 32 {
		// The length helps find a truncated paste and says nothing of the key.
		return Key{}, fmt.Errorf("%w (got %d characters that are neither)", ErrKeyFormat, len(s))
	}
	var k [32]byte
	copy(k[:], raw)
	return Key{k: newSecret(k)}, nil
}

// NewKey makes a random key, for development (the demo writes it to a key
// file with String) and for tests.
func NewKey() (Key, error) {
	var k [32]byte
	if _, err := rand.Read(k[:]); err != nil {
		return Key{}, fmt.Errorf("card key: %w", err)
	}
	return Key{k: newSecret(k)}, nil
}

// String returns the key itself, hex encoded, so that ParseKey reads it back.
// This is deliberate: it is how a generated development key is written to its
// file. Do not print or log a Key; LogValue hides it from log/slog at least.
func (k Key) String() string {
	b, ok := k.k.value()
	if !ok {
		return ""
	}
	return hex.EncodeToString(b[:])
}

// LogValue keeps a Key logged by mistake out of the logs.
func (k Key) LogValue() slog.Value { return slog.StringValue("[card key]") }

// GoString keeps %#v (and test failure output) from showing the key.
func (k Key) GoString() string { return "card.Key{…}" }

// Seal encrypts tail (the six last digits of a number) bound to aad, the
// order reference, so that sealed digits moved to another order do not open.
// The random 12-byte nonce is prepended to the result.
func (k Key) Seal(tail string, aad string) ([]byte, error) {
	if !isTail(tail) {
		return nil, errTail
	}
	aead, err := k.aead()
	if err != nil {
		return nil, err
	}
	return aead.Seal(nil, nil, []byte(tail), []byte(aad)), nil
}

// Open decrypts what Seal made with the same key and aad.
func (k Key) Open(sealed []byte, aad string) (string, error) {
	aead, err := k.aead()
	if err != nil {
		return "", err
	}
	// cipher's own error says only "message authentication failed"; ours
	// tells the operator what to check.
	plain, err := aead.Open(nil, nil, sealed, []byte(aad))
	if err != nil {
		return "", errOpen
	}
	if !isTail(string(plain)) {
		return "", errTailOpen
	}
	return string(plain), nil
}

// aead builds AES-256-GCM with random nonces that the AEAD itself prepends
// and reads back.
func (k Key) aead() (cipher.AEAD, error) {
	b, ok := k.k.value()
	if !ok {
		return nil, errNoKey
	}
	block, err := aes.NewCipher(b[:])
	if err != nil {
		return nil, fmt.Errorf("card key: %w", err)
	}
	return cipher.NewGCMWithRandomNonce(block)
}

// isTail reports whether s is six ASCII digits, the only thing Seal is for.
func isTail(s string) bool {
	if len(s) != tailDigits {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
