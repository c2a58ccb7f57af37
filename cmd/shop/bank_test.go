package main

// HTTP-level tests of the bank's notification URL (CM-CIC p@iement / Monetico, issue #5):
// notifications signed in the test, with payment/cmcic and by hand, sent server to
// server to a real shop (real SQLite file, real router) about orders placed over HTTP.

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"shop/checkout"
	"shop/payment/cmcic"
	"shop/store"
)

// The hand-made seal agrees with the spec's published vectors, so that a test using it
// checks the shop against the spec and not against payment/cmcic.
func TestBankHandMAC_MatchesSpecVectors(t *testing.T) {
	key := bankMustHex(t, bankUsableKeyHex)
	if got := bankHMAC(key, "hello"); got != "a535d23382a5191994c64d2c629114739cd51bf9" {
		t.Errorf("MAC of hello = %s", got)
	}
	current := url.Values{"TPE": {"1234567"}, "code-retour": {"paiement"}, "date": {"13/07/2026_10:05:00"},
		"montant": {"6.00EUR"}, "reference": {"MDT0001"}, "texte-libre": {"resa:atelier:0001"}, "MAC": {"ignored"}}
	if got := bankHandMAC(t, cmcic.Current, current); got != "aae928c2040d6686311881e98cd251554d24b811" {
		t.Errorf("current-format notification MAC = %s", got)
	}
	legacy := url.Values{"TPE": {"1234567"}, "date": {"05/12/2006_a_11:55:23"}, "montant": {"62.75EUR"},
		"reference": {"ABERTYP00145"}, "texte-libre": {"LeTexteLibre"}, "code-retour": {"paiement"}, "cvx": {"oui"},
		"vld": {"1208"}, "brand": {"VI"}, "status3ds": {"1"}, "numauto": {"010101"}, "originecb": {"FRA"},
		"bincb": {"010101"}, "hpancb": {"74E94B03C22D786E0F2C2CADBFC1C00B004B7C45"}, "ipclient": {"127.0.0.1"},
		"originetr": {"FRA"}, "veres": {"Y"}, "pares": {"Y"}}
	if got := bankHandMAC(t, cmcic.Legacy, legacy); got != "9cb6865959a08cdc4d06d556beedb9bb3c53aaba" {
		t.Errorf("legacy notification MAC = %s", got)
	}
	form := url.Values{"TPE": {"1234567"}, "date": {"05/12/2006:11:55:23"}, "montant": {"62.73EUR"},
		"reference": {"ABERTYP00145"}, "texte-libre": {"ExempleTexteLibre"}, "version": {"3.0"}, "lgue": {"FR"},
		"societe": {"monSite1"}, "mail": {"internaute@sonemail.fr"}}
	if got := bankHandFormMAC(t, cmcic.Legacy, form); got != "572c7e958787b391cd14fcb9d703886282ceb961" {
		t.Errorf("legacy form MAC = %s", got)
	}
}

