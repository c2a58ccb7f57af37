package cmcic

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

func demoConfig(t testing.TB, f Format) Config {
	t.Helper()
	return Config{
		URL:     "https://bank.example/test/paiement.cgi",
		TPE:     "1234567",
		Key:     mustParseKey(t, demoKey),
		Societe: "monSite1",
		Format:  f,
	}
}

// allerVectorPayment is the data of the spec's legacy "aller" vector.
func allerVectorPayment() Payment {
	return Payment{
		Reference:   "ABERTYP00145",
		AmountCents: 6273,
		Currency:    "EUR",
		Date:        time.Date(2006, 12, 5, 11, 55, 23, 0, time.UTC),
		Email:       "internaute@sonemail.fr",
		Lang:        "FR",
		FreeText:    "ExempleTexteLibre",
		ReturnOK:    "https://shop.example/orders/ABERTYP00145?ok",
		ReturnErr:   "https://shop.example/orders/ABERTYP00145?err",
		ReturnHome:  "https://shop.example/",
		Billing:     Address{Name: "Jeanne Martin", Line1: "1 rue de la Paix", PostalCode: "75002", City: "Paris", Country: "FR"},
		Shipping:    Address{Line1: "2 avenue Foch", Line2: "Bâtiment B", PostalCode: "69006", City: "Lyon", Country: "FR"},
	}
}

func names(fields []Field) []string {
	var ns []string
	for _, f := range fields {
		ns = append(ns, f.Name)
	}
	return ns
}

