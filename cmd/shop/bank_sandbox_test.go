package main

// HTTP-level tests of the bank redirect's pages (issue #5): the hand-off page and its
// configuration, the return page, and the whole flow against the embedded sandbox bank.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"shop/payment/cmcic"
)

// The return page shows what the database says, to anyone holding the token, and
// never changes the order.
func TestBankReturnPage_ShowsTheStateAndChangesNothing(t *testing.T) {
	ts := startBankShop(t, cmcic.Current)
	owner := ts.newShopper(t)
	ref := bankPlaceOrder(t, ts, owner)
	o := bankOrderRow(t, ts, ref)
	back := "/orders/" + ref + "/return?token=" + url.QueryEscape(o.Token)

	// visit reads the return page and checks the order row did not move.
	visit := func(sh *shopper, path string) *page {
		t.Helper()
		before := bankOrderSnapshot(t, ts, ref)
		p := sh.getPage(path)
		if got := bankOrderSnapshot(t, ts, ref); got != before {
			t.Errorf("GET %s changed the order:\nbefore %s\nafter %s", path, before, got)
		}
		return p
	}

	stranger := ts.newShopper(t) // no cookie at all: the bank's redirect in another browser
	p := visit(stranger, back)
	if p.Status != http.StatusOK {
		t.Fatalf("return page with the token, no cookie: status %d", p.Status)
	}
	if got := bankPaymentState(t, p); !strings.Contains(got, "being confirmed") {
		t.Errorf("before the notification, payment state = %q, want it being confirmed", got)
	}
	if p = visit(owner, "/orders/"+ref+"/return"); p.Status != http.StatusOK || !strings.Contains(bankPaymentState(t, p), "being confirmed") {
		t.Errorf("the owner without token: status %d", p.Status)
	}

	p = visit(ts.newShopper(t), back+"&failed=1")
	if p.Status != http.StatusOK {
		t.Fatalf("failed return: status %d", p.Status)
	}
	msg := textOf(bankFirst(byTestID(p.Doc, "order-message")))
	if !strings.Contains(msg, "did not go through") {
		t.Errorf("failed return message = %q", msg)
	}
	if links := bankLinksTo(p, "/orders/"+ref+"/pay"); links == 0 {
		t.Errorf("failed return offers no way to try again")
	}

	for name, path := range map[string]string{
		"no token":            "/orders/" + ref + "/return",
		"wrong token":         "/orders/" + ref + "/return?token=" + strings.Repeat("0", len(o.Token)),
		"empty token":         "/orders/" + ref + "/return?token=",
		"failed, wrong token": "/orders/" + ref + "/return?token=x&failed=1",
		"unknown order":       "/orders/NOSUCHORDER/return?token=" + url.QueryEscape(o.Token),
	} {
		if p := visit(ts.newShopper(t), path); p.Status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", name, p.Status)
		} else if strings.Contains(string(p.Body), o.Token) || strings.Contains(textOf(p.Doc), "Ada") {
			t.Errorf("%s: the 404 page shows the order", name)
		}
	}

	bn := newBankNotifier(t, ts)
	expectBankAck(t, bn.notify(t, http.MethodPost,
		bankSealed(t, cmcic.Current, bankNotice{Ref: ref, Code: "paiement", Auth: "123456", Cents: o.TotalCents})), cmcic.AckOK)

	for _, path := range []string{back, back + "&failed=1"} {
		p := visit(ts.newShopper(t), path)
		if got := bankPaymentState(t, p); !strings.Contains(got, "Paid") {
			t.Errorf("%s after the notification: payment state = %q, want Paid", path, got)
		}
		if strings.Contains(textOf(p.Doc), "did not go through") {
			t.Errorf("%s: a paid order says the payment did not go through", path)
		}
	}
	if p := visit(ts.newShopper(t), "/orders/"+ref+"/return"); p.Status != http.StatusNotFound {
		t.Errorf("paid order, no token, no cookie: status %d, want 404", p.Status)
	}
}

// bankLinksTo counts the links and forms of p leading to path (with or without a query).
func bankLinksTo(p *page, path string) int {
	n := 0
	for _, a := range findAll(p.Doc, func(n *bankHTMLNode) bool { return isElem(n, "a") || isElem(n, "form") }) {
		target, _ := attr(a, "href")
		if isElem(a, "form") {
			target, _ = attr(a, "action")
		}
		if target == path || strings.HasPrefix(target, path+"?") {
			n++
		}
	}
	return n
}

