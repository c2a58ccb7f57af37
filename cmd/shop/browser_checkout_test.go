package main

// Browser tests of checkout and the card form in headless Chromium (newBrowser in
// browser_test.go): what a shopper types wrong comes back beside the field with the
// rest kept, and once corrected the order goes through.

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// fillOrderForm types the order form as a shopper would, with this postcode, and ticks
// the terms.
func fillOrderForm(t *testing.T, ctx context.Context, postcode string) {
	t.Helper()
	f := validOrderForm()
	var steps []chromedp.Action[chromedp.Void]
	for _, field := range []string{"email", "name", "phone", "billing_line1", "billing_line2", "billing_city"} {
		steps = append(steps, chromedp.Clear(chromedp.CSS("#"+field)), chromedp.SendKeys(chromedp.CSS("#"+field), f.Get(field)))
	}
	steps = append(steps,
		chromedp.Clear(chromedp.CSS("#billing_postcode")),
		chromedp.SendKeys(chromedp.CSS("#billing_postcode"), postcode),
		chromedp.SetValue(chromedp.CSS("#billing_country"), "FR"),
		chromedp.Click(chromedp.CSS(`input[name="delivery"][value="home"]`)),
		chromedp.Click(chromedp.CSS("#terms")),
	)
	browse(t, ctx, "fill in the order form", steps...)
}

// valueAt is the current value of the form control matching sel.
func valueAt(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("value of %s: %v", sel, err)
	}
	return v
}

