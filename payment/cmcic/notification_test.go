package cmcic

import (
	"encoding/base64"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// retourVector is the spec's legacy notification vector.
func retourVector() url.Values {
	return url.Values{
		"TPE": {"1234567"}, "date": {"05/12/2006_a_11:55:23"}, "montant": {"62.75EUR"},
		"reference": {"ABERTYP00145"}, "texte-libre": {"LeTexteLibre"}, "version": {"3.0"},
		"code-retour": {"paiement"}, "cvx": {"oui"}, "vld": {"1208"}, "brand": {"VI"},
		"status3ds": {"1"}, "numauto": {"010101"}, "motifrefus": {""}, "originecb": {"FRA"},
		"bincb": {"010101"}, "hpancb": {"74E94B03C22D786E0F2C2CADBFC1C00B004B7C45"},
		"ipclient": {"127.0.0.1"}, "originetr": {"FRA"}, "veres": {"Y"}, "pares": {"Y"},
		"MAC": {"9cb6865959a08cdc4d06d556beedb9bb3c53aaba"},
	}
}

// sortedVector is the spec's current-format vector.
func sortedVector() url.Values {
	return url.Values{
		"TPE": {"1234567"}, "code-retour": {"paiement"}, "date": {"13/07/2026_10:05:00"},
		"montant": {"6.00EUR"}, "reference": {"MDT0001"}, "texte-libre": {"resa:atelier:0001"},
		"MAC": {"aae928c2040d6686311881e98cd251554d24b811"},
	}
}

func TestVerifyNotification_LegacySpecVector(t *testing.T) {
	c := demoConfig(t, Legacy)
	v := retourVector()
	const sealed = "1234567*05/12/2006_a_11:55:23*62.75EUR*ABERTYP00145*LeTexteLibre*3.0*paiement*oui*1208*VI*1*010101**FRA*010101*74E94B03C22D786E0F2C2CADBFC1C00B004B7C45*127.0.0.1*FRA*Y*Y*"
	fields, _ := singleFields(v)
	if got := c.notificationInput(fields); got != sealed {
		t.Errorf("sealed string = %q\nwant %q", got, sealed)
	}
	n, err := c.VerifyNotification(v)
	if err != nil {
		t.Fatal(err)
	}
	want := Notification{
		TPE: "1234567", Reference: "ABERTYP00145", Code: "paiement", AmountCents: 6275,
		Currency: "EUR", Date: "05/12/2006_a_11:55:23", AuthNumber: "010101",
		Status3DS: "1", CardBrand: "VI",
	}
	n.Fields = nil
	if !reflect.DeepEqual(n, want) {
		t.Errorf("got  %+v\nwant %+v", n, want)
	}
	if !n.Paid() || n.Refused() {
		t.Errorf("Paid=%v Refused=%v", n.Paid(), n.Refused())
	}

	// The bank does not post a version back: 3.0 is sealed anyway.
	v.Del("version")
	if _, err := c.VerifyNotification(v); err != nil {
		t.Errorf("without version: %v", err)
	}

	// Position 6 is the literal 3.0, whatever version field is posted.
	v = retourVector()
	v.Set("version", "3.1")
	if _, err := c.VerifyNotification(v); err != nil {
		t.Errorf("with version 3.1 posted: %v", err)
	}

	v = retourVector()
	v.Set("MAC", strings.ToUpper(v.Get("MAC")))
	if _, err := c.VerifyNotification(v); err != nil {
		t.Errorf("upper-case MAC: %v", err)
	}
}

func TestVerifyNotification_LegacyEachFieldSealed(t *testing.T) {
	c := demoConfig(t, Legacy)
	for _, name := range legacyNotificationOrder {
		if name == "version" {
			continue // sealed as the literal 3.0: below
		}
		v := retourVector()
		v.Set(name, v.Get(name)+"x")
		if _, err := c.VerifyNotification(v); !errors.Is(err, ErrBadMAC) {
			t.Errorf("%s changed: err = %v, want ErrBadMAC", name, err)
		}
	}
}

func TestVerifyNotification_CurrentSpecVector(t *testing.T) {
	c := demoConfig(t, Current)
	n, err := c.VerifyNotification(sortedVector())
	if err != nil {
		t.Fatal(err)
	}
	if n.AmountCents != 600 || n.Currency != "EUR" || n.Reference != "MDT0001" || !n.Paid() {
		t.Errorf("parsed %+v", n)
	}
	if got := n.Fields.Get("texte-libre"); got != "resa:atelier:0001" {
		t.Errorf("Fields texte-libre = %q", got)
	}
	for _, name := range []string{"TPE", "code-retour", "date", "montant", "reference", "texte-libre"} {
		v := sortedVector()
		v.Set(name, v.Get(name)+"0")
		if _, err := c.VerifyNotification(v); !errors.Is(err, ErrBadMAC) {
			t.Errorf("%s changed: err = %v, want ErrBadMAC", name, err)
		}
	}
}

func TestVerifyNotification_CurrentExtraFieldIsSealed(t *testing.T) {
	c := demoConfig(t, Current)

	// Added after sealing: the seal no longer matches.
	v := sortedVector()
	v.Set("modepaiement", "CB")
	if _, err := c.VerifyNotification(v); !errors.Is(err, ErrBadMAC) {
		t.Errorf("field added after sealing: err = %v, want ErrBadMAC", err)
	}
	// An empty extra parameter is still a parameter.
	v = sortedVector()
	v.Set("filtragecause", "")
	if _, err := c.VerifyNotification(v); !errors.Is(err, ErrBadMAC) {
		t.Errorf("empty field added after sealing: err = %v, want ErrBadMAC", err)
	}

	// Sealed by the bank with the extra field: accepted and kept.
	var fields []Field
	for name, vs := range sortedVector() {
		fields = append(fields, Field{name, vs[0]})
	}
	fields = append(fields, Field{"modepaiement", "CB"}, Field{"a-new-field-of-2030", "x"})
	v = url.Values{}
	for _, f := range c.SealNotification(fields) {
		v.Set(f.Name, f.Value)
	}
	if v.Get("MAC") == sortedVector().Get("MAC") {
		t.Fatal("SealNotification kept the old MAC")
	}
	n, err := c.VerifyNotification(v)
	if err != nil {
		t.Fatalf("signed extra field: %v", err)
	}
	if n.Fields.Get("a-new-field-of-2030") != "x" {
		t.Errorf("extra field not kept: %v", n.Fields)
	}
}

func TestVerifyNotification_Rejects(t *testing.T) {
	tests := []struct {
		name   string
		format Format
		edit   func(url.Values)
		want   error
	}{
		{"no MAC", Legacy, func(v url.Values) { v.Del("MAC") }, ErrBadMAC},
		{"empty MAC", Current, func(v url.Values) { v.Set("MAC", "") }, ErrBadMAC},
		{"MAC not hex", Current, func(v url.Values) { v.Set("MAC", strings.Repeat("zz", 20)) }, ErrBadMAC},
		{"MAC of another key", Current, func(v url.Values) { v.Set("MAC", "a535d23382a5191994c64d2c629114739cd51bf9") }, ErrBadMAC},
		{"MAC repeated", Current, func(v url.Values) { v.Add("MAC", "00") }, ErrBadMAC},
		{"montant repeated", Legacy, func(v url.Values) { v["montant"] = []string{"62.75EUR", "0.01EUR"} }, ErrBadMAC},
		{"field names are case-sensitive", Current, func(v url.Values) { v["tpe"] = v["TPE"]; delete(v, "TPE") }, ErrBadMAC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := sortedVector()
			if tt.format == Legacy {
				v = retourVector()
			}
			tt.edit(v)
			n, err := demoConfig(t, tt.format).VerifyNotification(v)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if n.Reference != "" || n.Paid() || len(n.Fields) == 0 {
				t.Errorf("rejected notification should carry only Fields: %+v", n)
			}
		})
	}
}