// Every case of the notification URL, through HTTP, with no cookie and no CSRF token,
// for orders placed through HTTP, in both seal formats.
func TestBankNotify_Table(t *testing.T) {
	for _, format := range bankFormats {
		t.Run(format.String(), func(t *testing.T) {
			ts := startBankShop(t, format)
			bn := newBankNotifier(t, ts)
			place := func(t *testing.T) (string, bankOrder) {
				t.Helper()
				ref := bankPlaceOrder(t, ts, ts.newShopper(t))
				return ref, bankOrderRow(t, ts, ref)
			}
			paiement := func(ref string, o bankOrder) bankNotice {
				return bankNotice{Ref: ref, Code: "paiement", Auth: "A1B2C3", Cents: o.TotalCents}
			}
			annulation := func(ref string, o bankOrder) bankNotice {
				return bankNotice{Ref: ref, Code: "Annulation", Refusal: "Refus", Cents: o.TotalCents}
			}
			expectPaidOnce := func(t *testing.T, ref string) {
				t.Helper()
				o := bankOrderRow(t, ts, ref)
				if o.State != "paid" || o.Method != "cmcic" {
					t.Errorf("order %s: state %q method %q, want paid by cmcic", ref, o.State, o.Method)
				}
				if n := bankMerchantMails(t, ts, ref); n != 1 {
					t.Errorf("order %s: %d merchant mails in the outbox, want exactly 1", ref, n)
				}
				if n := bankEvents(t, ts, ref, "paid"); n != 1 {
					t.Errorf("order %s: %d paid events, want 1", ref, n)
				}
			}
			expectUnpaid := func(t *testing.T, ref string) {
				t.Helper()
				if o := bankOrderRow(t, ts, ref); o.State != "awaiting_payment" {
					t.Errorf("order %s: state %q, want awaiting_payment", ref, o.State)
				}
				if n := bankMerchantMails(t, ts, ref); n != 0 {
					t.Errorf("order %s: %d merchant mails, want none", ref, n)
				}
				if n := bankEvents(t, ts, ref, "paid"); n != 0 {
					t.Errorf("order %s: %d paid events, want none", ref, n)
				}
			}

			t.Run("valid paiement pays once and the same again changes nothing", func(t *testing.T) {
				ref, o := place(t)
				v := bankSealed(t, format, paiement(ref, o))
				expectBankAck(t, bn.notify(t, http.MethodPost, v), cmcic.AckOK)
				expectPaidOnce(t, ref)
				after := bankOrderRow(t, ts, ref)
				if after.Auth != "A1B2C3" || after.Status3DS != bankWant3DS(format) {
					t.Errorf("order keeps auth %q and 3-D Secure %q, want A1B2C3 and %q", after.Auth, after.Status3DS, bankWant3DS(format))
				}
				if n := ts.queryInt(t, `SELECT count(*) FROM outbox WHERE recipient = 'ada@example.com' AND order_ref = ?`, ref); n != 1 {
					t.Errorf("%d confirmations to the shopper, want 1", n)
				}

				before := bankOrderSnapshot(t, ts, ref)
				expectBankAck(t, bn.notify(t, http.MethodPost, v), cmcic.AckOK)
				if got := bankOrderSnapshot(t, ts, ref); got != before {
					t.Errorf("the same notification again changed the order:\nbefore %s\nafter %s", before, got)
				}
				expectPaidOnce(t, ref)
				rows := bankNotificationsOf(t, ts, ref)
				if len(rows) != 2 || rows[0].Outcome != "paid" || rows[1].Outcome != "duplicate" {
					t.Fatalf("recorded notifications = %+v, want paid then duplicate", rows)
				}
				for _, r := range rows {
					if !r.MACValid || r.Method != "POST" || r.Code != "paiement" || !r.OrderID.Valid || r.OrderID.Int64 != o.ID ||
						r.Auth != "A1B2C3" || r.Status3DS != bankWant3DS(format) {
						t.Errorf("recorded notification = %+v", r)
					}
				}
			})

			t.Run("payetest, the test terminals' code, pays", func(t *testing.T) {
				ref, o := place(t)
				n := paiement(ref, o)
				n.Code = "payetest"
				expectBankAck(t, bn.notify(t, http.MethodPost, bankSealed(t, format, n)), cmcic.AckOK)
				expectPaidOnce(t, ref)
			})

			t.Run("seal computed by hand from the spec pays, upper-case hex too", func(t *testing.T) {
				ref, o := place(t)
				fields := bankNoticeFields(format, paiement(ref, o))
				v := bankValues(fields)
				mac := bankHandMAC(t, format, v)
				if lib := bankValues(bankTerminal(t, format).SealNotification(fields)).Get("MAC"); lib != mac {
					t.Errorf("hand-made seal %s differs from payment/cmcic's %s", mac, lib)
				}
				v.Set("MAC", strings.ToUpper(mac))
				expectBankAck(t, bn.notify(t, http.MethodPost, v), cmcic.AckOK)
				expectPaidOnce(t, ref)
			})

			t.Run("forged seals are refused with cdr=1, recorded, and change nothing", func(t *testing.T) {
				ref, o := place(t)
				other, err := cmcic.ParseKey("0123456789abcdef0123456789abcdef01234567")
				if err != nil {
					t.Fatal(err)
				}
				forgeries := map[string]func() url.Values{
					"wrong MAC": func() url.Values {
						v := bankSealed(t, format, paiement(ref, o))
						v.Set("MAC", bankHMAC(bankMustHex(t, bankUsableKeyHex), "forged"))
						return v
					},
					"no MAC": func() url.Values {
						v := bankSealed(t, format, paiement(ref, o))
						v.Del("MAC")
						return v
					},
					"MAC not hex": func() url.Values {
						v := bankSealed(t, format, paiement(ref, o))
						v.Set("MAC", strings.Repeat("z", 40))
						return v
					},
					"another terminal's key": func() url.Values {
						c := bankTerminal(t, format)
						c.Key = other
						return bankValues(c.SealNotification(bankNoticeFields(format, paiement(ref, o))))
					},
					"amount lowered after sealing": func() url.Values {
						v := bankSealed(t, format, paiement(ref, o))
						v.Set("montant", cmcic.FormatAmount(1, "EUR"))
						return v
					},
					"Annulation turned into paiement after sealing": func() url.Values {
						v := bankSealed(t, format, annulation(ref, o))
						v.Set("code-retour", "paiement")
						return v
					},
					"a parameter sent twice": func() url.Values {
						v := bankSealed(t, format, paiement(ref, o))
						v.Add("code-retour", "paiement")
						return v
					},
				}
				if format == cmcic.Current {
					// The current seal covers every parameter received.
					forgeries["unsealed extra parameter"] = func() url.Values {
						v := bankSealed(t, format, paiement(ref, o))
						v.Set("extra", "1")
						return v
					}
				}
				for name, forge := range forgeries {
					t.Run(name, func(t *testing.T) {
						before := bankOrderSnapshot(t, ts, ref)
						count := ts.queryInt(t, `SELECT count(*) FROM gateway_notifications`)
						expectBankAck(t, bn.notify(t, http.MethodPost, forge()), cmcic.AckBadMAC)
						if got := bankOrderSnapshot(t, ts, ref); got != before {
							t.Errorf("a forged notification changed the order:\nbefore %s\nafter %s", before, got)
						}
						if n := ts.queryInt(t, `SELECT count(*) FROM gateway_notifications`); n != count+1 {
							t.Fatalf("%d notifications recorded, want %d", n, count+1)
						}
						last := bankLastNotification(t, ts)
						if last.MACValid || last.Outcome != "bad_mac" || last.OrderID.Int64 != o.ID {
							t.Errorf("recorded forged notification = %+v, want mac_valid=0, outcome bad_mac, kept with order %d", last, o.ID)
						}
						if last.Fields["reference"] == nil || last.Fields["reference"][0] != ref {
							t.Errorf("recorded fields = %v, want what was received (reference %s)", last.Fields, ref)
						}
					})
				}
				expectUnpaid(t, ref)
			})

			t.Run("valid seal with a wrong amount or currency is recorded, does not pay, and a payment alerts the merchant once", func(t *testing.T) {
				ref, o := place(t)
				before := bankOrderSnapshot(t, ts, ref)
				wrong := func(n bankNotice, montant string) url.Values {
					fields := bankNoticeFields(format, n)
					for i := range fields {
						if fields[i].Name == "montant" {
							fields[i].Value = montant
						}
					}
					return bankValues(bankTerminal(t, format).SealNotification(fields))
				}
				// A refusal of the wrong amount took no money: recorded, nobody told.
				expectBankAck(t, bn.notify(t, http.MethodPost, wrong(annulation(ref, o), cmcic.FormatAmount(1, "EUR"))), cmcic.AckOK)
				if n := bankMerchantMails(t, ts, ref); n != 0 {
					t.Errorf("a refused wrong amount: %d merchant mails, want none", n)
				}
				for _, montant := range []string{
					cmcic.FormatAmount(o.TotalCents+100, "EUR"),
					cmcic.FormatAmount(o.TotalCents-1, "EUR"),
					cmcic.FormatAmount(o.TotalCents, "USD"),
				} {
					expectBankAck(t, bn.notify(t, http.MethodPost, wrong(paiement(ref, o), montant)), cmcic.AckOK)
				}
				if got := bankOrderSnapshot(t, ts, ref); got != before {
					t.Errorf("a mismatched amount changed the order:\nbefore %s\nafter %s", before, got)
				}
				if o := bankOrderRow(t, ts, ref); o.State != "awaiting_payment" {
					t.Errorf("order state %q, want awaiting_payment", o.State)
				}
				if n := bankEvents(t, ts, ref, "paid"); n != 0 {
					t.Errorf("%d paid events, want none", n)
				}
				// The order's history says both sums as money is written: a euro sign on
				// euros only, the code of any other currency once.
				var detail string
				if err := ts.store().R.QueryRow(`SELECT e.detail FROM order_events e JOIN orders o ON o.id = e.order_id
					WHERE o.reference = ? AND e.kind = 'amount_mismatch'`, ref).Scan(&detail); err != nil {
					t.Fatal(err)
				}
				if want := "a payment of " + store.FormatCents(o.TotalCents+100) + " instead of " + store.FormatCents(o.TotalCents) + ":"; !strings.Contains(detail, want) {
					t.Errorf("amount_mismatch event = %q, want it to say %q", detail, want)
				}
				// The same payment three times (one authorisation): one event, one mail.
				if n := bankEvents(t, ts, ref, "amount_mismatch"); n != 1 {
					t.Errorf("%d amount_mismatch events on the order, want 1", n)
				}
				wrongAmountMails := func(auth string) int64 {
					return ts.queryInt(t, `SELECT count(*) FROM outbox WHERE recipient = ? AND order_ref = ?
						AND key = ? AND subject LIKE '%wrong amount%'`,
						ts.cfg.Merchant, ref, ts.mailKey(t, ref, "merchant-wrong-amount-"+auth))
				}
				if n := wrongAmountMails("A1B2C3"); n != 1 {
					t.Errorf("%d wrong-amount mails to the merchant, want 1 (of %d merchant mails)", n, bankMerchantMails(t, ts, ref))
				}
				// Another payment of a wrong amount is another sum to sort out: told again.
				second := paiement(ref, o)
				second.Auth = "D4E5F6"
				expectBankAck(t, bn.notify(t, http.MethodPost, wrong(second, cmcic.FormatAmount(o.TotalCents+1, "EUR"))), cmcic.AckOK)
				if n, m := bankEvents(t, ts, ref, "amount_mismatch"), wrongAmountMails("D4E5F6"); n != 2 || m != 1 {
					t.Errorf("after a second wrong amount: %d events (want 2), %d mails about it (want 1)", n, m)
				}
				rows := bankNotificationsOf(t, ts, ref)
				if len(rows) != 5 {
					t.Fatalf("recorded %d notifications, want 5", len(rows))
				}
				for _, r := range rows {
					if r.Outcome != "amount_mismatch" || !r.MACValid || r.OrderID.Int64 != o.ID {
						t.Errorf("recorded notification = %+v, want amount_mismatch for order %d", r, o.ID)
					}
				}
			})

			t.Run("a query string on the notification URL is not taken for sealed fields", func(t *testing.T) {
				send := func(query string, v url.Values) {
					t.Helper()
					a, err := bn.sendTo(query, http.MethodPost, v)
					if err != nil {
						t.Fatal(err)
					}
					bn.sent++
					expectBankAck(t, a, cmcic.AckOK)
				}
				ref, o := place(t)
				send("?from=bank", bankSealed(t, format, paiement(ref, o)))
				expectPaidOnce(t, ref)

				// A refusal does not turn into a payment by a query naming a sealed field.
				ref, o = place(t)
				send("?code-retour=paiement", bankSealed(t, format, annulation(ref, o)))
				expectUnpaid(t, ref)
				if rows := bankNotificationsOf(t, ts, ref); len(rows) != 1 || rows[0].Outcome != "refused" || !rows[0].MACValid {
					t.Errorf("recorded = %+v, want the sealed refusal", rows)
				}

				// A query the parser refuses does not lose the body.
				ref, o = place(t)
				send("?x=%zz;y", bankSealed(t, format, paiement(ref, o)))
				expectPaidOnce(t, ref)
			})

			t.Run("a wrong amount on an order already paid tells the merchant to refund it", func(t *testing.T) {
				ref, o := place(t)
				expectBankAck(t, bn.notify(t, http.MethodPost, bankSealed(t, format, paiement(ref, o))), cmcic.AckOK)
				extra := paiement(ref, o)
				extra.Auth, extra.Cents = "778899", o.TotalCents*2
				expectBankAck(t, bn.notify(t, http.MethodPost, bankSealed(t, format, extra)), cmcic.AckOK)
				if got := bankOrderRow(t, ts, ref); got.State != "paid" || got.Auth != "A1B2C3" {
					t.Errorf("order: state %q auth %q, want still paid under A1B2C3", got.State, got.Auth)
				}
				text := ts.queryText(t, `SELECT b.text_body FROM outbox m JOIN outbox_bodies b ON b.outbox_id = m.id WHERE m.key = ?`,
					ts.mailKey(t, ref, "merchant-wrong-amount-778899"))
				if !strings.Contains(text, "already been paid: refund this payment") {
					t.Errorf("the merchant's mail does not say to refund the extra payment:\n%s", text)
				}
			})

			t.Run("HEAD is not a notification", func(t *testing.T) {
				ref, o := place(t)
				count := ts.queryInt(t, `SELECT count(*) FROM gateway_notifications`)
				a, err := bn.send(http.MethodHead, bankSealed(t, format, paiement(ref, o)))
				if err != nil {
					t.Fatal(err)
				}
				if a.Status < 400 {
					t.Errorf("HEAD answered %d, want a refusal", a.Status)
				}
				if n := ts.queryInt(t, `SELECT count(*) FROM gateway_notifications`); n != count {
					t.Errorf("HEAD recorded %d notifications", n-count)
				}
				expectUnpaid(t, ref)
			})

			t.Run("valid seal from another terminal is recorded and does not pay", func(t *testing.T) {
				ref, o := place(t)
				n := paiement(ref, o)
				n.TPE = "7654321"
				expectBankAck(t, bn.notify(t, http.MethodPost, bankSealed(t, format, n)), cmcic.AckOK)
				expectUnpaid(t, ref)
				if last := bankLastNotification(t, ts); last.Outcome != "bad_content" || !last.MACValid {
					t.Errorf("recorded notification = %+v, want bad_content with a valid MAC", last)
				}
			})

			t.Run("Annulation then paiement pays", func(t *testing.T) {
				ref, o := place(t)
				expectBankAck(t, bn.notify(t, http.MethodPost, bankSealed(t, format, annulation(ref, o))), cmcic.AckOK)
				expectUnpaid(t, ref)
				if n := bankEvents(t, ts, ref, "payment_refused"); n != 1 {
					t.Errorf("%d payment_refused events, want 1", n)
				}
				expectBankAck(t, bn.notify(t, http.MethodPost, bankSealed(t, format, annulation(ref, o))), cmcic.AckOK)
				// Two refused attempts: the merchant and the shopper are told once.
				if merchant, shopper := bankRefusalMails(t, ts, ref); merchant != 1 || shopper != 1 {
					t.Errorf("refusal mails: %d to the merchant, %d to the shopper; want one each", merchant, shopper)
				}
				expectBankAck(t, bn.notify(t, http.MethodPost, bankSealed(t, format, paiement(ref, o))), cmcic.AckOK)
				expectPaidOnce(t, ref)
				var outcomes []string
				for _, r := range bankNotificationsOf(t, ts, ref) {
					outcomes = append(outcomes, r.Outcome)
				}
				if got := strings.Join(outcomes, ","); got != "refused,refused,paid" {
					t.Errorf("recorded outcomes = %s, want refused,refused,paid", got)
				}
			})

			t.Run("paiement then Annulation stays paid", func(t *testing.T) {
				ref, o := place(t)
				expectBankAck(t, bn.notify(t, http.MethodPost, bankSealed(t, format, paiement(ref, o))), cmcic.AckOK)
				before := bankOrderSnapshot(t, ts, ref)
				expectBankAck(t, bn.notify(t, http.MethodPost, bankSealed(t, format, annulation(ref, o))), cmcic.AckOK)
				if got := bankOrderSnapshot(t, ts, ref); got != before {
					t.Errorf("an Annulation after the payment changed the order:\nbefore %s\nafter %s", before, got)
				}
				expectPaidOnce(t, ref)
				if n := bankEvents(t, ts, ref, "payment_refused"); n != 0 {
					t.Errorf("%d payment_refused events on a paid order, want 0", n)
				}
				if merchant, shopper := bankRefusalMails(t, ts, ref); merchant+shopper != 0 {
					t.Errorf("%d refusal mails about a paid order, want none", merchant+shopper)
				}
				if rows := bankNotificationsOf(t, ts, ref); len(rows) != 2 || rows[1].Outcome != "refused" {
					t.Errorf("recorded notifications = %+v, want the Annulation recorded", rows)
				}
			})

			t.Run("unknown reference is acknowledged and recorded", func(t *testing.T) {
				v := bankSealed(t, format, bankNotice{Ref: "NOSUCHORDER1", Code: "paiement", Auth: "A1B2C3", Cents: 1880})
				expectBankAck(t, bn.notify(t, http.MethodPost, v), cmcic.AckOK)
				rows := bankNotificationsOf(t, ts, "NOSUCHORDER1")
				if len(rows) != 1 || rows[0].Outcome != "unknown_order" || !rows[0].MACValid || rows[0].OrderID.Valid {
					t.Errorf("recorded notifications = %+v, want one unknown_order with no order", rows)
				}
			})

			t.Run("GET replay works like the POST", func(t *testing.T) {
				ref, o := place(t)
				v := bankSealed(t, format, paiement(ref, o))
				expectBankAck(t, bn.notify(t, http.MethodGet, v), cmcic.AckOK)
				expectPaidOnce(t, ref)
				if o := bankOrderRow(t, ts, ref); o.Auth != "A1B2C3" || o.Status3DS != bankWant3DS(format) {
					t.Errorf("after the GET: auth %q, 3-D Secure %q", o.Auth, o.Status3DS)
				}
				expectBankAck(t, bn.notify(t, http.MethodPost, v), cmcic.AckOK)
				expectBankAck(t, bn.notify(t, http.MethodGet, v), cmcic.AckOK)
				expectPaidOnce(t, ref)
				var got []string
				for _, r := range bankNotificationsOf(t, ts, ref) {
					got = append(got, r.Method+":"+r.Outcome)
				}
				if s := strings.Join(got, ","); s != "GET:paid,POST:duplicate,GET:duplicate" {
					t.Errorf("recorded = %s", s)
				}

				forged := bankSealed(t, format, paiement(ref, o))
				forged.Set("MAC", bankHMAC(bankMustHex(t, bankUsableKeyHex), "forged"))
				expectBankAck(t, bn.notify(t, http.MethodGet, forged), cmcic.AckBadMAC)
			})

			t.Run("an empty request is refused and recorded", func(t *testing.T) {
				expectBankAck(t, bn.notify(t, http.MethodPost, url.Values{}), cmcic.AckBadMAC)
				if last := bankLastNotification(t, ts); last.MACValid || last.Outcome != "bad_mac" {
					t.Errorf("recorded = %+v", last)
				}
			})

			// Every request sent, valid or not, left one row.
			if n := ts.queryInt(t, `SELECT count(*) FROM gateway_notifications`); n != bn.sent {
				t.Errorf("%d notifications recorded, %d sent", n, bn.sent)
			}
		})
	}
}

