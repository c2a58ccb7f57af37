package templates_test

import (
	"context"
	"io"
	"strconv"
	"testing"

	"shop/templates"
)

// benchChrome is the layout data of a returning visitor with a cart and a flash message.
func benchChrome(title string) templates.Chrome {
	return templates.Chrome{Title: title, ShopName: "Le Petit Comptoir", CSRF: "UPBemYdmsFvtockpzhtPYVLdCbHXbKBR",
		CartCount: 3, Flashes: []string{"Added 1 × Stoneware Mug to your cart."},
		CSS: "/static/css/shop.css?v=dacd0043a785", JS: "/static/js/shop.js?v=ad8a7d6c9a02"}
}

// BenchmarkProductPage renders the page the shop serves most, into nothing: the cost of
// the template alone, without database or network.
func BenchmarkProductPage(b *testing.B) {
	v := templates.ProductView{
		Chrome: benchChrome("Stoneware Mug"), ID: 7, Name: "Stoneware Mug",
		Description: "Hand-glazed stoneware mug, 35 cl. Made in a small workshop near Lyon; every piece differs a little.",
		ImageURL:    "/static/img/products/mug.svg?v=2bf513a0e50e", Price: "€18.00", VAT: "20%",
		Category: templates.CategoryLink{Name: "Kitchen", URL: "/categories/kitchen"},
		Stock:    templates.Stock{Text: "Only 3 left", Level: "low"}, CanAdd: true, MaxQuantity: 3, Quantity: "1",
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := templates.ProductPage(v).Render(ctx, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListing renders a full catalogue page: 24 product cards, 10 categories, a pager.
func BenchmarkListing(b *testing.B) {
	v := templates.ListingView{Chrome: benchChrome("Kitchen"), Heading: "Kitchen", Intro: "Tools for the perfect brew.",
		Pager: templates.Pager{Page: 2, PrevURL: "/categories/kitchen?page=1", NextURL: "/categories/kitchen?page=3"}}
	for i := range 10 {
		v.Categories = append(v.Categories, templates.CategoryLink{Name: "Category " + strconv.Itoa(i),
			URL: "/categories/category-" + strconv.Itoa(i), Current: i == 1})
	}
	for i := range 24 {
		v.Products = append(v.Products, templates.ProductCard{ID: int64(i + 1), Name: "Stoneware Mug No. " + strconv.Itoa(i),
			URL: "/products/stoneware-mug-" + strconv.Itoa(i), ImageURL: "/static/img/products/mug.svg?v=2bf513a0e50e",
			Price: "€18.00", Stock: templates.Stock{Text: "In stock", Level: "ok"}, CanAdd: true})
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := templates.Listing(v).Render(ctx, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckoutPage renders the order form as a shopper first sees it: every field
// empty but the countries and the delivery method, three delivery methods, a two-line
// summary.
func BenchmarkCheckoutPage(b *testing.B) {
	v := benchCheckoutView()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := templates.CheckoutPage(v).Render(ctx, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func benchCheckoutView() templates.CheckoutView {
	v := templates.CheckoutView{Chrome: benchChrome("Checkout"),
		Form:       templates.CheckoutForm{BillingCountry: "FR", ShipCountry: "FR", Delivery: "home"},
		Submission: "01a20d7d0836651b7f24376cc0f96458", Shown: "25:1:680,7:2:1800", ShownDelivery: "home:590,express:1290,pickup:0",
		Methods: []templates.DeliveryOption{
			{Code: "home", Name: "Home delivery", Description: "Delivered to your door in 2 to 4 working days.", Price: "€5.90", NeedsAddress: true},
			{Code: "express", Name: "Express delivery", Description: "Delivered the next working day.", Price: "€12.90", NeedsAddress: true},
			{Code: "pickup", Name: "Pick-up in store", Description: "Collect your order at the shop.", Price: "free"},
		},
		Cart: templates.OrderSummary{
			Lines: []templates.SummaryLine{
				{Name: "Apricot Jam", Quantity: "1", Unit: "€6.80", Total: "€6.80", VATRate: "5.5%"},
				{Name: "Stoneware Mug", Quantity: "2", Unit: "€18.00", Total: "€36.00", VATRate: "20%"},
			},
			Items: "€42.80", DeliveryName: "Home delivery", Delivery: "€5.90", TotalHT: "€41.37", TotalVAT: "€7.33", Total: "€48.70",
			VAT: []templates.SummaryVAT{{Rate: "20%", Base: "€34.92", Amount: "€6.98"}, {Rate: "5.5%", Base: "€6.45", Amount: "€0.35"}},
		},
	}
	for _, c := range [][2]string{{"FR", "France"}, {"BE", "Belgium"}, {"LU", "Luxembourg"}, {"CH", "Switzerland"},
		{"MC", "Monaco"}, {"DE", "Germany"}, {"ES", "Spain"}, {"IT", "Italy"}, {"NL", "Netherlands"}, {"PT", "Portugal"},
		{"AT", "Austria"}, {"IE", "Ireland"}, {"GB", "United Kingdom"}} {
		v.Countries = append(v.Countries, templates.Option{Value: c[0], Label: c[1]})
	}
	return v
}