func TestVerifyNotification_ValidSealBadContent(t *testing.T) {
	c := demoConfig(t, Current)
	seal := func(fields ...Field) url.Values {
		v := url.Values{}
		for _, f := range c.SealNotification(fields) {
			v.Set(f.Name, f.Value)
		}
		return v
	}
	tests := []struct {
		name string
		v    url.Values
	}{
		{"unreadable montant", seal(Field{"TPE", "1234567"}, Field{"montant", "sixEUR"}, Field{"reference", "R1"}, Field{"code-retour", "paiement"})},
		{"no montant", seal(Field{"TPE", "1234567"}, Field{"reference", "R1"}, Field{"code-retour", "paiement"})},
		{"another TPE", seal(Field{"TPE", "7654321"}, Field{"montant", "6.00EUR"}, Field{"reference", "R1"}, Field{"code-retour", "paiement"})},
	}
	for _, tt := range tests {
		n, err := c.VerifyNotification(tt.v)
		if !errors.Is(err, ErrBadContent) || errors.Is(err, ErrBadMAC) {
			t.Errorf("%s: err = %v, want ErrBadContent only", tt.name, err)
		}
		if n.Reference != "R1" || n.Fields.Get("code-retour") != "paiement" {
			t.Errorf("%s: the parsed part should be returned: %+v", tt.name, n)
		}
	}
}