// A second payment of an order already paid, under another authorisation, means the
// customer was charged twice: the merchant hears of it once per authorisation, and the
// order is not paid "again"; the first payment's copies stay plain duplicates.
func TestBankNotify_SecondPaymentOfAPaidOrderAlertsTheMerchant(t *testing.T) {
	ts := startBankShop(t, cmcic.Current)
	ref := bankPlaceOrder(t, ts, ts.newShopper(t))
	o := bankOrderRow(t, ts, ref)
	bn := newBankNotifier(t, ts)
	pay := func(auth string) {
		t.Helper()
		expectBankAck(t, bn.notify(t, http.MethodPost,
			bankSealed(t, cmcic.Current, bankNotice{Ref: ref, Code: "paiement", Auth: auth, Cents: o.TotalCents})), cmcic.AckOK)
	}
	pay("111111")
	pay("111111") // the bank's copy of the same payment
	if got := bankOrderRow(t, ts, ref); got.State != "paid" || got.Auth != "111111" {
		t.Fatalf("order %s under %s, want paid under 111111", got.State, got.Auth)
	}
	secondMails := func(auth string) int64 {
		return ts.queryInt(t, `SELECT count(*) FROM outbox WHERE recipient = ? AND key = ?`,
			ts.cfg.Merchant, ts.mailKey(t, ref, "merchant-second-payment-"+auth))
	}
	if n := secondMails("111111"); n != 0 {
		t.Errorf("the same payment twice made %d second-payment mails, want none", n)
	}
	pay("222222")
	pay("222222")
	if n := secondMails("222222"); n != 1 {
		t.Errorf("%d mails about the second payment, want 1", n)
	}
	if n := bankEvents(t, ts, ref, "second_payment"); n != 1 {
		t.Errorf("%d second_payment events on the order, want 1", n)
	}
	if got := bankOrderRow(t, ts, ref); got.State != "paid" || got.Auth != "111111" {
		t.Errorf("after the second payment: %s under %s, want paid under 111111", got.State, got.Auth)
	}
	outcomes := map[string]int{}
	for _, r := range bankNotificationsOf(t, ts, ref) {
		outcomes[r.Outcome]++
	}
	if outcomes["paid"] != 1 || outcomes["duplicate"] != 1 || outcomes["second_payment"] != 2 {
		t.Errorf("recorded outcomes %v, want paid 1, duplicate 1, second_payment 2", outcomes)
	}
}

