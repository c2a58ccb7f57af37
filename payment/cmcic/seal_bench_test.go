package cmcic_test

import (
	"net/url"
	"testing"
	"time"

	"shop/payment/cmcic"
)

// benchConfig is the sandbox terminal's configuration (the bank kits' demo key).
func benchConfig(b *testing.B, f cmcic.Format) cmcic.Config {
	key, err := cmcic.ParseKey("12345678901234567890123456789012345678P0")
	if err != nil {
		b.Fatal(err)
	}
	return cmcic.Config{URL: "http://127.0.0.1:8080/_bank/paiement.cgi", TPE: "1234567", Key: key, Societe: "demoshop", Format: f}
}

func benchPayment() cmcic.Payment {
	return cmcic.Payment{Reference: "K7M2QX9PRT", AmountCents: 4290, Currency: "EUR",
		Date: time.Date(2026, 11, 23, 18, 30, 0, 0, time.UTC), Email: "camille@example.com", Lang: "FR",
		ReturnOK: "http://127.0.0.1:8080/orders/K7M2QX9PRT/return?ok", ReturnErr: "http://127.0.0.1:8080/orders/K7M2QX9PRT/return?err",
		Billing: cmcic.Address{Name: "Camille Martin", Line1: "12 rue des Tanneurs", PostalCode: "75011", City: "Paris", Country: "FR"}}
}

// BenchmarkKey_MAC is the seal itself: HMAC-SHA1 of a typical sealed string, as hex.
func BenchmarkKey_MAC(b *testing.B) {
	key := benchConfig(b, cmcic.Current).Key
	data := "TPE=1234567*contexte_commande=eyJiaWxsaW5nIjp7ImZpcnN0TmFtZSI6IkNhbWlsbGUifX0=*date=23/11/2026:18:30:00*" +
		"lgue=FR*mail=camille@example.com*montant=42.90EUR*reference=K7M2QX9PRT*societe=demoshop*texte-libre=*version=3.0"
	b.ReportAllocs()
	for b.Loop() {
		if key.MAC(data) == "" {
			b.Fatal("empty MAC")
		}
	}
}

// BenchmarkConfig_Form is the whole sealed payment form the bank hand-off page posts,
// in each seal format.
func BenchmarkConfig_Form(b *testing.B) {
	for _, f := range []cmcic.Format{cmcic.Current, cmcic.Legacy} {
		b.Run(f.String(), func(b *testing.B) {
			c, p := benchConfig(b, f), benchPayment()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Form(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkConfig_VerifyNotification checks the seal of a notification as the bank
// posts it, the shop's side of every bank payment.
func BenchmarkConfig_VerifyNotification(b *testing.B) {
	c := benchConfig(b, cmcic.Current)
	fields := c.SealNotification([]cmcic.Field{{Name: "TPE", Value: "1234567"}, {Name: "date", Value: "23/11/2026_a_18:31:02"},
		{Name: "montant", Value: "42.90EUR"}, {Name: "reference", Value: "K7M2QX9PRT"}, {Name: "texte-libre", Value: ""},
		{Name: "code-retour", Value: "payetest"}, {Name: "cvx", Value: "oui"}, {Name: "vld", Value: "1230"},
		{Name: "brand", Value: "VI"}, {Name: "numauto", Value: "123456"}, {Name: "usage", Value: "credit"},
		{Name: "typecompte", Value: "particulier"}, {Name: "ecard", Value: "non"}})
	v := url.Values{}
	for _, f := range fields {
		v.Set(f.Name, f.Value)
	}
	if _, err := c.VerifyNotification(v); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.VerifyNotification(v); err != nil {
			b.Fatal(err)
		}
	}
}