func TestNotification_Codes(t *testing.T) {
	tests := []struct {
		code          string
		paid, refused bool
		instalment    int
	}{
		{"paiement", true, false, 0},
		{"payetest", true, false, 0},
		{"Annulation", false, true, 0},
		{"paiement_pf2", true, false, 2},
		{"paiement_pf4", true, false, 4},
		{"Annulation_pf3", false, true, 3},
		{"paiement_pf", false, false, 0},
		{"paiement_pf0", false, false, 0},
		{"paiement_pfx", false, false, 0},
		{"payetest_pf2", false, false, 0},
		{"annulation", false, false, 0},
		{"PAIEMENT", false, false, 0},
		{"", false, false, 0},
	}
	c := demoConfig(t, Current)
	for _, tt := range tests {
		v := url.Values{}
		for _, f := range c.SealNotification([]Field{{"TPE", "1234567"}, {"montant", "1.00EUR"}, {"code-retour", tt.code}}) {
			v.Set(f.Name, f.Value)
		}
		n, err := c.VerifyNotification(v)
		if err != nil {
			t.Fatal(err)
		}
		if n.Paid() != tt.paid || n.Refused() != tt.refused || n.Instalment != tt.instalment {
			t.Errorf("%q: Paid=%v Refused=%v Instalment=%d; want %v %v %d",
				tt.code, n.Paid(), n.Refused(), n.Instalment, tt.paid, tt.refused, tt.instalment)
		}
	}
}

func TestVerifyNotification_Status3DS(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name   string
		format Format
		fields []Field
		want   string
	}{
		{"legacy status3ds", Legacy, []Field{{"status3ds", "-1"}}, "-1"},
		{"legacy ignores authentification", Legacy, []Field{{"status3ds", "4"}, {"authentification", b64(`{"status":"authenticated"}`)}}, "4"},
		{"current authenticated", Current, []Field{{"authentification", b64(`{"protocol":"3DSecure","version":"2.2.0","status":"authenticated","details":{"liabilityShift":"Y"}}`)}}, "authenticated/Y"},
		{"current without details", Current, []Field{{"authentification", b64(`{"status":"not_enrolled"}`)}}, "not_enrolled"},
		{"current unpadded Base64", Current, []Field{{"authentification", strings.TrimRight(b64(`{"status":"x"}`), "=")}}, "x"},
		{"current garbage falls back to status3ds", Current, []Field{{"status3ds", "1"}, {"authentification", "!!"}}, "1"},
		{"current JSON of the wrong shape", Current, []Field{{"authentification", b64(`{"status":5}`)}}, ""},
	}
	for _, tt := range tests {
		c := demoConfig(t, tt.format)
		fields := append([]Field{{"TPE", "1234567"}, {"montant", "1.00EUR"}}, tt.fields...)
		v := url.Values{}
		for _, f := range c.SealNotification(fields) {
			v.Set(f.Name, f.Value)
		}
		n, err := c.VerifyNotification(v)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if n.Status3DS != tt.want {
			t.Errorf("%s: Status3DS = %q, want %q", tt.name, n.Status3DS, tt.want)
		}
	}
}

func TestSealNotification_LegacyMatchesSpec(t *testing.T) {
	c := demoConfig(t, Legacy)
	var fields []Field
	for name, vs := range retourVector() {
		if name != "MAC" && name != "version" {
			fields = append(fields, Field{name, vs[0]})
		}
	}
	fields = append(fields, Field{"MAC", "stale"})
	sealed := c.SealNotification(fields)
	if last := sealed[len(sealed)-1]; last.Name != "MAC" || last.Value != "9cb6865959a08cdc4d06d556beedb9bb3c53aaba" {
		t.Errorf("last field = %+v, want the spec MAC", last)
	}
	if len(sealed) != len(fields) {
		t.Errorf("the stale MAC should be replaced: %d fields", len(sealed))
	}
}

