package main

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// newBrowser starts a headless Chromium with a fresh profile and returns the context of
// its first tab; the browser, and everything the test does with it, gets 60 seconds.
// Without Chromium the test is skipped, unless SHOP_REQUIRE_BROWSER=1 (as in CI), where
// a missing browser is a failure.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("SHOP_REQUIRE_BROWSER") == "1" {
			t.Fatalf("SHOP_REQUIRE_BROWSER=1 but Chromium is not installed at %s: %v", chromiumPath, err)
		}
		t.Skipf("skipping browser test: Chromium is not installed at %s (install Debian's chromium package; "+
			"set SHOP_REQUIRE_BROWSER=1 to make this a failure)", chromiumPath)
	}
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.NoSandbox,
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	timeout, cancelTimeout := context.WithTimeout(context.Background(), 60*time.Second)
	alloc, cancelAlloc := chromedp.NewExecAllocator(timeout, opts...)
	ctx, cancelBrowser := chromedp.NewContext(alloc)
	// The profile directory is removed after this cleanup, once the browser has exited.
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancelTimeout()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// browse runs steps in the tab, failing the test with what was being done.
func browse(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// clickAndLoad clicks the element and waits for the page it leads to.
func clickAndLoad(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(cdppage.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel)))); err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
}

// textAt is the visible text of the first element matching sel.
func textAt(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func TestBrowser_AddToCartUpdateAndSurviveRestart(t *testing.T) {
	shop := startShop(t)
	ctx := newBrowser(t)
	id := strconv.FormatInt(shop.productID(t, "espresso-beans"), 10)

	browse(t, ctx, "open the home page", chromedp.Navigate(shop.URL+"/"))
	if got := textAt(t, ctx, `[data-testid="cart-count"]`); got != "0" {
		t.Fatalf("cart count on arrival = %q, want 0", got)
	}

	clickAndLoad(t, ctx, `[data-testid="product-card"] a[href="/products/espresso-beans"]`)
	if got := textAt(t, ctx, "h1"); got != "Espresso Beans" {
		t.Fatalf("product page heading = %q", got)
	}
	if got := textAt(t, ctx, `[data-testid="price"]`); !strings.HasPrefix(got, "€12.90") {
		t.Errorf("price = %q, want €12.90", got)
	}

	clickAndLoad(t, ctx, `form.add-form button[type="submit"]`)
	if got := textAt(t, ctx, `[data-testid="cart-count"]`); got != "1" {
		t.Fatalf("cart count after Add to cart = %q, want 1", got)
	}
	if got := textAt(t, ctx, `[data-testid="flash"]`); !strings.Contains(got, "Espresso Beans") {
		t.Errorf("flash = %q, want it to name the product", got)
	}

	clickAndLoad(t, ctx, `[data-testid="cart-link"]`)
	line := `[data-testid="cart-line"][data-product-id="` + id + `"]`
	if got := textAt(t, ctx, line+` [data-testid="line-total"]`); got != "€12.90" {
		t.Fatalf("line total = %q, want €12.90", got)
	}

	browse(t, ctx, "type a quantity of 3",
		chromedp.Clear(chromedp.CSS("#qty-"+id)),
		chromedp.SendKeys(chromedp.CSS("#qty-"+id), "3"),
	)
	clickAndLoad(t, ctx, line+` form.qty-form button[type="submit"]`)
	if got := textAt(t, ctx, line+` [data-testid="line-total"]`); got != "€38.70" {
		t.Fatalf("line total after Update = %q, want €38.70 (3 × €12.90)", got)
	}
	if got := textAt(t, ctx, `[data-testid="cart-count"]`); got != "3" {
		t.Errorf("cart count after Update = %q, want 3", got)
	}

	shop.restart(t)

	browse(t, ctx, "reload the cart after the restart", chromedp.Reload())
	if got := textAt(t, ctx, line+` [data-testid="line-total"]`); got != "€38.70" {
		t.Errorf("line total after restart = %q, want €38.70", got)
	}
	if got := textAt(t, ctx, `[data-testid="cart-count"]`); got != "3" {
		t.Errorf("cart count after restart = %q, want 3", got)
	}
	if got := textAt(t, ctx, `[data-testid="cart-total"]`); got != "€38.70" {
		t.Errorf("cart total after restart = %q, want €38.70", got)
	}
}

// More than the stock typed puts the stock in the cart, and the page says so.
func TestBrowser_OverStockQuantityShowsMessage(t *testing.T) {
	shop := startShop(t)
	ctx := newBrowser(t)

	browse(t, ctx, "open the honey page", chromedp.Navigate(shop.URL+"/products/honey"))
	browse(t, ctx, "type 5",
		chromedp.Clear(chromedp.CSS("#quantity")),
		chromedp.SendKeys(chromedp.CSS("#quantity"), "5"),
	)
	clickAndLoad(t, ctx, `form.add-form button[type="submit"]`)
	if got := textAt(t, ctx, `[data-testid="flash"]`); !strings.Contains(got, "Only 2 left in stock: your cart now holds 2") {
		t.Errorf("message = %q, want it to say only 2 are left and the cart holds them", got)
	}
	if got := textAt(t, ctx, `[data-testid="cart-count"]`); got != "2" {
		t.Errorf("cart count = %q, want 2 (capped to the stock)", got)
	}
}
