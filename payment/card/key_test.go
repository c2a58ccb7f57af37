package card

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func mustNewKey(t *testing.T) Key {
	t.Helper()
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKey_SealOpen(t *testing.T) {
	k := mustNewKey(t)
	sealed, err := k.Seal("310005", "order-AB12CD")
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed) != 12+6+16 {
		t.Errorf("sealed is %d bytes, want nonce, six bytes and tag (34)", len(sealed))
	}
	if bytes.Contains(sealed, []byte("310005")) {
		t.Error("sealed bytes contain the clear digits")
	}
	got, err := k.Open(sealed, "order-AB12CD")
	if err != nil || got != "310005" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	again, _ := k.Seal("310005", "order-AB12CD")
	if bytes.Equal(sealed, again) {
		t.Error("two seals of the same digits are equal: the nonce is not random")
	}
}

func TestKey_OpenRefuses(t *testing.T) {
	k := mustNewKey(t)
	sealed, err := k.Seal("554444", "order-1")
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	tests := []struct {
		name   string
		key    Key
		sealed []byte
		aad    string
	}{
		{"wrong aad", k, sealed, "order-2"},
		{"wrong key", mustNewKey(t), sealed, "order-1"},
		{"tampered", k, flipped, "order-1"},
		{"truncated", k, sealed[:10], "order-1"},
		{"empty", k, nil, "order-1"},
		{"zero key", Key{}, sealed, "order-1"},
	}
	for _, tt := range tests {
		if got, err := tt.key.Open(tt.sealed, tt.aad); err == nil || got != "" {
			t.Errorf("%s: Open = %q, %v; want an error", tt.name, got, err)
		}
	}
}

func TestKey_SealRefuses(t *testing.T) {
	k := mustNewKey(t)
	for _, tail := range []string{"", "12345", "1234567", "4242424242424242", "abcdef", "12345٦"} {
		if _, err := k.Seal(tail, "order-1"); err == nil {
			t.Errorf("Seal(%q) succeeded, want only six digits sealed", tail)
		}
	}
	if _, err := (Key{}).Seal("123456", "order-1"); err == nil {
		t.Error("the zero Key sealed")
	}
}

func TestParseKey(t *testing.T) {
	k := mustNewKey(t)
	raw, _ := hex.DecodeString(k.String())
	for _, s := range []string{
		k.String(),
		strings.ToUpper(k.String()),
		" " + k.String() + "\n",
		base64.StdEncoding.EncodeToString(raw),
		base64.RawStdEncoding.EncodeToString(raw),
	} {
		got, err := ParseKey(s)
		if err != nil {
			t.Errorf("ParseKey(%q): %v", s, err)
			continue
		}
		if got.String() != k.String() {
			t.Errorf("ParseKey(%q) gives another key", s)
		}
		sealed, _ := k.Seal("123456", "x")
		if tail, err := got.Open(sealed, "x"); err != nil || tail != "123456" {
			t.Errorf("parsed key cannot open: %v", err)
		}
	}
}

func TestParseKey_Errors(t *testing.T) {
	secretish := "not-a-key-but-a-secret-password-zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"
	for _, s := range []string{
		"",
		"   ",
		strings.Repeat("a", 62),
		strings.Repeat("a", 66),
		strings.Repeat("g", 64),
		secretish,
		base64.StdEncoding.EncodeToString(make([]byte, 16)),
		base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xff}, 48)), // 64 characters, not hex
		base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)),
	} {
		_, err := ParseKey(s)
		if !errors.Is(err, ErrKeyFormat) {
			t.Errorf("ParseKey(%q) error = %v, want ErrKeyFormat", s, err)
			continue
		}
		if len(s) >= 8 && strings.Contains(err.Error(), s[:8]) {
			t.Errorf("ParseKey error %q echoes the key", err)
		}
	}
}

func TestKey_NotPrinted(t *testing.T) {
	const hexKey = "deadbeefcafef00d" + "0123456789abcdef" + "deadbeefcafef00d" + "0123456789abcdef"
	k, err := ParseKey(hexKey)
	if err != nil {
		t.Fatal(err)
	}
	if k.String() != hexKey {
		t.Fatalf("String() = %q, want the hex key", k.String())
	}
	type config struct{ key Key } // unexported: fmt cannot call Key's methods
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "key", k)
	outs := []string{buf.String(), fmt.Sprintf("%#v", k)}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%d", "%q"} {
		outs = append(outs, fmt.Sprintf(verb, config{k}), fmt.Sprintf(verb, &config{k}))
	}
	for _, out := range outs {
		// The key's first bytes in hex, and in decimal as fmt prints a byte array.
		if strings.Contains(strings.ToLower(out), "deadbeef") || strings.Contains(out, "222 173 190 239") {
			t.Errorf("key shown in %q", out)
		}
	}
}