// The hand-off page: a form posting every protocol field to the bank, sealed, for the
// order's stored total; the order gets the bank's longer window.
func TestBankHandoff_PostsASealedFormForTheStoredTotal(t *testing.T) {
	for _, format := range bankFormats {
		t.Run(format.String(), func(t *testing.T) {
			ts := startBankShop(t, format)
			sh := ts.newShopper(t)
			ref := bankPlaceOrder(t, ts, sh)
			o := bankOrderRow(t, ts, ref)

			_, doc := sh.get("/orders/" + ref + "/pay")
			links := byTestID(doc, "pay-cmcic")
			if len(links) != 1 || textOf(links[0]) != "Pay on the bank's secure page" {
				t.Fatalf("payment page: want one \"Pay on the bank's secure page\" link, found %d", len(links))
			}
			if href, _ := attr(links[0], "href"); href != "/orders/"+ref+"/pay/cmcic" {
				t.Errorf("bank link = %q", href)
			}

			start := time.Now()
			action, fields := bankHandoff(t, sh, ref)
			end := time.Now()
			if want := ts.URL + "/_bank/paiement.cgi"; action != want {
				t.Errorf("form posts to %q, want the sandbox %q", action, want)
			}
			want := []string{"version", "TPE", "date", "montant", "reference", "texte-libre", "mail", "lgue", "societe",
				"url_retour_ok", "url_retour_err", "MAC"}
			if format == cmcic.Current {
				want = append(want, "contexte_commande")
			} else {
				want = append(want, "url_retour")
			}
			for _, name := range want {
				if len(fields[name]) != 1 || fields.Get(name) == "" && name != "texte-libre" {
					t.Errorf("field %s = %q, want exactly one non-empty value", name, fields[name])
				}
			}
			if len(fields) != len(want) {
				t.Errorf("form fields = %v, want exactly %v", fields, want)
			}
			back := ts.URL + "/orders/" + ref + "/return?token=" + url.QueryEscape(o.Token)
			for name, value := range map[string]string{
				"version": "3.0", "TPE": bankTPE, "societe": bankSociete, "reference": ref, "mail": "ada@example.com",
				"montant":       fmt.Sprintf("%d.%02dEUR", o.TotalCents/100, o.TotalCents%100),
				"url_retour_ok": back, "url_retour_err": back + "&failed=1",
			} {
				if got := fields.Get(name); got != value {
					t.Errorf("%s = %q, want %q", name, got, value)
				}
			}
			if o.TotalCents != 1290+590 {
				t.Errorf("stored total = %d cents, want 1880 (espresso beans and home delivery)", o.TotalCents)
			}
			if _, err := time.Parse(cmcic.DateLayout, fields.Get("date")); err != nil {
				t.Errorf("date %q: %v", fields.Get("date"), err)
			}
			if format == cmcic.Current {
				var ctx struct {
					Billing map[string]string `json:"billing"`
				}
				raw, err := bankDecodeB64(fields.Get("contexte_commande"))
				if err != nil || json.Unmarshal(raw, &ctx) != nil || ctx.Billing["city"] != "Lyon" ||
					ctx.Billing["postalCode"] != "69001" || ctx.Billing["country"] != "FR" || ctx.Billing["addressLine1"] != "12 rue des Tanneurs" {
					t.Errorf("contexte_commande = %s (%v), want the billing address", raw, err)
				}
			}

			if err := bankTerminal(t, format).VerifyForm(fields); err != nil {
				t.Errorf("the bank's check of the seal: %v", err)
			}
			if got, mac := bankHandFormMAC(t, format, fields), fields.Get("MAC"); !strings.EqualFold(got, mac) {
				t.Errorf("MAC = %s, hand-made seal = %s", mac, got)
			}

			after := bankOrderRow(t, ts, ref)
			if !after.ExpiresAt.After(o.ExpiresAt) {
				t.Errorf("expires_at %v not extended (was %v)", after.ExpiresAt, o.ExpiresAt)
			}
			if lo, hi := start.Add(ts.cfg.BankWindow).Add(-time.Second), end.Add(ts.cfg.BankWindow).Add(time.Second); after.ExpiresAt.Before(lo) || after.ExpiresAt.After(hi) {
				t.Errorf("expires_at = %v, want the bank window (%v) from now: between %v and %v", after.ExpiresAt, ts.cfg.BankWindow, lo, hi)
			}
			if after.State != "awaiting_payment" {
				t.Errorf("state after the hand-off = %q", after.State)
			}

			if p := ts.newShopper(t).getPage("/orders/" + ref + "/pay/cmcic"); p.Status != http.StatusNotFound {
				t.Errorf("hand-off for a stranger: status %d, want 404", p.Status)
			}

			bn := newBankNotifier(t, ts)
			expectBankAck(t, bn.notify(t, http.MethodPost,
				bankSealed(t, format, bankNotice{Ref: ref, Code: "paiement", Auth: "1", Cents: o.TotalCents})), cmcic.AckOK)
			before := bankOrderSnapshot(t, ts, ref)
			if p := sh.getPage("/orders/" + ref + "/pay/cmcic"); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/orders/"+ref {
				t.Errorf("hand-off of a paid order: %d to %q, want 303 to the order page", p.Status, p.Header.Get("Location"))
			}
			if got := bankOrderSnapshot(t, ts, ref); got != before {
				t.Errorf("hand-off of a paid order changed it:\nbefore %s\nafter %s", before, got)
			}
		})
	}
}