// Fifty copies of one notification at once: one state change, one mail, fifty rows,
// fifty cdr=0.
func TestBankNotify_ConcurrentDuplicatesChangeTheOrderOnce(t *testing.T) {
	for _, format := range bankFormats {
		t.Run(format.String(), func(t *testing.T) {
			ts := startBankShop(t, format)
			ref := bankPlaceOrder(t, ts, ts.newShopper(t))
			o := bankOrderRow(t, ts, ref)
			v := bankSealed(t, format, bankNotice{Ref: ref, Code: "paiement", Auth: "998877", Cents: o.TotalCents})
			bn := newBankNotifier(t, ts)

			const copies = 50
			acks := make([]bankAck, copies)
			errs := make([]error, copies)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range copies {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					acks[i], errs[i] = bn.send(http.MethodPost, v)
				}()
			}
			close(start)
			wg.Wait()

			for i := range copies {
				if errs[i] != nil {
					t.Fatalf("notification %d: %v", i, errs[i])
				}
				if acks[i].Status != http.StatusOK || acks[i].Body != cmcic.AckOK {
					t.Errorf("notification %d answered %d %q, want 200 %q", i, acks[i].Status, acks[i].Body, cmcic.AckOK)
				}
			}
			if got := bankOrderRow(t, ts, ref); got.State != "paid" || got.Auth != "998877" {
				t.Errorf("order: state %q auth %q, want paid with 998877", got.State, got.Auth)
			}
			if n := bankEvents(t, ts, ref, "paid"); n != 1 {
				t.Errorf("%d paid events, want exactly 1", n)
			}
			if n := bankMerchantMails(t, ts, ref); n != 1 {
				t.Errorf("%d merchant mails, want exactly 1", n)
			}
			// The one payment's two mails, rendered before its transaction; the
			// duplicates' were rendered too, but nothing of theirs was queued.
			if n := ts.app.orders.MailsRenderedEarly(); n != 2 {
				t.Errorf("%d mails queued as rendered before their transaction, want the payment's 2", n)
			}
			rows := bankNotificationsOf(t, ts, ref)
			paid := 0
			for _, r := range rows {
				if r.Outcome == "paid" {
					paid++
				} else if r.Outcome != "duplicate" {
					t.Errorf("recorded outcome %q, want paid or duplicate", r.Outcome)
				}
			}
			if len(rows) != copies || paid != 1 {
				t.Errorf("recorded %d notifications (%d paid), want %d with exactly one paid", len(rows), paid, copies)
			}
		})
	}
}

