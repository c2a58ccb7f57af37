package cmcic

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

const (
	demoKey       = "12345678901234567890123456789012345678P0"
	demoKeyUsable = "1234567890123456789012345678901234567890"
)

// specVectors is the table of the spec, verbatim.
var specVectors = []struct {
	name, key, data, mac string
}{
	{"short key legacy aller", "12345600", "123456*17/03/2018:10:40:10*24.80EUR*100008783*Commande 100008783*3.0*FR*foobar*test@example.org**********", "e13096f4559dd4a2c2f581d44bef6cd482ddefa0"},
	{"short key legacy retour", "12345600", "123456*17/03/2018_a_10:40:10*24.80EUR*100008783*Commande 100008783*3.0*paiement*oui*1208*VI*1*010101**FRA*010101*74E94B03C22D786E0F2C2CADBFC1C00B004B7C45*127.0.0.1*FRA***", "9e1aef18d37e66ba2f8bcaa75c97e0e4aed4fd89"},
	{"demo hello", demoKey, "hello", "a535d23382a5191994c64d2c629114739cd51bf9"},
	{"demo current sorted", demoKey, "TPE=1234567*code-retour=paiement*date=13/07/2026_10:05:00*montant=6.00EUR*reference=MDT0001*texte-libre=resa:atelier:0001", "aae928c2040d6686311881e98cd251554d24b811"},
	{"demo legacy aller", demoKey, "1234567*05/12/2006:11:55:23*62.73EUR*ABERTYP00145*ExempleTexteLibre*3.0*FR*monSite1*internaute@sonemail.fr**********", "572c7e958787b391cd14fcb9d703886282ceb961"},
	{"demo legacy retour", demoKey, "1234567*05/12/2006_a_11:55:23*62.75EUR*ABERTYP00145*LeTexteLibre*3.0*paiement*oui*1208*VI*1*010101**FRA*010101*74E94B03C22D786E0F2C2CADBFC1C00B004B7C45*127.0.0.1*FRA*Y*Y*", "9cb6865959a08cdc4d06d556beedb9bb3c53aaba"},
}

func TestSpecVectors(t *testing.T) {
	for _, v := range specVectors {
		t.Run(v.name, func(t *testing.T) {
			if v.key == demoKey {
				// Both forms of the demo key: as the bank gives it and usable.
				for _, form := range []string{demoKey, demoKeyUsable} {
					k := mustParseKey(t, form)
					if got := k.MAC(v.data); got != v.mac {
						t.Errorf("key %s: MAC = %s, want %s", form, got, v.mac)
					}
					if !k.Verify(v.data, v.mac) {
						t.Errorf("key %s: Verify rejected the spec MAC", form)
					}
				}
				return
			}
			// The short key cannot be a Key (not 40 hex digits); check the
			// HMAC underneath with its usable bytes.
			raw, err := hex.DecodeString(v.key)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(sealBytes(raw, v.data)); got != v.mac {
				t.Errorf("MAC = %s, want %s", got, v.mac)
			}
		})
	}
}

func TestParseKey_Usable(t *testing.T) {
	const head = "12345678901234567890123456789012345678" // 38 characters
	tests := []struct {
		name, in, want string // want "" means rejected
	}{
		{"demo key P0: chr(80-23) is 9", head + "P0", head + "90"},
		{"ordinary hex", head + "90", head + "90"},
		{"lower-case hex", "abcdef7890abcdef7890abcdef7890abcdef7890", "abcdef7890abcdef7890abcdef7890abcdef7890"},
		{"G in position 38: chr(71-23) is 0", head + "G5", head + "05"},
		{"Z in position 38: chr(90-23) is C", head + "Z7", head + "C7"},
		{"trailing M becomes 0", head + "5M", head + "50"},
		{"F (70) is not strictly above 70: kept", head + "F0", head + "F0"},
		{"a (97) is not strictly below 97: kept", head + "a1", head + "a1"},
		{"surrounding white space ignored", " " + head + "P0\n", head + "90"},
		{"trailing G stays G: rejected", head + "AG", ""},
		{"MM: first M rewritten, second kept: rejected", head + "MM", ""},
		{"backquote (96) becomes I: rejected", head + "`0", ""},
		{"short key", "123456", ""},
		{"empty", "", ""},
		{"41 characters", head + "901", ""},
		{"not hex in the first 38", "zz" + head[2:] + "90", ""},
		{"non-ASCII", "é" + head[2:] + "90", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseKey(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("ParseKey accepted %q", tt.in)
				}
				if trimmed := strings.TrimSpace(tt.in); len(trimmed) > 8 && strings.Contains(err.Error(), trimmed[:8]) {
					t.Errorf("error %q echoes the key", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseKey: %v", err)
			}
			if got, want := hex.EncodeToString(k.b[:]), strings.ToLower(tt.want); got != want {
				t.Errorf("usable key = %s, want %s", got, want)
			}
		})
	}
}

func TestKey_Verify(t *testing.T) {
	k := mustParseKey(t, demoKey)
	const mac = "a535d23382a5191994c64d2c629114739cd51bf9"
	tests := []struct {
		name, mac string
		want      bool
	}{
		{"lower case", mac, true},
		{"upper case", strings.ToUpper(mac), true},
		{"one digit changed", "b" + mac[1:], false},
		{"truncated", mac[:38], false},
		{"too long", mac + "00", false},
		{"not hex", "z" + mac[1:], false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		if got := k.Verify("hello", tt.mac); got != tt.want {
			t.Errorf("%s: Verify = %v, want %v", tt.name, got, tt.want)
		}
	}
	if k.Verify("hellO", mac) {
		t.Error("Verify accepted the MAC of other data")
	}
}

func TestKey_NeverPrinted(t *testing.T) {
	k := mustParseKey(t, demoKey)
	c := Config{TPE: "1234567", Key: k}
	for _, s := range []string{
		fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", c, c, c, k), fmt.Sprintf("%#v", k),
	} {
		if strings.Contains(strings.ToLower(s), "1234567890123456") || strings.Contains(s, "[18 52") {
			t.Errorf("key printed: %s", s)
		}
	}
	if got := fmt.Sprint(Key{}); got != "cmcic.Key(unset)" {
		t.Errorf("zero key prints %q", got)
	}
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in   string
		want Format
		ok   bool
	}{
		{"current", Current, true},
		{"legacy", Legacy, true},
		{"Legacy", Legacy, true},
		{" current ", Current, true},
		{"", 0, false},
		{"sorted", 0, false},
		{"3.0", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseFormat(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseFormat(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if tt.ok && got.String() != strings.ToLower(strings.TrimSpace(tt.in)) {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
	if got := Format(7).String(); got != "Format(7)" {
		t.Errorf("Format(7).String() = %q", got)
	}
}

func mustParseKey(t testing.TB, s string) Key {
	t.Helper()
	k, err := ParseKey(s)
	if err != nil {
		t.Fatalf("ParseKey: %v", err)
	}
	return k
}