// checkedAt reports whether the checkbox or radio matching sel is checked.
func checkedAt(t *testing.T, ctx context.Context, sel string) bool {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector(`+"`"+sel+"`"+`).checked`))
	if err != nil {
		t.Fatalf("checked %s: %v", sel, err)
	}
	return v
}

func locationOf(t *testing.T, ctx context.Context) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

var payPageURL = regexp.MustCompile(`/orders/([2-9A-HJKMNP-Z]{10})/pay$`)

// reachPaymentPage adds a product, fills the order form correctly and places the order;
// it returns the order's reference, with the browser on the payment page.
func reachPaymentPage(t *testing.T, ctx context.Context, shop *testShop, slug string) string {
	t.Helper()
	browse(t, ctx, "open the product page", chromedp.Navigate(shop.URL+"/products/"+slug))
	clickAndLoad(t, ctx, `form.add-form button[type="submit"]`)
	clickAndLoad(t, ctx, `[data-testid="cart-link"]`)
	clickAndLoad(t, ctx, `main a[href="/checkout"]`) // the cart's own button
	fillOrderForm(t, ctx, "69001")
	clickAndLoad(t, ctx, `[data-testid="checkout-form"] button[type="submit"]`)
	m := payPageURL.FindStringSubmatch(locationOf(t, ctx))
	if m == nil {
		t.Fatalf("after placing the order the browser is at %s, want the payment page", locationOf(t, ctx))
	}
	return m[1]
}

// A wrong postcode comes back beside its field with everything else kept; corrected,
// the order is placed and the payment page offers the card.
func TestBrowser_CheckoutCorrectsPostcodeAndReachesPayment(t *testing.T) {
	shop := startShop(t)
	ctx := newBrowser(t)

	browse(t, ctx, "open the product page", chromedp.Navigate(shop.URL+"/products/espresso-beans"))
	clickAndLoad(t, ctx, `form.add-form button[type="submit"]`)
	// "Order" in the main menu, as the shop's help text says, leads to the order form
	// with the cart's summary.
	if got := textAt(t, ctx, `nav[aria-label="Main menu"] [data-testid="order-link"]`); got != "Order" {
		t.Fatalf("main menu link %q, want Order", got)
	}
	clickAndLoad(t, ctx, `[data-testid="order-link"]`)
	if got := textAt(t, ctx, "h1"); got != "Checkout" {
		t.Fatalf("heading %q, want Checkout", got)
	}
	if got := textAt(t, ctx, "main"); !strings.Contains(got, "Espresso") {
		t.Errorf("the order form does not show the cart's product: %q", got)
	}

	fillOrderForm(t, ctx, "ABC")
	clickAndLoad(t, ctx, `[data-testid="checkout-form"] button[type="submit"]`)
	if got := textAt(t, ctx, `[data-testid="billing_postcode-error"]`); !strings.Contains(got, "Enter a postcode of France such as 75011.") {
		t.Errorf("postcode message = %q", got)
	}
	attrs, err := chromedp.Run(ctx, chromedp.Attributes(chromedp.CSS("#billing_postcode")))
	if err != nil {
		t.Fatal(err)
	}
	if attrs["aria-invalid"] != "true" || attrs["aria-describedby"] != "billing_postcode-error" {
		t.Errorf("postcode field attributes = %v, want aria-invalid and aria-describedby", attrs)
	}
	if got := textAt(t, ctx, `[data-testid="error-summary"]`); !strings.Contains(got, "Enter a postcode of France") {
		t.Errorf("error summary = %q", got)
	}
	focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.getAttribute("data-testid") || document.activeElement.tagName`))
	if err != nil {
		t.Fatal(err)
	}
	if focused != "error-summary" {
		t.Errorf("after the error the focus is on %q, want the error summary", focused)
	}
	f := validOrderForm()
	for _, field := range []string{"email", "name", "phone", "billing_line1", "billing_line2", "billing_city", "billing_country"} {
		if got := valueAt(t, ctx, "#"+field); got != f.Get(field) {
			t.Errorf("%s after the error = %q, want %q kept", field, got, f.Get(field))
		}
	}
	if got := valueAt(t, ctx, "#billing_postcode"); got != "ABC" {
		t.Errorf("postcode after the error = %q, want what was typed", got)
	}
	if !checkedAt(t, ctx, `input[name="delivery"][value="home"]`) || !checkedAt(t, ctx, "#terms") {
		t.Errorf("delivery choice or terms not kept")
	}

	browse(t, ctx, "correct the postcode",
		chromedp.Clear(chromedp.CSS("#billing_postcode")),
		chromedp.SendKeys(chromedp.CSS("#billing_postcode"), "69001"),
	)
	clickAndLoad(t, ctx, `[data-testid="checkout-form"] button[type="submit"]`)
	m := payPageURL.FindStringSubmatch(locationOf(t, ctx))
	if m == nil {
		t.Fatalf("after the correction the browser is at %s, want the payment page", locationOf(t, ctx))
	}
	if got := textAt(t, ctx, "h1"); got != "Pay order "+m[1] {
		t.Errorf("heading %q", got)
	}
	if got := textAt(t, ctx, `[data-testid="pay-card"]`); got != "Pay by card on this site" {
		t.Errorf("card option = %q", got)
	}
	if got := textAt(t, ctx, `[data-testid="total"]`); got != "€18.80" {
		t.Errorf("total = %q, want €18.80 (€12.90 + €5.90 delivery)", got)
	}
	if n := shop.queryInt(t, `SELECT count(*) FROM orders`); n != 1 {
		t.Errorf("%d orders, want 1", n)
	}
}