// A payment the bank confirms after the order expired (stock returned, the shopper told
// it was not paid in time) is money taken for an order the shop has dropped: it must not
// be filed as a mere duplicate, and the merchant must hear of it to refund or fulfil.
func TestBankNotify_PaymentAfterExpiryIsFlaggedToTheMerchant(t *testing.T) {
	ts := startBankShop(t, cmcic.Current)
	ref := bankPlaceOrder(t, ts, ts.newShopper(t))
	o := bankOrderRow(t, ts, ref)
	ts.exec(t, `UPDATE orders SET expires_at = ? WHERE id = ?`, time.Now().Add(-time.Minute).UTC(), o.ID)
	ts.mu.Lock()
	orders := ts.app.orders
	ts.mu.Unlock()
	if _, err := orders.ExpireDue(context.Background()); err != nil {
		t.Fatalf("expire: %v", err)
	}
	if got := bankOrderRow(t, ts, ref); got.State != "expired" {
		t.Fatalf("state = %q, want expired before the bank's late confirmation", got.State)
	}

	bn := newBankNotifier(t, ts)
	expectBankAck(t, bn.notify(t, http.MethodPost,
		bankSealed(t, cmcic.Current, bankNotice{Ref: ref, Code: "paiement", Auth: "445566", Cents: o.TotalCents})), cmcic.AckOK)

	rows := bankNotificationsOf(t, ts, ref)
	if len(rows) != 1 {
		t.Fatalf("recorded %d notifications, want 1", len(rows))
	}
	if rows[0].Outcome == "duplicate" {
		t.Errorf("a payment for an expired order is recorded as a duplicate: nothing tells the merchant the shopper was charged")
	}
	if n := bankMerchantMails(t, ts, ref); n == 0 {
		t.Errorf("no mail to the merchant about a payment taken for an expired order")
	}
	// The bank's copy of that payment is a duplicate; another late payment (a second
	// tab at the bank) is a second sum to refund, and the merchant hears of it too.
	mails := bankMerchantMails(t, ts, ref)
	for _, auth := range []string{"445566", "778899", "778899"} {
		expectBankAck(t, bn.notify(t, http.MethodPost,
			bankSealed(t, cmcic.Current, bankNotice{Ref: ref, Code: "paiement", Auth: auth, Cents: o.TotalCents})), cmcic.AckOK)
	}
	outcomes := map[string]int{}
	for _, r := range bankNotificationsOf(t, ts, ref) {
		outcomes[r.Outcome]++
	}
	if outcomes["paid_after_close"] != 2 || outcomes["duplicate"] != 2 {
		t.Errorf("outcomes %v, want paid_after_close 2 (one per authorisation) and duplicate 2", outcomes)
	}
	if n := bankMerchantMails(t, ts, ref); n != mails+1 {
		t.Errorf("%d merchant mails after a second late payment, want %d", n, mails+1)
	}
	if n := bankEvents(t, ts, ref, "paid_after_close"); n != 2 {
		t.Errorf("%d paid_after_close events, want one per authorisation (2)", n)
	}
	// The shopper, told at expiry that nothing would be charged, hears of each.
	if n := ts.queryInt(t, `SELECT count(*) FROM outbox WHERE order_id = ? AND key LIKE '%/shopper-paid-after-close-%'`, o.ID); n != 2 {
		t.Errorf("%d mails to the shopper about late payments, want 2 (one per authorisation)", n)
	}
}

