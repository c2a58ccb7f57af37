package main

import (
	"bytes"
	"context"
	"net/url"
	"slices"
	"testing"

	"shop/templates"
)

// The flows read the shop's real forms; these render the real templates and check that
// what a flow submits is what a browser would.
func TestFindForm_OrderForm(t *testing.T) {
	v := templates.CheckoutView{
		Chrome: templates.Chrome{CSRF: "tok123"}, Submission: "0123456789abcdef0123456789abcdef", Shown: "7:1:1800",
		Countries: []templates.Option{{Value: "FR", Label: "France"}, {Value: "BE", Label: "Belgium"}},
		Methods:   []templates.DeliveryOption{{Code: "home", Name: "Home"}, {Code: "pickup", Name: "Pick-up"}},
		Form:      templates.CheckoutForm{Note: "Ring twice & wait"},
	}
	var buf bytes.Buffer
	if err := templates.CheckoutPage(v).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("http://127.0.0.1:8080/checkout")
	f, ok := findForm(page{body: buf.Bytes(), url: base}, "checkout")
	if !ok {
		t.Fatal("no order form found")
	}
	f.fill(orderForm(7))
	f.fill(map[string]string{"not_a_field": "x"})
	want := map[string]string{"_csrf": "tok123", "submission": v.Submission, "shown": "7:1:1800", "email": "shopper7@example.com",
		"billing_postcode": "75011", "billing_country": "FR", "delivery": "home", "terms": "1", "note": "Ring twice & wait"}
	for k, w := range want {
		if got := f.values.Get(k); got != w {
			t.Errorf("%s = %q, want %q", k, got, w)
		}
	}
	if f.values.Has("not_a_field") || f.values.Has("ship_different") {
		t.Errorf("submitted fields the form does not have or left unchecked: %v", f.values)
	}
	if f.action != "http://127.0.0.1:8080/checkout" || f.method != "POST" {
		t.Errorf("posts %s to %q", f.method, f.action)
	}
}

func TestFindForm_CardFormAndHiddenBankForm(t *testing.T) {
	var buf bytes.Buffer
	card := templates.CardFormView{Chrome: templates.Chrome{CSRF: "tok"}, Action: "/orders/ABC/pay/card",
		Brands: []templates.Option{{Value: "visa", Label: "Visa"}, {Value: "mastercard", Label: "Mastercard"}}}
	if err := templates.CardFormPage(card).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	f, ok := findForm(page{body: buf.Bytes()}, "card")
	if !ok {
		t.Fatal("no card form")
	}
	if f.options["brand"][len(f.options["brand"])-1] != "mastercard" || !f.names["number"] || !f.names["expiry"] {
		t.Errorf("card form fields %v, options %v", f.names, f.options)
	}

	buf.Reset()
	bank := templates.BankHandoffView{BankURL: "http://127.0.0.1:8080/_bank/paiement.cgi",
		Fields: []templates.HiddenField{{Name: "MAC", Value: "ab"}, {Name: "texte-libre", Value: `a"<b>&c`}}}
	if err := templates.BankHandoffPage(bank).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	f, ok = findForm(page{body: buf.Bytes()}, "bank-form")
	if !ok {
		t.Fatal("no bank form")
	}
	if f.values.Get("texte-libre") != `a"<b>&c` || f.values.Get("MAC") != "ab" || f.action != bank.BankURL {
		t.Errorf("bank form posts %v to %q: sealed values must come back exactly", f.values, f.action)
	}
}

func TestHiddenValue_CSRF(t *testing.T) {
	body := []byte(`<form><input type="hidden" name="_csrf" value="UPBemYdm"><input name="q"></form>`)
	if got := hiddenValue(body, "_csrf"); got != "UPBemYdm" {
		t.Errorf("token %q", got)
	}
	if got := hiddenValue([]byte("<p>no form</p>"), "_csrf"); got != "" {
		t.Errorf("token %q from a page without one", got)
	}
}

// The scanner reads what a browser reads: comments and raw text hide tags, attributes
// come quoted either way or bare, names in any case.
func TestForms_ScannerEdges(t *testing.T) {
	body := []byte(`<!doctype html><!-- <form method="post" action="/fake"> -->
<script>if (a<b) document.write("<form>")</script>
<FORM Method=post action='/real?a=1&amp;b=2' data-testid="real">
  <Input TYPE=checkbox name=terms value=1 checked>
  <input type="radio" name="delivery" value="home">
  <input type="radio" name="delivery" value="pickup" checked/>
  <textarea name="note">a <b> &amp; </form> c</textarea>
  <select name="country"><option value="BE">Belgium<option value="FR" selected>France</select>
  <input type="submit" name="go" value="Place order">
  <a href="/pay" data-testid="pay-card">Pay</a>
</form>`)
	fs := slices.Collect(forms(body))
	if len(fs) != 1 {
		t.Fatalf("%d forms, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.method != "POST" || f.action != "/real?a=1&b=2" || f.testID != "real" {
		t.Errorf("form %s %q %q", f.method, f.action, f.testID)
	}
	want := url.Values{"terms": {"1"}, "delivery": {"pickup"}, "note": {"a <b> & </form> c"}, "country": {"FR"}}
	if f.values.Encode() != want.Encode() {
		t.Errorf("values %v, want %v", f.values, want)
	}
	if !f.names["go"] || len(f.options["delivery"]) != 2 || len(f.options["country"]) != 2 {
		t.Errorf("names %v, options %v", f.names, f.options)
	}
	if got := linkByTestID(body, "pay-card"); got != "/pay" {
		t.Errorf("link %q", got)
	}
	if got := linkByTestID(body, "pay-cmcic"); got != "" {
		t.Errorf("link %q for a test id the page lacks", got)
	}
}