// Outside demo mode with a real bank URL: the form posts there and the page's CSP lets it.
func TestBankHandoff_CSPAllowsTheConfiguredBank(t *testing.T) {
	const bankURL = "https://p.monetico-services.com/test/paiement.cgi"
	const key = "0123456789ABCDEF0123456789ABCDEF01234567"
	ts := startShopWith(t, shopSetup{Env: map[string]string{
		"SHOP_DEMO": "0", "SHOP_CARD_PAYMENTS": "off", "SHOP_CMCIC_URL": bankURL,
		"SHOP_CMCIC_TPE": "7654321", "SHOP_CMCIC_KEY": key, "SHOP_CMCIC_SOCIETE": "myshop",
	}})
	bankSeedCatalogue(t, ts)
	sh := ts.newShopper(t)
	ref := bankPlaceOrder(t, ts, sh)

	_, doc := sh.get("/orders/" + ref + "/pay")
	if len(byTestID(doc, "pay-cmcic")) != 1 || len(byTestID(doc, "pay-card")) != 0 {
		t.Errorf("payment page offers %d bank and %d card methods, want the bank only",
			len(byTestID(doc, "pay-cmcic")), len(byTestID(doc, "pay-card")))
	}
	p := sh.getPage("/orders/" + ref + "/pay/cmcic")
	forms := byTestID(p.Doc, "bank-form")
	if p.Status != http.StatusOK || len(forms) != 1 {
		t.Fatalf("hand-off: status %d, %d bank forms", p.Status, len(forms))
	}
	if action, _ := attr(forms[0], "action"); action != bankURL {
		t.Errorf("form posts to %q, want %q", action, bankURL)
	}
	if formAction := bankCSPDirective(p.Header.Get("Content-Security-Policy"), "form-action"); !bankHasWord(formAction, "https://p.monetico-services.com") {
		t.Errorf("CSP form-action = %q, want it to allow https://p.monetico-services.com", formAction)
	}
	fields := bankFormFields(forms[0])
	k, err := cmcic.ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := (cmcic.Config{TPE: "7654321", Key: k, Format: cmcic.Current}).VerifyForm(fields); err != nil {
		t.Errorf("seal with the configured key: %v", err)
	}
	if fields.Get("TPE") != "7654321" || fields.Get("societe") != "myshop" {
		t.Errorf("TPE %q societe %q, want the configured ones", fields.Get("TPE"), fields.Get("societe"))
	}
	for _, path := range []string{"/_bank/", "/_bank/paiement.cgi"} {
		if p := sh.fetch(http.MethodPost, path, url.Values{}, nil); p.Status != http.StatusNotFound {
			t.Errorf("POST %s with a real bank configured: status %d, want 404", path, p.Status)
		}
	}
}