// A shopper who typed a card on the shop's page, then paid at the bank in another tab
// before the merchant charged the card: the bank's payment is the order's. The order is
// paid by the bank, the stored card digits are cut to six (nothing left to charge), and
// the merchant is told not to charge the card; a copy of the notification changes nothing.
func TestBankNotify_PaymentOverAnUnchargedCardPaysAndStopsTheCard(t *testing.T) {
	ts := startBankShop(t, cmcic.Current)
	sh := ts.newShopper(t)
	ref := bankPlaceOrder(t, ts, sh)
	o := bankOrderRow(t, ts, ref)
	if p := payByCard(t, sh, ref, "visa", "4242424242424242", "12/30"); p.Status != http.StatusSeeOther {
		t.Fatalf("card form: %d", p.Status)
	}
	if got := bankOrderRow(t, ts, ref); got.State != "awaiting_certification" {
		t.Fatalf("after the card: %s, want awaiting_certification", got.State)
	}
	bn := newBankNotifier(t, ts)
	for range 2 {
		expectBankAck(t, bn.notify(t, http.MethodPost,
			bankSealed(t, cmcic.Current, bankNotice{Ref: ref, Code: "paiement", Auth: "313131", Cents: o.TotalCents})), cmcic.AckOK)
	}
	if got := bankOrderRow(t, ts, ref); got.State != "paid" || got.Auth != "313131" {
		t.Errorf("after the bank's payment: %s under %q, want paid under 313131", got.State, got.Auth)
	}
	if m := ts.queryText(t, `SELECT payment_method FROM orders WHERE reference = ?`, ref); m != "cmcic" {
		t.Errorf("paid by %q, want the bank (cmcic)", m)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM card_payments WHERE order_id = ? AND reduced = 1 AND length(stored) = 6`, o.ID); n != 1 {
		t.Error("the stored card digits were not cut to the first six")
	}
	for _, kind := range []string{"merchant-paid-over-card", "shopper-paid-over-card"} {
		if n := ts.queryInt(t, `SELECT count(*) FROM outbox WHERE key = ?`, ts.mailKey(t, ref, kind)); n != 1 {
			t.Errorf("%d %s mails, want 1", n, kind)
		}
	}
	outcomes := map[string]int{}
	for _, r := range bankNotificationsOf(t, ts, ref) {
		outcomes[r.Outcome]++
	}
	if outcomes["paid"] != 1 || outcomes["duplicate"] != 1 || outcomes["paid_after_close"] != 0 {
		t.Errorf("outcomes %v, want paid 1 and duplicate 1", outcomes)
	}
}

// A notification's body is read as the form encoding writes it, whatever Content-Type
// the bank's client sends (none, text/plain), and a raw ; in a value is the value's:
// sealed correctly, each pays its order, where Go's form parser saw no fields (no
// content type) or dropped the pair with the ; (and the seal failed).
func TestBankNotify_BodyReadWhateverItsContentType(t *testing.T) {
	ts := startBankShop(t, cmcic.Current)
	for _, tt := range []struct {
		name, contentType, freeText string
	}{
		{"no content type", "", "order"},
		{"text/plain", "text/plain", "order"},
		{"a raw ; in texte-libre", "application/x-www-form-urlencoded", "order;one"},
	} {
		ref := bankPlaceOrder(t, ts, ts.newShopper(t))
		o := bankOrderRow(t, ts, ref)
		fields := bankNoticeFields(cmcic.Current, bankNotice{Ref: ref, Code: "paiement", Auth: "A1B2C3", Cents: o.TotalCents})
		for i := range fields {
			if fields[i].Name == "texte-libre" {
				fields[i].Value = tt.freeText
			}
		}
		var body strings.Builder
		for i, f := range bankTerminal(t, cmcic.Current).SealNotification(fields) {
			if i > 0 {
				body.WriteByte('&')
			}
			// Escaped as a form encoder does, except the ; which some leave as it is.
			body.WriteString(url.QueryEscape(f.Name) + "=" + strings.ReplaceAll(url.QueryEscape(f.Value), "%3B", ";"))
		}
		req, err := http.NewRequest(http.MethodPost, ts.URL+checkout.NotifyPath, strings.NewReader(body.String()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Del("Content-Type")
		if tt.contentType != "" {
			req.Header.Set("Content-Type", tt.contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(answer) != cmcic.AckOK {
			t.Errorf("%s: answer %d %q, want %q", tt.name, resp.StatusCode, answer, cmcic.AckOK)
		}
		if got := bankOrderRow(t, ts, ref); got.State != "paid" {
			t.Errorf("%s: order %s is %s, want paid", tt.name, ref, got.State)
		}
	}
}

// With the bank's production page configured, "payetest" comes from the bank's test
// server (which takes the same terminal's forms and moves no money): the order stays
// unpaid and the merchant hears of it once; a real "paiement" still pays.
func TestBankNotify_TestPaymentOnTheLiveShopDoesNotPay(t *testing.T) {
	const key = "0123456789ABCDEF0123456789ABCDEF01234567"
	ts := startShopWith(t, shopSetup{Env: map[string]string{
		"SHOP_DEMO": "0", "SHOP_CARD_PAYMENTS": "off", "SHOP_CMCIC_URL": "https://p.monetico-services.com/paiement.cgi",
		"SHOP_CMCIC_TPE": "7654321", "SHOP_CMCIC_KEY": key, "SHOP_CMCIC_SOCIETE": "myshop",
	}})
	bankSeedCatalogue(t, ts)
	ref := bankPlaceOrder(t, ts, ts.newShopper(t))
	o := bankOrderRow(t, ts, ref)
	k, err := cmcic.ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	live := cmcic.Config{TPE: "7654321", Key: k, Format: cmcic.Current}
	sealed := func(code string) url.Values {
		return bankValues(live.SealNotification(bankNoticeFields(cmcic.Current,
			bankNotice{Ref: ref, Code: code, Auth: "A1B2C3", Cents: o.TotalCents, TPE: "7654321"})))
	}
	bn := newBankNotifier(t, ts)

	for range 2 {
		expectBankAck(t, bn.notify(t, http.MethodPost, sealed("payetest")), cmcic.AckOK)
	}
	// A test of the wrong amount is a test all the same, not a payment to refund.
	wrongTest := bankNoticeFields(cmcic.Current, bankNotice{Ref: ref, Code: "payetest", Auth: "A1B2C3", Cents: 1, TPE: "7654321"})
	expectBankAck(t, bn.notify(t, http.MethodPost, bankValues(live.SealNotification(wrongTest))), cmcic.AckOK)
	if got := bankOrderRow(t, ts, ref); got.State != "awaiting_payment" {
		t.Fatalf("after payetest on the live shop: state %q, want awaiting_payment", got.State)
	}
	if n := bankEvents(t, ts, ref, "test_payment"); n != 1 {
		t.Errorf("%d test_payment events, want 1", n)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM outbox WHERE recipient = ? AND key = ?`,
		ts.cfg.Merchant, ts.mailKey(t, ref, "merchant-test-payment-A1B2C3")); n != 1 {
		t.Errorf("%d test-payment mails to the merchant, want 1", n)
	}
	if n := bankEvents(t, ts, ref, "amount_mismatch"); n != 0 {
		t.Errorf("%d amount_mismatch events for a test payment, want none", n)
	}
	rows := bankNotificationsOf(t, ts, ref)
	if len(rows) != 3 {
		t.Fatalf("recorded notifications = %+v, want three", rows)
	}
	for _, r := range rows {
		if r.Outcome != "test_payment" {
			t.Errorf("recorded outcome %q, want test_payment", r.Outcome)
		}
	}

	expectBankAck(t, bn.notify(t, http.MethodPost, sealed("paiement")), cmcic.AckOK)
	if got := bankOrderRow(t, ts, ref); got.State != "paid" {
		t.Errorf("after paiement: state %q, want paid", got.State)
	}
}