// An expired card comes back with the message beside the expiry and the number field
// empty; typed again with a good expiry, the payment is received.
func TestBrowser_CardPaymentCorrectsExpiry(t *testing.T) {
	shop := startShop(t)
	ctx := newBrowser(t)
	ref := reachPaymentPage(t, ctx, shop, "honey")
	clickAndLoad(t, ctx, `[data-testid="pay-card"]`)

	browse(t, ctx, "type an expired card",
		chromedp.SetValue(chromedp.CSS("#brand"), "visa"),
		chromedp.SendKeys(chromedp.CSS("#number"), "4242 4242 4242 4242"),
		chromedp.SendKeys(chromedp.CSS("#expiry"), "01/20"),
	)
	clickAndLoad(t, ctx, `[data-testid="card-form"] button[type="submit"]`)
	if got := textAt(t, ctx, `[data-testid="expiry-error"]`); !strings.Contains(got, "This card has expired.") {
		t.Errorf("expiry message = %q", got)
	}
	attrs, err := chromedp.Run(ctx, chromedp.Attributes(chromedp.CSS("#expiry")))
	if err != nil {
		t.Fatal(err)
	}
	if attrs["aria-invalid"] != "true" || attrs["aria-describedby"] != "expiry-error expiry-hint" {
		t.Errorf("expiry field attributes = %v", attrs)
	}
	if got := valueAt(t, ctx, "#number"); got != "" {
		t.Errorf("number field after the error = %q, want it empty", got)
	}
	if got := valueAt(t, ctx, "#expiry"); got != "01/20" {
		t.Errorf("expiry after the error = %q, want 01/20 kept", got)
	}
	if got := valueAt(t, ctx, "#brand"); got != "visa" {
		t.Errorf("card type after the error = %q, want visa kept", got)
	}
	source, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		t.Fatal(err)
	}
	for _, digits := range []string{"4242424242424242", "4242 4242 4242 4242", "424242424242"} {
		if strings.Contains(source, digits) {
			t.Errorf("the page holds %q", digits)
		}
	}

	browse(t, ctx, "type the number again with a good expiry",
		chromedp.SendKeys(chromedp.CSS("#number"), "4242 4242 4242 4242"),
		chromedp.Clear(chromedp.CSS("#expiry")),
		chromedp.SendKeys(chromedp.CSS("#expiry"), "12/30"),
	)
	clickAndLoad(t, ctx, `[data-testid="card-form"] button[type="submit"]`)
	if loc := locationOf(t, ctx); !strings.HasSuffix(loc, "/orders/"+ref) {
		t.Fatalf("after paying the browser is at %s, want the order page", loc)
	}
	if got := textAt(t, ctx, `[data-testid="payment-state"]`); !strings.Contains(got, "Being verified by the merchant") {
		t.Errorf("payment state = %q", got)
	}
	if got := shop.queryText(t, `SELECT payment_state FROM orders WHERE reference = ?`, ref); got != "awaiting_certification" {
		t.Errorf("order state %q, want awaiting_certification", got)
	}
}

// The order form's summary follows the delivery method the shopper picks, so the total
// beside "Place order" is the one the payment page then asks for; each method's label
// also says the order's total with it, for a browser without scripts.
func TestBrowser_OrderSummaryFollowsTheDeliveryMethod(t *testing.T) {
	shop := startShop(t)
	ctx := newBrowser(t)
	browse(t, ctx, "open the product page", chromedp.Navigate(shop.URL+"/products/espresso-beans"))
	clickAndLoad(t, ctx, `form.add-form button[type="submit"]`)
	clickAndLoad(t, ctx, `[data-testid="order-link"]`)
	if got := textAt(t, ctx, `label:has(input[name="delivery"][value="express"])`); !strings.Contains(got, "(order total €25.80)") {
		t.Errorf("express delivery's label = %q, want the order's total with it, €25.80", got)
	}

	fillOrderForm(t, ctx, "69001") // home delivery, €5.90
	if got := textAt(t, ctx, `[data-testid="order-summary"] [data-testid="total"]`); got != "€18.80" {
		t.Errorf("total with home delivery = %q, want €18.80", got)
	}
	browse(t, ctx, "pick express delivery", chromedp.Click(chromedp.CSS(`input[name="delivery"][value="express"]`)))
	if got := textAt(t, ctx, `[data-testid="order-summary"] [data-testid="delivery-total"]`); got != "€12.90" {
		t.Errorf("delivery in the summary = %q, want express's €12.90", got)
	}
	if got := textAt(t, ctx, `[data-testid="order-summary"] [data-testid="total"]`); got != "€25.80" {
		t.Errorf("total with express delivery = %q, want €25.80 (€12.90 + €12.90)", got)
	}
	if got := textAt(t, ctx, `[data-testid="order-summary"] tfoot`); !strings.Contains(got, "Express delivery") ||
		!strings.Contains(got, "Total excl. VAT") || !strings.Contains(got, "VAT 5.5%") {
		t.Errorf("summary's foot with express delivery = %q, want its name, the total excl. VAT and the VAT lines", got)
	}

	clickAndLoad(t, ctx, `[data-testid="checkout-form"] button[type="submit"]`)
	if payPageURL.FindStringSubmatch(locationOf(t, ctx)) == nil {
		t.Fatalf("after placing the order the browser is at %s, want the payment page", locationOf(t, ctx))
	}
	if got := textAt(t, ctx, `[data-testid="total"]`); got != "€25.80" {
		t.Errorf("the payment page asks for %q, want the €25.80 the form showed", got)
	}
}

