package templates_test

import (
	"context"
	"strings"
	"testing"

	"shop/templates"
)

// Names, prices and stock texts written by the text component are escaped like any other
// { s }: a product name is the merchant's input.
func TestListing_EscapesCardTexts(t *testing.T) {
	v := templates.ListingView{Chrome: benchChrome("All"), Heading: "All",
		Products: []templates.ProductCard{{ID: 1, Name: `<script>alert("x")</script> & Co`, URL: "/products/x",
			Price: "<b>€1</b>", Stock: templates.Stock{Text: "<i>Only 1 left</i>", Level: "low"}, CanAdd: true}}}
	var b strings.Builder
	if err := templates.Listing(v).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, raw := range []string{"<script>alert", "<b>€1", "<i>Only"} {
		if strings.Contains(page, raw) {
			t.Errorf("page holds %q unescaped", raw)
		}
	}
	for _, escaped := range []string{`&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co`, "&lt;b&gt;€1&lt;/b&gt;",
		"&lt;i&gt;Only 1 left&lt;/i&gt;"} {
		if !strings.Contains(page, escaped) {
			t.Errorf("page lacks %q", escaped)
		}
	}
}