// Outside demo mode with no bank URL: no bank method, no sandbox, no notification URL.
func TestBankMethod_NotOfferedOutsideDemoWithoutABankURL(t *testing.T) {
	ts := startShopWith(t, shopSetup{Env: map[string]string{
		"SHOP_DEMO": "0", "SHOP_CARD_PAYMENTS": "on", "SHOP_CARD_KEY": strings.Repeat("ab", 32),
	}})
	bankSeedCatalogue(t, ts)
	sh := ts.newShopper(t)
	ref := bankPlaceOrder(t, ts, sh)

	p := sh.getPage("/orders/" + ref + "/pay")
	if p.Status != http.StatusOK || len(byTestID(p.Doc, "pay-card")) != 1 {
		t.Fatalf("payment page: status %d, want it to offer the card form", p.Status)
	}
	if n := len(byTestID(p.Doc, "pay-cmcic")); n != 0 || strings.Contains(textOf(p.Doc), "bank's secure page") {
		t.Errorf("payment page offers the bank method (%d links) with no bank configured", n)
	}
	if formAction := bankCSPDirective(p.Header.Get("Content-Security-Policy"), "form-action"); formAction != "'self'" {
		t.Errorf("CSP form-action = %q, want only 'self'", formAction)
	}
	checks := []struct{ method, path string }{
		{http.MethodGet, "/_bank/"},
		{http.MethodPost, "/_bank/paiement.cgi"},
		{http.MethodGet, "/orders/" + ref + "/pay/cmcic"},
		{http.MethodPost, "/payment/cmcic/notify"},
	}
	for _, c := range checks {
		var form url.Values
		if c.method == http.MethodPost {
			form = url.Values{}
		}
		if p := sh.fetch(c.method, c.path, form, nil); p.Status != http.StatusNotFound {
			t.Errorf("%s %s: status %d, want 404", c.method, c.path, p.Status)
		}
	}
}