// Back from the payment page shows the order form as it was left: its "Place order"
// works again rather than staying greyed out by the one-click guard.
func TestBrowser_BackToTheOrderFormLeavesItsButtonWorking(t *testing.T) {
	shop := startShop(t)
	ctx := newBrowser(t)
	reachPaymentPage(t, ctx, shop, "honey")
	// history.back, not NavigateBack: a page restored from the back-forward cache fires
	// no load event to wait for.
	browse(t, ctx, "go back", chromedp.Evaluate[chromedp.Void](`history.back()`))
	const state = `(location.pathname === "/checkout" && document.readyState === "complete") ?
		String(document.querySelector('[data-testid="checkout-form"] button[type=submit]').disabled) : "loading"`
	got := "loading"
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](state))
		if err == nil && v != "loading" {
			if got = v; got == "false" {
				break
			}
		}
	}
	switch got {
	case "loading":
		t.Fatalf("back from the payment page the browser is at %s, want the order form", locationOf(t, ctx))
	case "true":
		t.Error(`"Place order" is still disabled after going back`)
	}
}

// Typing a delivery address ticks "Deliver to a different address", and the order is
// delivered there.
func TestBrowser_TypingADeliveryAddressTicksItsBox(t *testing.T) {
	shop := startShop(t)
	ctx := newBrowser(t)
	browse(t, ctx, "open the product page", chromedp.Navigate(shop.URL+"/products/honey"))
	clickAndLoad(t, ctx, `form.add-form button[type="submit"]`)
	browse(t, ctx, "open the order form", chromedp.Navigate(shop.URL+"/checkout"))
	fillOrderForm(t, ctx, "69001")
	if checkedAt(t, ctx, "#ship_different") {
		t.Fatal("the box is ticked before anything was typed")
	}
	browse(t, ctx, "type a delivery address",
		chromedp.SendKeys(chromedp.CSS("#ship_line1"), "9 avenue Foch"),
		chromedp.SendKeys(chromedp.CSS("#ship_postcode"), "69006"),
		chromedp.SendKeys(chromedp.CSS("#ship_city"), "Lyon"),
	)
	if !checkedAt(t, ctx, "#ship_different") {
		t.Error("typing a delivery address left its box unticked")
	}
	clickAndLoad(t, ctx, `[data-testid="checkout-form"] button[type="submit"]`)
	m := payPageURL.FindStringSubmatch(locationOf(t, ctx))
	if m == nil {
		t.Fatalf("after placing the order the browser is at %s, want the payment page", locationOf(t, ctx))
	}
	if got := shop.queryText(t, `SELECT ship_line1 || ', ' || ship_postcode || ' ' || ship_city FROM orders WHERE reference = ?`, m[1]); got != "9 avenue Foch, 69006 Lyon" {
		t.Errorf("the order is delivered to %q", got)
	}
}