// A notification too large to be one gets the protocol's answer for a seal that does
// not hold, as text, not the shop's HTML "too large" page; multipart too.
func TestBankNotify_OversizedBodyGetsTheProtocolsAnswer(t *testing.T) {
	ts := startBankShop(t, cmcic.Current)
	big := "texte-libre=" + strings.Repeat("x", 70<<10) + "&MAC=00"
	var multi strings.Builder
	multi.WriteString("--b\r\nContent-Disposition: form-data; name=\"texte-libre\"; filename=\"f\"\r\n\r\n")
	multi.WriteString(strings.Repeat("x", 3<<20))
	multi.WriteString("\r\n--b--\r\n")
	for _, tt := range []struct{ name, contentType, body string }{
		{"form", "application/x-www-form-urlencoded", big},
		{"multipart", "multipart/form-data; boundary=b", multi.String()},
	} {
		resp, err := http.Post(ts.URL+checkout.NotifyPath, tt.contentType, strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(answer) != cmcic.AckBadMAC || resp.Header.Get("Content-Type") != "text/plain" {
			t.Errorf("%s: answer %d %q (%s), want 200 %q as text/plain", tt.name, resp.StatusCode, answer, resp.Header.Get("Content-Type"), cmcic.AckBadMAC)
		}
	}
}

// The mirror case: the merchant charged the card and certified it, then the bank's
// payment from the other tab arrives. The customer paid twice: the merchant is told,
// once per authorisation, and the order stays paid by card.
func TestBankNotify_PaymentAfterACertifiedCardIsASecondPayment(t *testing.T) {
	ts := startBankShop(t, cmcic.Current)
	sh := ts.newShopper(t)
	ref := bankPlaceOrder(t, ts, sh)
	o := bankOrderRow(t, ts, ref)
	if p := payByCard(t, sh, ref, "visa", "4242424242424242", "12/30"); p.Status != http.StatusSeeOther {
		t.Fatalf("card form: %d", p.Status)
	}
	ts.mu.Lock()
	orders := ts.app.orders
	ts.mu.Unlock()
	id := ts.queryInt(t, `SELECT id FROM orders WHERE reference = ?`, ref)
	if err := orders.Certify(context.Background(), id, checkout.Action{Actor: "admin:boss@example.com"}); err != nil {
		t.Fatalf("certify: %v", err)
	}
	bn := newBankNotifier(t, ts)
	for range 2 {
		expectBankAck(t, bn.notify(t, http.MethodPost,
			bankSealed(t, cmcic.Current, bankNotice{Ref: ref, Code: "paiement", Auth: "424242", Cents: o.TotalCents})), cmcic.AckOK)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM outbox WHERE key = ?`, ts.mailKey(t, ref, "merchant-second-payment-424242")); n != 1 {
		t.Errorf("%d second-payment mails, want 1", n)
	}
	if m := ts.queryText(t, `SELECT payment_method || '|' || payment_state FROM orders WHERE id = ?`, id); m != "card|paid" {
		t.Errorf("the order is %q, want still paid by card", m)
	}
}