// The whole redirect over HTTP against the embedded sandbox bank, in both seal formats:
// the bank's own notification pays the order.
func TestBankSandbox_EndToEndOverHTTP(t *testing.T) {
	for _, format := range bankFormats {
		t.Run(format.String(), func(t *testing.T) {
			ts := startBankShop(t, format)
			accepted := func(t *testing.T, p *page) string {
				t.Helper()
				if got := textOf(bankFirst(byTestID(p.Doc, "result"))); got != "Payment accepted" {
					t.Fatalf("bank result = %q, want Payment accepted", got)
				}
				return textOf(bankFirst(byTestID(p.Doc, "auth-number")))
			}

			t.Run("accepted card", func(t *testing.T) {
				sh := ts.newShopper(t)
				ref := bankPlaceOrder(t, ts, sh)
				p := bankPayAtSandbox(t, ts, sh, ref, bankCardOK)
				auth := accepted(t, p)
				o := bankOrderRow(t, ts, ref)
				want3DS := map[cmcic.Format]string{cmcic.Current: "not_enrolled/N", cmcic.Legacy: "-1"}[format]
				if o.State != "paid" || o.Auth != auth || auth == "" || o.Status3DS != want3DS {
					t.Errorf("order: state %q auth %q 3DS %q; want paid, the bank's auth %q and %q", o.State, o.Auth, o.Status3DS, auth, want3DS)
				}
				back := bankReturnLink(t, p)
				if !strings.HasPrefix(back, ts.URL+"/orders/"+ref+"/return?token=") || strings.Contains(back, "failed") {
					t.Errorf("return link = %q", back)
				}
				if got := bankPaymentState(t, bankFollow(t, ts, ts.newShopper(t), back)); !strings.Contains(got, "Paid") {
					t.Errorf("return page = %q, want Paid", got)
				}
				if n := bankMerchantMails(t, ts, ref); n != 1 {
					t.Errorf("%d merchant mails, want 1", n)
				}
				rows := bankNotificationsOf(t, ts, ref)
				if len(rows) != 1 || rows[0].Outcome != "paid" || !rows[0].MACValid || rows[0].Method != "POST" {
					t.Errorf("recorded notifications = %+v", rows)
				}
			})

			t.Run("3-D Secure card", func(t *testing.T) {
				sh := ts.newShopper(t)
				ref := bankPlaceOrder(t, ts, sh)
				auth := accepted(t, bankPayAtSandbox(t, ts, sh, ref, bankCard3DS))
				o := bankOrderRow(t, ts, ref)
				if o.State != "paid" || o.Auth != auth || o.Status3DS != bankWant3DS(format) {
					t.Errorf("order: state %q auth %q 3DS %q; want paid, %q, %q", o.State, o.Auth, o.Status3DS, auth, bankWant3DS(format))
				}
			})

			t.Run("card notified twice", func(t *testing.T) {
				sh := ts.newShopper(t)
				ref := bankPlaceOrder(t, ts, sh)
				accepted(t, bankPayAtSandbox(t, ts, sh, ref, bankCardDuplicate))
				if o := bankOrderRow(t, ts, ref); o.State != "paid" {
					t.Errorf("state %q, want paid", o.State)
				}
				rows := bankNotificationsOf(t, ts, ref)
				if len(rows) != 2 || rows[0].Outcome != "paid" || rows[1].Outcome != "duplicate" {
					t.Errorf("recorded notifications = %+v, want paid then duplicate", rows)
				}
				if n := bankMerchantMails(t, ts, ref); n != 1 {
					t.Errorf("%d merchant mails, want 1", n)
				}
				if n := bankEvents(t, ts, ref, "paid"); n != 1 {
					t.Errorf("%d paid events, want 1", n)
				}
			})

			t.Run("late notification", func(t *testing.T) {
				sh := ts.newShopper(t)
				ref := bankPlaceOrder(t, ts, sh)
				p := bankPayAtSandbox(t, ts, sh, ref, bankCardLate)
				accepted(t, p)
				if len(byTestID(p.Doc, "late-note")) != 1 {
					t.Errorf("the bank's page does not say the notification comes later")
				}
				back := bankReturnLink(t, p)
				// The sandbox waits its default NotifyDelay (3 s; the shop sets none)
				// before notifying: the shopper is back long before.
				first := bankFollow(t, ts, sh, back)
				if got := bankPaymentState(t, first); !strings.Contains(got, "being confirmed") {
					t.Errorf("return page before the notification = %q, want being confirmed", got)
				}
				if len(findAll(first.Doc, func(n *bankHTMLNode) bool { _, ok := attr(n, "data-refresh"); return ok })) != 1 {
					t.Errorf("the pending page does not refresh itself")
				}
				deadline := time.Now().Add(20 * time.Second)
				for {
					got := bankPaymentState(t, bankFollow(t, ts, sh, back))
					if strings.Contains(got, "Paid") {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("order %s still %q 20 s after the bank's page; the late notification never arrived", ref, got)
					}
					time.Sleep(100 * time.Millisecond)
				}
				if n := bankMerchantMails(t, ts, ref); n != 1 {
					t.Errorf("%d merchant mails, want 1", n)
				}
			})

			t.Run("refused card, then a good one", func(t *testing.T) {
				sh := ts.newShopper(t)
				ref := bankPlaceOrder(t, ts, sh)
				p := bankPayAtSandbox(t, ts, sh, ref, bankCardRefused)
				if got := textOf(bankFirst(byTestID(p.Doc, "result"))); got != "Payment refused" {
					t.Fatalf("bank result = %q, want Payment refused", got)
				}
				if o := bankOrderRow(t, ts, ref); o.State != "awaiting_payment" {
					t.Errorf("state after a refusal = %q", o.State)
				}
				back := bankReturnLink(t, p)
				if !strings.HasSuffix(back, "&failed=1") {
					t.Errorf("refusal's return link = %q, want the error return", back)
				}
				r := bankFollow(t, ts, sh, back)
				if msg := textOf(bankFirst(byTestID(r.Doc, "order-message"))); !strings.Contains(msg, "did not go through") {
					t.Errorf("return page message = %q", msg)
				}
				if bankLinksTo(r, "/orders/"+ref+"/pay") == 0 {
					t.Errorf("return page offers no way to try again")
				}
				if rows := bankNotificationsOf(t, ts, ref); len(rows) != 1 || rows[0].Outcome != "refused" || rows[0].Code != "Annulation" {
					t.Errorf("recorded notifications = %+v", rows)
				}
				if n := bankMerchantMails(t, ts, ref); n != 0 {
					t.Errorf("%d merchant mails but the refusal's after a refusal, want 0", n)
				}
				if merchant, shopper := bankRefusalMails(t, ts, ref); merchant != 1 || shopper != 1 {
					t.Errorf("refusal mails: %d to the merchant, %d to the shopper; want one each", merchant, shopper)
				}

				accepted(t, bankPayAtSandbox(t, ts, sh, ref, bankCardOK))
				if o := bankOrderRow(t, ts, ref); o.State != "paid" {
					t.Errorf("state after the retry = %q, want paid", o.State)
				}
				if n := bankMerchantMails(t, ts, ref); n != 1 {
					t.Errorf("%d merchant mails, want 1", n)
				}
			})
		})
	}
}

// --- small helpers of this file ---

// bankSeedCatalogue fills a non-demo shop's empty catalogue with the demo products.
func bankSeedCatalogue(t *testing.T, ts *testShop) {
	t.Helper()
	if _, err := ts.store().SeedDemo(context.Background()); err != nil {
		t.Fatalf("seed: %v", err)
	}
}

// bankCSPDirective is the value of one directive of a Content-Security-Policy.
func bankCSPDirective(csp, name string) string {
	for _, d := range strings.Split(csp, ";") {
		d = strings.TrimSpace(d)
		if n, v, _ := strings.Cut(d, " "); n == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func bankHasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if f == w {
			return true
		}
	}
	return false
}
