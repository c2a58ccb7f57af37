package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The merchant's whole day in a real browser: log in, create a product with an image,
// see it in the shop, order it and pay by card as a shopper, then in the admin area see
// the stored digits, certify the payment and mark the order shipped; the shopper's page
// follows.
func TestBrowser_AdminCertifiesAndShipsAnOrderOfANewProduct(t *testing.T) {
	ts := startAdminShop(t)
	ctx := newBrowser(t)
	photo := filepath.Join(t.TempDir(), "bowl.png")
	if err := os.WriteFile(photo, testPNG(t, 48, 36), 0o600); err != nil {
		t.Fatal(err)
	}

	browse(t, ctx, "open the login form", chromedp.Navigate(ts.URL+"/admin/login"))
	browse(t, ctx, "type the credentials",
		chromedp.SendKeys(chromedp.CSS("#login-email"), adminEmail),
		chromedp.SendKeys(chromedp.CSS("#login-password"), adminPassword),
	)
	clickAndLoad(t, ctx, `[data-testid="login-form"] button[type="submit"]`)
	if got := textAt(t, ctx, "h1"); got != "Dashboard" {
		t.Fatalf("after login: %q", got)
	}

	clickAndLoad(t, ctx, `[data-testid="admin-nav"] a[href="/admin/products"]`)
	clickAndLoad(t, ctx, `[data-testid="new-product"]`)
	browse(t, ctx, "fill in the product form",
		chromedp.SendKeys(chromedp.CSS("#name"), "Bol en grès"),
		chromedp.SendKeys(chromedp.CSS("#price"), "22,00"),
		chromedp.SetValue(chromedp.CSS("#stock"), "5"),
		chromedp.Click(chromedp.CSS("#published")),
	)
	clickAndLoad(t, ctx, `[data-testid="save-product"]`)
	browse(t, ctx, "choose the image", chromedp.SetUploadFiles(chromedp.CSS("#image"), []string{photo}))
	clickAndLoad(t, ctx, `[data-testid="upload-image"]`)
	if got := textAt(t, ctx, `[data-testid="flash"]`); !strings.Contains(got, "Image uploaded") {
		t.Fatalf("after the upload: flash %q", got)
	}

	browse(t, ctx, "see it in the shop", chromedp.Navigate(ts.URL+"/products/bol-en-gres"))
	if got := textAt(t, ctx, "h1"); got != "Bol en grès" {
		t.Fatalf("the shop's product page shows %q", got)
	}
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelector("img.product-image").naturalWidth`))
	if err != nil || width != 48 {
		t.Errorf("the product image is %d pixels wide (%v), want 48", width, err)
	}

	ref := reachPaymentPage(t, ctx, ts, "bol-en-gres")
	clickAndLoad(t, ctx, `[data-testid="pay-card"]`)
	browse(t, ctx, "pay by card",
		chromedp.SetValue(chromedp.CSS("#brand"), "visa"),
		chromedp.SendKeys(chromedp.CSS("#number"), adminTestCard),
		chromedp.SendKeys(chromedp.CSS("#expiry"), "12/30"),
	)
	clickAndLoad(t, ctx, `[data-testid="card-form"] button[type="submit"]`)
	if got := textAt(t, ctx, `[data-testid="payment-state"]`); !strings.Contains(got, "Being verified by the merchant") {
		t.Fatalf("after paying: %q", got)
	}

	browse(t, ctx, "open the orders", chromedp.Navigate(ts.URL+"/admin/orders"))
	clickAndLoad(t, ctx, `[data-reference="`+ref+`"] [data-testid="order-link"]`)
	if got := textAt(t, ctx, `[data-testid="payment-state"]`); !strings.Contains(got, "Awaiting certification") {
		t.Fatalf("the admin's order page shows payment %q", got)
	}
	if got := textAt(t, ctx, `[data-testid="card-masked"]`); !strings.HasPrefix(got, "401288•") {
		t.Errorf("masked card %q", got)
	}
	clickAndLoad(t, ctx, `[data-testid="show-digits"]`)
	if got := textAt(t, ctx, `[data-testid="card-stored-digits"]`); got != adminTestStored {
		t.Errorf("stored digits shown %q, want %s", got, adminTestStored)
	}
	browse(t, ctx, "note the certification", chromedp.SendKeys(chromedp.CSS("#certify-reason"), "Charged at the bank"))
	clickAndLoad(t, ctx, `[data-testid="certify"]`)
	if got := textAt(t, ctx, `[data-testid="flash"]`); !strings.Contains(got, "Payment certified") {
		t.Fatalf("after certifying: flash %q", got)
	}
	if got := textAt(t, ctx, `[data-testid="payment-state"]`); !strings.Contains(got, "Paid") {
		t.Errorf("payment after certifying: %q", got)
	}

	browse(t, ctx, "type the tracking number", chromedp.SendKeys(chromedp.CSS("#ship-tracking"), "LP123456789FR"))
	clickAndLoad(t, ctx, `[data-testid="ship"]`)
	if got := textAt(t, ctx, `[data-testid="flash"]`); !strings.Contains(got, "Marked as shipped") {
		t.Fatalf("after shipping: flash %q", got)
	}
	if got := textAt(t, ctx, `[data-testid="fulfilment-state"]`); !strings.Contains(got, "Shipped") || !strings.Contains(got, "LP123456789FR") {
		t.Errorf("delivery after shipping: %q", got)
	}
	if got := ts.queryText(t, `SELECT actor FROM order_events WHERE kind = 'shipped'`); got != adminEmail {
		t.Errorf("shipped by %q in the history", got)
	}

	browse(t, ctx, "the shopper's order page", chromedp.Navigate(ts.URL+"/orders/"+ref))
	if got := textAt(t, ctx, `[data-testid="fulfilment-state"]`); !strings.Contains(got, "Shipped") {
		t.Errorf("the shopper sees delivery %q", got)
	}
	if got := textAt(t, ctx, `[data-testid="tracking"]`); got != "LP123456789FR" {
		t.Errorf("the shopper sees tracking %q", got)
	}
	if n := ts.queryInt(t, `SELECT stock FROM products WHERE slug = 'bol-en-gres'`); n != 4 {
		t.Errorf("stock %d, want 4", n)
	}
}