// FuzzVerifyNotification checks two things: random parameters never panic
// and never verify by accident; a sealed notification verifies, and a
// one-byte change to any sealed value makes it fail.
func FuzzVerifyNotification(f *testing.F) {
	f.Add("TPE=1234567&montant=1.00EUR&MAC=00", "1234567", "13/07/2026_a_10:05:00", "6.00EUR", "MDT0001", "texte", "paiement", "", uint8(0), uint8(1), false)
	f.Add(retourVector().Encode(), "1234567", "05/12/2006_a_11:55:23", "62.75EUR", "ABERTYP00145", "LeTexteLibre", "paiement", "CB", uint8(3), uint8(0x20), true)
	f.Add("MAC=&MAC=", "", "", "", "", "", "", "", uint8(9), uint8(0xff), true)
	f.Add("a=%zz;b", "1234567", "d", "-1EUR", "r*e", "t=x*", "Annulation_pf2", "é", uint8(200), uint8(7), false)

	f.Fuzz(func(t *testing.T, raw, tpe, date, montant, ref, text, code, extra string, which, flip uint8, legacy bool) {
		format, otherFormat := Current, Legacy
		if legacy {
			format, otherFormat = Legacy, Current
		}
		c, other := demoConfig(t, format), demoConfig(t, otherFormat)

		// 1. Anything at all: no panic, and no valid seal (of either format) without the key.
		if v, err := url.ParseQuery(raw); err == nil {
			if _, err := c.VerifyNotification(v); err == nil || errors.Is(err, ErrBadContent) {
				mac, fields := v.Get("MAC"), mustSingle(t, v)
				if !c.Key.Verify(c.notificationInput(fields), mac) && !c.Key.Verify(other.notificationInput(fields), mac) {
					t.Fatalf("verified without a matching seal: %v", v)
				}
			}
		}

		// 2. Sealed by the bank, sent over the wire: verifies.
		fields := []Field{
			{"TPE", tpe}, {"date", date}, {"montant", montant}, {"reference", ref},
			{"texte-libre", text}, {"code-retour", code}, {"modepaiement", extra},
		}
		wire, err := url.ParseQuery(encode(c.SealNotification(fields)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.VerifyNotification(wire); err != nil && !errors.Is(err, ErrBadContent) {
			t.Fatalf("sealed notification rejected: %v", err)
		}

		// 3. One byte changed in one sealed value: rejected. Legacy does not
		// seal modepaiement, so it is not a candidate there.
		sealedNames := []string{"TPE", "date", "montant", "reference", "texte-libre", "code-retour", "modepaiement"}
		if legacy {
			sealedNames = sealedNames[:6]
		}
		var candidates []string
		for _, name := range sealedNames {
			if wire.Get(name) != "" {
				candidates = append(candidates, name)
			}
		}
		if len(candidates) == 0 || flip == 0 {
			return
		}
		name := candidates[int(which)%len(candidates)]
		b := []byte(wire.Get(name))
		b[int(which)%len(b)] ^= flip
		wire.Set(name, string(b))
		if _, err := c.VerifyNotification(wire); !errors.Is(err, ErrBadMAC) {
			t.Fatalf("%s changed to %q: err = %v, want ErrBadMAC", name, b, err)
		}
	})
}

func encode(fields []Field) string {
	v := url.Values{}
	for _, f := range fields {
		v.Set(f.Name, f.Value)
	}
	return v.Encode()
}

func mustSingle(t *testing.T, v url.Values) []Field {
	t.Helper()
	fields, err := singleFields(v)
	if err != nil {
		t.Fatalf("verified with repeated parameters: %v", err)
	}
	return fields
}

// TestVerifyNotification_EitherFormat: a terminal set to one seal format accepts a
// notification sealed in the other (the bank switched the terminal first), and reads
// it as what it is; a changed field still fails in both.
func TestVerifyNotification_EitherFormat(t *testing.T) {
	for _, tt := range []struct {
		name   string
		config Format
		v      url.Values
	}{
		{"legacy notification, current setting", Current, retourVector()},
		{"current notification, legacy setting", Legacy, sortedVector()},
	} {
		c := demoConfig(t, tt.config)
		n, err := c.VerifyNotification(tt.v)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if n.Reference != tt.v.Get("reference") || !n.Paid() {
			t.Errorf("%s: parsed %+v", tt.name, n)
		}
		tt.v.Set("montant", tt.v.Get("montant")+"0")
		if _, err := c.VerifyNotification(tt.v); !errors.Is(err, ErrBadMAC) {
			t.Errorf("%s, amount changed: err = %v, want ErrBadMAC", tt.name, err)
		}
	}

	// A current notification's 3-D Secure summary comes from its authentification
	// field, on a terminal set to legacy too.
	c := demoConfig(t, Current)
	fields := []Field{{"TPE", "1234567"}, {"date", "13/07/2026_a_10:05:00"}, {"montant", "6.00EUR"},
		{"reference", "MDT0001"}, {"code-retour", "paiement"},
		{"authentification", base64.StdEncoding.EncodeToString([]byte(`{"protocol":"3DSecure","version":"2.2.0","status":"authenticated","details":{"liabilityShift":"Y"}}`))}}
	v := url.Values{}
	for _, f := range c.SealNotification(fields) {
		v.Set(f.Name, f.Value)
	}
	n, err := demoConfig(t, Legacy).VerifyNotification(v)
	if err != nil || n.Status3DS != "authenticated/Y" {
		t.Errorf("current notification on a legacy terminal: Status3DS %q, err %v", n.Status3DS, err)
	}
}

// TestVerifyNotification_FormSealIsNoNotification: the outgoing form and the
// notification share a key, and a shopper chooses the form's e-mail. Stars and equals
// signs in it must not let the form's seal pass for a paid notification, in either
// format, whichever the terminal is set to.
func TestVerifyNotification_FormSealIsNoNotification(t *testing.T) {
	key := mustParseKey(t, demoKey)
	const date, amount, ref, free = "25/11/2026:01:02:03", "12.50EUR", "REF42", "Order REF42"

	// Legacy: a notification whose free text and status3ds carry the stars that line
	// its 20 positions up with the form's 19, e-mail included.
	mail := "x*3.0*paiement*a*b*c*y@example.com"
	form := strings.Join([]string{"1234567", date, amount, ref, free, "3.0", "EN", "monSite1", mail}, "*") + "**********"
	legacy := url.Values{"TPE": {"1234567"}, "date": {date}, "montant": {amount}, "reference": {ref},
		"texte-libre": {free + "*3.0*EN*monSite1*x"}, "code-retour": {"paiement"}, "cvx": {"a"}, "vld": {"b"},
		"brand": {"c"}, "status3ds": {"y@example.com"}, "MAC": {key.MAC(form)}}
	if got := (Config{Format: Legacy, Key: key}).legacyNotificationString(legacy); got != form {
		t.Fatalf("the forged notification does not reproduce the form's sealed string:\n%s\n%s", got, form)
	}

	// Current: pairs whose names hold the form's stars, sorted into the form's order.
	mail2 := "a=b*TPE=1234567*code-retour=paiement*montant=12.50EUR*reference=REF42*x=y@x.fr"
	form2 := strings.Join([]string{"1234567", date, amount, ref, free, "3.0", "EN", "monSite1", mail2}, "*") + "**********"
	head, rest, _ := strings.Cut(form2, "=")
	b, _, _ := strings.Cut(rest, "*")
	current := url.Values{head: {b}, "TPE": {"1234567"}, "code-retour": {"paiement"}, "montant": {amount},
		"reference": {ref}, "x": {"y@x.fr**********"}, "MAC": {key.MAC(form2)}}
	if got := sortedInput(mustSingle(t, current)); got != form2 {
		t.Fatalf("the forged notification does not reproduce the form's sealed string:\n%s\n%s", got, form2)
	}

	for _, setting := range []Format{Legacy, Current} {
		c := demoConfig(t, setting)
		for name, v := range map[string]url.Values{"legacy": legacy, "current": current} {
			if n, err := c.VerifyNotification(v); !errors.Is(err, ErrBadMAC) {
				t.Errorf("%v terminal, %s forgery: err = %v, paid %v; want ErrBadMAC", setting, name, err, n.Paid())
			}
		}
	}

	// And the shop never seals such a legacy form in the first place.
	p := allerVectorPayment()
	p.Email = mail
	if _, err := demoConfig(t, Legacy).Form(p); err == nil {
		t.Error("legacy Form sealed an e-mail with stars")
	}
	if _, err := demoConfig(t, Current).Form(p); err != nil {
		t.Errorf("current Form refused an e-mail with stars, which it seals unambiguously: %v", err)
	}
}

// legacyNotificationString is the legacy string of received values, for the test above.
func (c Config) legacyNotificationString(v url.Values) string {
	fields := make([]Field, 0, len(v))
	for name, vs := range v {
		fields = append(fields, Field{name, vs[0]})
	}
	return c.notificationInput(fields)
}