func TestConfig_Form_LegacySpecVector(t *testing.T) {
	c := demoConfig(t, Legacy)
	fields, err := c.Form(allerVectorPayment())
	if err != nil {
		t.Fatal(err)
	}
	want := "version TPE date montant reference texte-libre mail lgue societe url_retour url_retour_ok url_retour_err MAC"
	if got := strings.Join(names(fields), " "); got != want {
		t.Errorf("fields = %s\nwant     %s", got, want)
	}
	get := lookup(fields)
	for name, want := range map[string]string{
		"version": "3.0", "date": "05/12/2006:11:55:23", "montant": "62.73EUR",
		"url_retour": "https://shop.example/",
		"MAC":        "572c7e958787b391cd14fcb9d703886282ceb961",
	} {
		if got := get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	const sealed = "1234567*05/12/2006:11:55:23*62.73EUR*ABERTYP00145*ExempleTexteLibre*3.0*FR*monSite1*internaute@sonemail.fr**********"
	if got := c.formInput(fields); got != sealed {
		t.Errorf("sealed string = %q\nwant %q", got, sealed)
	}
}

func TestConfig_Form_LegacyHomeDefaultsToReturnOK(t *testing.T) {
	p := allerVectorPayment()
	p.ReturnHome = ""
	fields, err := demoConfig(t, Legacy).Form(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := lookup(fields)("url_retour"); got != p.ReturnOK {
		t.Errorf("url_retour = %q, want %q", got, p.ReturnOK)
	}
}

func TestConfig_Form_CurrentMACRecomputed(t *testing.T) {
	c := demoConfig(t, Current)
	p := allerVectorPayment()
	p.Lang = ""
	p.FreeText = "order:ABERTYP00145 <&>" // raw in the seal, escaped only in HTML
	fields, err := c.Form(p)
	if err != nil {
		t.Fatal(err)
	}
	want := "version TPE date montant reference texte-libre mail lgue societe url_retour_ok url_retour_err contexte_commande MAC"
	if got := strings.Join(names(fields), " "); got != want {
		t.Errorf("fields = %s\nwant     %s", got, want)
	}
	if got := lookup(fields)("lgue"); got != "FR" {
		t.Errorf("default lgue = %q, want FR", got)
	}

	// Recompute the seal independently: sort by name, name=value, '*'.
	body := append([]Field(nil), fields[:len(fields)-1]...)
	sort.Slice(body, func(i, j int) bool { return body[i].Name < body[j].Name })
	var parts []string
	for _, f := range body {
		parts = append(parts, f.Name+"="+f.Value)
	}
	key, _ := hex.DecodeString(demoKeyUsable)
	m := hmac.New(sha1.New, key)
	m.Write([]byte(strings.Join(parts, "*")))
	if got, want := fields[len(fields)-1].Value, hex.EncodeToString(m.Sum(nil)); got != want {
		t.Errorf("MAC = %s, recomputed %s", got, want)
	}

	// The bank's check agrees, and fails once a value changes.
	v := url.Values{}
	for _, f := range fields {
		v.Set(f.Name, f.Value)
	}
	if err := c.VerifyForm(v); err != nil {
		t.Errorf("VerifyForm: %v", err)
	}
	v.Set("montant", "0.01EUR")
	if err := c.VerifyForm(v); !errors.Is(err, ErrBadMAC) {
		t.Errorf("VerifyForm after tampering = %v, want ErrBadMAC", err)
	}
}

func TestConfig_Form_OrderContext(t *testing.T) {
	p := allerVectorPayment()
	fields, err := demoConfig(t, Current).Form(p)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(lookup(fields)("contexte_commande"))
	if err != nil {
		t.Fatal(err)
	}
	var ctx map[string]map[string]string
	if err := json.Unmarshal(raw, &ctx); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	wantBilling := map[string]string{"name": "Jeanne Martin", "addressLine1": "1 rue de la Paix", "postalCode": "75002", "city": "Paris", "country": "FR"}
	if !equalMaps(ctx["billing"], wantBilling) {
		t.Errorf("billing = %v, want %v", ctx["billing"], wantBilling)
	}
	wantShipping := map[string]string{"addressLine1": "2 avenue Foch", "addressLine2": "Bâtiment B", "postalCode": "69006", "city": "Lyon", "country": "FR"}
	if !equalMaps(ctx["shipping"], wantShipping) {
		t.Errorf("shipping = %v, want %v", ctx["shipping"], wantShipping)
	}

	p.Shipping = Address{}
	fields, err = demoConfig(t, Current).Form(p)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = base64.StdEncoding.DecodeString(lookup(fields)("contexte_commande"))
	if strings.Contains(string(raw), "shipping") || strings.Contains(string(raw), "addressLine2") {
		t.Errorf("empty shipping and line 2 should be left out: %s", raw)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestConfig_Form_Rejects(t *testing.T) {
	tests := []struct {
		name   string
		format Format
		edit   func(*Config, *Payment)
	}{
		{"CR in free text", Current, func(_ *Config, p *Payment) { p.FreeText = "a\rb" }},
		{"LF in e-mail", Legacy, func(_ *Config, p *Payment) { p.Email = "a@b.fr\nBcc: x@y.z" }},
		{"LF in an address", Current, func(_ *Config, p *Payment) { p.Billing.City = "Paris\n" }},
		{"LF in a return URL", Current, func(_ *Config, p *Payment) { p.ReturnOK = "https://shop.example/\nx" }},
		{"empty reference", Current, func(_ *Config, p *Payment) { p.Reference = "" }},
		{"reference with a dash", Current, func(_ *Config, p *Payment) { p.Reference = "AB-12" }},
		{"reference of 13 in legacy", Legacy, func(_ *Config, p *Payment) { p.Reference = "ABCDEFGHIJKLM" }},
		{"reference of 51 in current", Current, func(_ *Config, p *Payment) { p.Reference = strings.Repeat("A", 51) }},
		{"zero amount", Current, func(_ *Config, p *Payment) { p.AmountCents = 0 }},
		{"negative amount", Legacy, func(_ *Config, p *Payment) { p.AmountCents = -100 }},
		{"lower-case currency", Current, func(_ *Config, p *Payment) { p.Currency = "eur" }},
		{"four-letter currency", Current, func(_ *Config, p *Payment) { p.Currency = "EURO" }},
		{"no currency", Current, func(_ *Config, p *Payment) { p.Currency = "" }},
		{"no date", Current, func(_ *Config, p *Payment) { p.Date = time.Time{} }},
		{"no e-mail", Current, func(_ *Config, p *Payment) { p.Email = "" }},
		{"unknown language", Current, func(_ *Config, p *Payment) { p.Lang = "XX" }},
		{"relative return URL", Current, func(_ *Config, p *Payment) { p.ReturnErr = "/orders/1" }},
		{"javascript return URL", Legacy, func(_ *Config, p *Payment) { p.ReturnOK = "javascript:alert(1)" }},
		{"free text too long", Current, func(_ *Config, p *Payment) { p.FreeText = strings.Repeat("x", 3201) }},
		{"invalid UTF-8", Current, func(_ *Config, p *Payment) { p.FreeText = "\xff" }},
		{"no billing address in current", Current, func(_ *Config, p *Payment) { p.Billing = Address{} }},
		{"country not alpha-2", Current, func(_ *Config, p *Payment) { p.Billing.Country = "FRA" }},
		{"lower-case country", Current, func(_ *Config, p *Payment) { p.Shipping.Country = "fr" }},
		{"bad TPE", Current, func(c *Config, _ *Payment) { c.TPE = "123456" }},
		{"no key", Current, func(c *Config, _ *Payment) { c.Key = Key{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, p := demoConfig(t, tt.format), allerVectorPayment()
			tt.edit(&c, &p)
			if fields, err := c.Form(p); err == nil {
				t.Errorf("Form accepted it: %v", fields)
			}
		})
	}
	// Controls: the same payment is fine without the edit, and legacy does
	// not need addresses.
	for _, f := range []Format{Current, Legacy} {
		if _, err := demoConfig(t, f).Form(allerVectorPayment()); err != nil {
			t.Errorf("%v: %v", f, err)
		}
	}
	p := allerVectorPayment()
	p.Billing, p.Shipping = Address{}, Address{}
	if _, err := demoConfig(t, Legacy).Form(p); err != nil {
		t.Errorf("legacy without addresses: %v", err)
	}
}

func TestConfig_Validate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"demo", func(*Config) {}, true},
		{"http URL", func(c *Config) { c.URL = "http://127.0.0.1:8081/paiement.cgi" }, true},
		{"societe of 20", func(c *Config) { c.Societe = strings.Repeat("a", 20) }, true},
		{"TPE of 6", func(c *Config) { c.TPE = "123456" }, false},
		{"TPE of 8", func(c *Config) { c.TPE = "12345678" }, false},
		{"TPE with a space", func(c *Config) { c.TPE = "123 567" }, false},
		{"no societe", func(c *Config) { c.Societe = "" }, false},
		{"societe of 21", func(c *Config) { c.Societe = strings.Repeat("a", 21) }, false},
		{"societe with a dot", func(c *Config) { c.Societe = "mon.site" }, false},
		{"relative URL", func(c *Config) { c.URL = "/paiement.cgi" }, false},
		{"ftp URL", func(c *Config) { c.URL = "ftp://bank.example/" }, false},
		{"no URL", func(c *Config) { c.URL = "" }, false},
		{"no key", func(c *Config) { c.Key = Key{} }, false},
		{"unknown format", func(c *Config) { c.Format = 9 }, false},
	}
	for _, tt := range tests {
		c := demoConfig(t, Current)
		tt.edit(&c)
		err := c.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error is not one line: %q", tt.name, err)
		}
	}
}

func TestConfig_VerifyForm_Legacy(t *testing.T) {
	c := demoConfig(t, Legacy)
	fields, err := c.Form(allerVectorPayment())
	if err != nil {
		t.Fatal(err)
	}
	v := url.Values{}
	for _, f := range fields {
		v.Set(f.Name, f.Value)
	}
	if err := c.VerifyForm(v); err != nil {
		t.Fatalf("VerifyForm: %v", err)
	}
	// Legacy seals fixed positions only; a changed return URL is not sealed,
	// a changed reference is.
	v.Set("reference", "ABERTYP00146")
	if err := c.VerifyForm(v); !errors.Is(err, ErrBadMAC) {
		t.Errorf("changed reference: %v, want ErrBadMAC", err)
	}
	v.Set("reference", "ABERTYP00145")
	v.Add("montant", "0.01EUR")
	if err := c.VerifyForm(v); !errors.Is(err, ErrBadMAC) {
		t.Errorf("repeated montant: %v, want ErrBadMAC", err)
	}
	v.Set("montant", "62.73EUR")
	v.Del("MAC")
	if err := c.VerifyForm(v); !errors.Is(err, ErrBadMAC) {
		t.Errorf("no MAC: %v, want ErrBadMAC", err)
	}
}

func TestConfigProduction_LivePagesOnly(t *testing.T) {
	for url, want := range map[string]bool{
		"https://p.monetico-services.com/paiement.cgi":           true,
		"https://P.Monetico-Services.com/paiement.cgi":           true,
		"https://ssl.paiement.cic-banques.fr/paiement.cgi":       true,
		"https://paiement.creditmutuel.fr/paiement.cgi":          true,
		"https://ssl.paiement.banque-obc.fr/paiement.cgi":        true,
		"https://p.monetico-services.com/test/paiement.cgi":      false,
		"https://ssl.paiement.cic-banques.fr/test/paiement.cgi":  false,
		"http://127.0.0.1:8080/_bank/paiement.cgi":               false,
		"http://localhost:9090/paiement.cgi":                     false,
		"https://paiement.white-label-bank.example/paiement.cgi": true, // any live HTTPS page
		"https://p.monetico-services.com./paiement.cgi":          true,
		"https://localhost/paiement.cgi":                         false,
		"https://127.0.0.1:8443/paiement.cgi":                    false,
		"https://[::1]/paiement.cgi":                             false,
		"http://bank.example/paiement.cgi":                       false, // plain HTTP: a development bank
	} {
		if got := (Config{URL: url}).Production(); got != want {
			t.Errorf("Production() for %s = %v, want %v", url, got, want)
		}
	}
}
