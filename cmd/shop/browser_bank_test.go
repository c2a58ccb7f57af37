package main

// Browser tests of the bank redirect: a shopper in headless Chromium goes from the cart
// to the order form, leaves for the embedded sandbox bank through the shop's
// auto-submitted form, pays there, and comes back to the shop.

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"shop/payment/cmcic"
)

func TestBrowserBank_PayOnTheSandboxBank(t *testing.T) {
	for _, format := range bankFormats {
		t.Run(format.String(), func(t *testing.T) {
			ts := startBankShop(t, format)
			ctx := newBrowser(t)

			t.Run("accepted card", func(t *testing.T) {
				ref := browserBankPlaceOrder(t, ctx, ts)
				browserBankLeaveForTheBank(t, ctx, ts)
				browserBankPayWithCard(t, ctx, bankCardOK)
				browserBankReturnPaid(t, ctx, ts, ref)
			})

			t.Run("3-D Secure card", func(t *testing.T) {
				ref := browserBankPlaceOrder(t, ctx, ts)
				browserBankLeaveForTheBank(t, ctx, ts)
				browserBankPayWithCard(t, ctx, bankCard3DS)
				browse(t, ctx, "wait for the 3-D Secure page", chromedp.WaitVisible(chromedp.CSS(`[data-testid="secure-form"]`)))
				if got := textAt(t, ctx, `[data-testid="code-hint"]`); !strings.Contains(got, "1234") {
					t.Errorf("3-D Secure hint = %q", got)
				}
				browse(t, ctx, "type the code", chromedp.SendKeys(chromedp.CSS("#code"), "1234"))
				clickAndLoad(t, ctx, `[data-testid="confirm"]`)
				browserBankReturnPaid(t, ctx, ts, ref)
				if o := bankOrderRow(t, ts, ref); o.Status3DS != bankWant3DS(format) {
					t.Errorf("order's 3-D Secure status = %q, want %q", o.Status3DS, bankWant3DS(format))
				}
			})

			t.Run("refused card, then a good one", func(t *testing.T) {
				ref := browserBankPlaceOrder(t, ctx, ts)
				browserBankLeaveForTheBank(t, ctx, ts)
				browserBankPayWithCard(t, ctx, bankCardRefused)
				if got := textAt(t, ctx, `[data-testid="result"]`); got != "Payment refused" {
					t.Fatalf("bank result = %q, want Payment refused", got)
				}
				clickAndLoad(t, ctx, `[data-testid="return-link"]`)
				if got := textAt(t, ctx, `[data-testid="order-message"]`); !strings.Contains(got, "did not go through") {
					t.Errorf("back at the shop after a refusal: %q", got)
				}
				if got := textAt(t, ctx, `[data-testid="payment-state"]`); strings.Contains(got, "Paid") {
					t.Errorf("payment state after a refusal = %q", got)
				}
				clickAndLoad(t, ctx, `a[href="/orders/`+ref+`/pay"]`)
				browserBankLeaveForTheBank(t, ctx, ts)
				browserBankPayWithCard(t, ctx, bankCardOK)
				browserBankReturnPaid(t, ctx, ts, ref)
			})

			if format != cmcic.Current {
				return
			}
			t.Run("late notification: the pending page refreshes itself to Paid", func(t *testing.T) {
				ref := browserBankPlaceOrder(t, ctx, ts)
				browserBankLeaveForTheBank(t, ctx, ts)
				browserBankPayWithCard(t, ctx, bankCardLate)
				if got := textAt(t, ctx, `[data-testid="result"]`); got != "Payment accepted" {
					t.Fatalf("bank result = %q", got)
				}
				clickAndLoad(t, ctx, `[data-testid="return-link"]`)
				// The sandbox notifies 3 s (its default NotifyDelay) after its page.
				if got := textAt(t, ctx, `[data-testid="payment-state"]`); !strings.Contains(got, "being confirmed") {
					t.Errorf("return page before the notification = %q, want being confirmed", got)
				}
				wait, cancel := context.WithTimeout(ctx, 20*time.Second)
				defer cancel()
				if err := chromedp.Do(wait, chromedp.WaitVisible(chromedp.CSS(`[data-testid="payment-state"].state-paid`))); err != nil {
					t.Fatalf("the pending page never showed Paid: %v (order is %s)", err, bankOrderRow(t, ts, ref).State)
				}
				if n := bankMerchantMails(t, ts, ref); n != 1 {
					t.Errorf("%d merchant mails, want 1", n)
				}
			})
		})
	}
}

