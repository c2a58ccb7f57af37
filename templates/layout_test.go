package templates_test

import (
	"context"
	"strings"
	"testing"

	"shop/templates"
)

// The cart link's count is read out by screen readers: "1 item", not "1 items".
func TestLayout_CartCountReadsAsWords(t *testing.T) {
	for n, want := range map[int]string{0: `aria-label="0 items in cart"`, 1: `aria-label="1 item in cart"`, 3: `aria-label="3 items in cart"`} {
		var b strings.Builder
		chrome := templates.Chrome{Title: "Home", ShopName: "Le Petit Comptoir", CartCount: n}
		if err := templates.ProductPage(templates.ProductView{Chrome: chrome, Name: "Mug"}).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), want) {
			t.Errorf("cart count %d: page lacks %s", n, want)
		}
	}
}
