package sandbox

import (
	"errors"
	"net/url"
	"testing"
	"time"
	"unsafe"

	"shop/payment/cmcic"
)

// TestPayments_SweepsExpiredAtMostOncePerInterval: expired payments are dropped by the
// first add once sweepEvery has passed since the last sweep, not by every add, and an
// expired payment not dropped yet is refused all the same.
func TestPayments_SweepsExpiredAtMostOncePerInterval(t *testing.T) {
	s := newPayments()
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	s.add(payment{reference: "p1"}, t0)
	p2 := s.add(payment{reference: "p2"}, t0.Add(30*time.Second))
	if n := s.len(); n != 2 {
		t.Fatalf("%d payments kept, want 2", n)
	}

	// A sweep is due: p1 (60 min 10 s old) goes, p2 (59 min 40 s) stays.
	s.add(payment{reference: "p3"}, t0.Add(paymentTTL+10*time.Second))
	if n := s.len(); n != 2 {
		t.Fatalf("after the first sweep %d payments kept, want 2 (p2, p3)", n)
	}

	// p2 has expired, but the last sweep was 30 s ago: it stays in the map, refused.
	now := t0.Add(paymentTTL + 40*time.Second)
	s.add(payment{reference: "p4"}, now)
	if n := s.len(); n != 3 {
		t.Fatalf("%d payments kept, want 3: a sweep ran 30 s after the last one", n)
	}
	if _, err := s.update(p2.id, now, nil); !errors.Is(err, errUnknownPayment) {
		t.Errorf("an expired payment not swept yet: err %v, want errUnknownPayment", err)
	}

	// A minute after the last sweep, the next add drops p2.
	s.add(payment{reference: "p5"}, t0.Add(paymentTTL+sweepEvery+10*time.Second))
	if n := s.len(); n != 3 {
		t.Fatalf("after the second sweep %d payments kept, want 3 (p3, p4, p5)", n)
	}
}

// len is how many payments are kept, expired ones not yet dropped included.
func (s *payments) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// TestBank_KeepsNoSliceOfTheRequest: what the bank keeps of a payment for paymentTTL
// (the shop's fields, the card's summary) are copies, not slices of the form's values,
// which are slices of the request's body: a slice keeps the whole body alive, the card
// form's with the full card number in it.
func TestBank_KeepsNoSliceOfTheRequest(t *testing.T) {
	key, err := cmcic.ParseKey("12345678901234567890123456789012345678P0")
	if err != nil {
		t.Fatal(err)
	}
	merchant := cmcic.Config{URL: "https://bank.example/paiement.cgi", TPE: "1234567", Key: key,
		Societe: "monSite1", Format: cmcic.Current}
	b := New(Config{Bank: cmcic.Config{TPE: "1234567", Key: key, Format: cmcic.Current},
		NotifyURL: "https://shop.example/notify"})
	defer b.Close()
	now := time.Date(2026, 7, 13, 10, 5, 0, 0, time.UTC)

	fields, err := merchant.Form(cmcic.Payment{Reference: "ABERTYP00145", AmountCents: 6273, Currency: "EUR",
		Date: now, Email: "internaute@sonemail.fr", FreeText: "order:ABERTYP00145",
		ReturnOK: "https://shop.example/ok", ReturnErr: "https://shop.example/err",
		Billing: cmcic.Address{Line1: "1 rue de la Paix", PostalCode: "75002", City: "Paris", Country: "FR"}})
	if err != nil {
		t.Fatal(err)
	}
	v := url.Values{}
	for _, f := range fields {
		v.Add(f.Name, f.Value)
	}
	body := v.Encode()
	form, err := url.ParseQuery(body) // as net/http parses a posted form
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.readRequest(form)
	if err != nil {
		t.Fatal(err)
	}
	kept := map[string]string{"TPE": p.tpe, "societe": p.societe, "reference": p.reference, "montant": p.montant,
		"texte-libre": p.freeText, "url_retour_ok": p.returnOK, "url_retour_err": p.returnErr, "currency": p.currency}
	for name, s := range kept {
		if s == "" {
			t.Errorf("%s: nothing kept", name)
		}
		if within(s, body) {
			t.Errorf("%s %q is a slice of the request's body", name, s)
		}
	}

	cardBody := "id=x&number=4242424242424242&expiry=12%2F30&cvc=123"
	card, err := url.ParseQuery(cardBody)
	if err != nil {
		t.Fatal(err)
	}
	c, errs := b.readCard(card.Get("number"), card.Get("expiry"), card.Get("cvc"), now)
	if errs.any() {
		t.Fatalf("card refused: %+v", errs)
	}
	for name, s := range map[string]string{"bin": c.bin, "masked": c.masked, "last4": c.last4,
		"vld": c.vld, "brand": c.brand, "hpan": c.hpan} {
		if within(s, cardBody) {
			t.Errorf("card %s %q is a slice of the card form's body", name, s)
		}
	}
}

// within reports whether s's bytes lie inside whole's.
func within(s, whole string) bool {
	if len(s) == 0 || len(whole) == 0 {
		return false
	}
	p, start := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(whole)))
	return p >= start && p < start+uintptr(len(whole))
}