// browserBankPlaceOrder adds espresso beans to the cart, fills the order form and
// places the order; it returns the reference from the payment page's address.
func browserBankPlaceOrder(t *testing.T, ctx context.Context, ts *testShop) string {
	t.Helper()
	browse(t, ctx, "open a product", chromedp.Navigate(ts.URL+"/products/espresso-beans"))
	clickAndLoad(t, ctx, `form.add-form button[type="submit"]`)
	clickAndLoad(t, ctx, `[data-testid="cart-link"]`)
	clickAndLoad(t, ctx, `a[href="/checkout"]`)
	browse(t, ctx, "fill the order form",
		chromedp.Clear(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "grace@example.com"),
		chromedp.Clear(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Grace Hopper"),
		chromedp.Clear(chromedp.CSS("#phone")),
		chromedp.SendKeys(chromedp.CSS("#phone"), "+33 4 72 00 00 01"),
		chromedp.Clear(chromedp.CSS("#billing_line1")),
		chromedp.SendKeys(chromedp.CSS("#billing_line1"), "3 place Bellecour"),
		chromedp.Clear(chromedp.CSS("#billing_postcode")),
		chromedp.SendKeys(chromedp.CSS("#billing_postcode"), "69002"),
		chromedp.Clear(chromedp.CSS("#billing_city")),
		chromedp.SendKeys(chromedp.CSS("#billing_city"), "Lyon"),
		chromedp.SetValue(chromedp.CSS("#billing_country"), "FR"),
		chromedp.Click(chromedp.CSS(`input[name="delivery"][value="home"]`)),
	)
	// Terms are asked again on every order: tick the box only when it is not ticked.
	checked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("#terms").checked`))
	if err != nil {
		t.Fatal(err)
	}
	if !checked {
		browse(t, ctx, "accept the terms", chromedp.Click(chromedp.CSS("#terms")))
	}
	clickAndLoad(t, ctx, `[data-testid="checkout-form"] button[type="submit"]`)
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil || !strings.HasPrefix(u.Path, "/orders/") || !strings.HasSuffix(u.Path, "/pay") {
		t.Fatalf("after placing the order the browser is at %q (page says %q), want the payment page", loc, textAt(t, ctx, "main"))
	}
	return strings.TrimSuffix(strings.TrimPrefix(u.Path, "/orders/"), "/pay")
}

// browserBankLeaveForTheBank chooses the bank on the payment page; the hand-off page
// submits itself and the sandbox bank's card page shows.
func browserBankLeaveForTheBank(t *testing.T, ctx context.Context, ts *testShop) {
	t.Helper()
	if got := textAt(t, ctx, `[data-testid="pay-cmcic"]`); got != "Pay on the bank's secure page" {
		t.Errorf("bank method label = %q", got)
	}
	browse(t, ctx, "choose the bank and wait for its card page",
		chromedp.Click(chromedp.CSS(`[data-testid="pay-cmcic"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="card-form"]`)),
	)
	if got := textAt(t, ctx, `[data-testid="banner"]`); got != "Sandbox bank — no real payment" {
		t.Errorf("bank banner = %q", got)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if want := ts.URL + "/_bank/paiement.cgi"; loc != want {
		t.Errorf("the browser is at %q, want the bank's page %q", loc, want)
	}
}

// browserBankPayWithCard types a test card on the bank's card page and pays.
func browserBankPayWithCard(t *testing.T, ctx context.Context, number string) {
	t.Helper()
	browse(t, ctx, "type the card",
		chromedp.SendKeys(chromedp.CSS("#number"), number),
		chromedp.SendKeys(chromedp.CSS("#expiry"), time.Now().AddDate(2, 0, 0).Format("01/06")),
		chromedp.SendKeys(chromedp.CSS("#cvc"), "123"),
	)
	clickAndLoad(t, ctx, `[data-testid="pay"]`)
}

// browserBankReturnPaid checks the bank accepted, returns to the shop and checks the
// order page says Paid and the merchant's mail waits in the outbox.
func browserBankReturnPaid(t *testing.T, ctx context.Context, ts *testShop, ref string) {
	t.Helper()
	if got := textAt(t, ctx, `[data-testid="result"]`); got != "Payment accepted" {
		t.Fatalf("bank result = %q, want Payment accepted", got)
	}
	clickAndLoad(t, ctx, `[data-testid="return-link"]`)
	if got := textAt(t, ctx, `[data-testid="payment-state"]`); !strings.Contains(got, "Paid") {
		t.Errorf("order page after the bank = %q, want Paid", got)
	}
	if got := textAt(t, ctx, "h1"); got != "Order "+ref {
		t.Errorf("back at the shop on %q, want order %s", got, ref)
	}
	if o := bankOrderRow(t, ts, ref); o.State != "paid" {
		t.Errorf("order %s is %q in the database, want paid", ref, o.State)
	}
	if n := bankMerchantMails(t, ts, ref); n != 1 {
		t.Errorf("%d merchant mails in the outbox for %s, want 1", n, ref)
	}
}
