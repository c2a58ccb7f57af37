package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The merchant's first day, in a real browser: the admin area sends them to the login
// form, they log in, create a product, give it an image, and see it in the shop.
func TestBrowser_AdminCreatesAProductWithAnImage(t *testing.T) {
	ts := startAdminShop(t)
	ctx := newBrowser(t)
	photo := filepath.Join(t.TempDir(), "photo.png")
	if err := os.WriteFile(photo, testPNG(t, 40, 30), 0o600); err != nil {
		t.Fatal(err)
	}

	browse(t, ctx, "open the admin area", chromedp.Navigate(ts.URL+"/admin/products"))
	if got := textAt(t, ctx, "h1"); got != "Admin login" {
		t.Fatalf("without a session the admin shows %q, want the login form", got)
	}
	browse(t, ctx, "type the credentials",
		chromedp.SendKeys(chromedp.CSS("#login-email"), adminEmail),
		chromedp.SendKeys(chromedp.CSS("#login-password"), adminPassword),
	)
	clickAndLoad(t, ctx, `[data-testid="login-form"] button[type="submit"]`)
	if got := textAt(t, ctx, "h1"); got != "Products" {
		t.Fatalf("after login the page is %q, want the product list it asked for", got)
	}

	clickAndLoad(t, ctx, `[data-testid="new-product"]`)
	browse(t, ctx, "fill in the product form",
		chromedp.SendKeys(chromedp.CSS("#name"), "Tasse en grès"),
		chromedp.SendKeys(chromedp.CSS("#description"), "A stoneware cup."),
		chromedp.SendKeys(chromedp.CSS("#price"), "14,90"),
		chromedp.SetValue(chromedp.CSS("#stock"), "12"),
		chromedp.Click(chromedp.CSS("#published")),
	)
	clickAndLoad(t, ctx, `[data-testid="save-product"]`)
	if got := textAt(t, ctx, `[data-testid="flash"]`); !strings.Contains(got, "created") {
		t.Fatalf("after saving: flash %q", got)
	}

	browse(t, ctx, "choose the image", chromedp.SetUploadFiles(chromedp.CSS("#image"), []string{photo}))
	clickAndLoad(t, ctx, `[data-testid="upload-image"]`)
	if got := textAt(t, ctx, `[data-testid="flash"]`); !strings.Contains(got, "Image uploaded") {
		t.Fatalf("after the upload: flash %q", got)
	}

	browse(t, ctx, "open the product in the shop", chromedp.Navigate(ts.URL+"/products/tasse-en-gres"))
	if got := textAt(t, ctx, "h1"); got != "Tasse en grès" {
		t.Fatalf("the shop's product page shows %q", got)
	}
	if got := textAt(t, ctx, `[data-testid="price"]`); !strings.HasPrefix(got, "€14.90") {
		t.Errorf("price %q, want €14.90", got)
	}
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelector("img.product-image").naturalWidth`))
	if err != nil || width != 40 {
		t.Errorf("the image as the browser loaded it is %d pixels wide (%v), want 40", width, err)
	}
}
