// Package templates renders every page of the shop with templ. It is a leaf: it imports
// no package of the shop, and each page takes plain view structs, defined here, that hold
// exactly what the page shows. Handlers fill them; nothing here computes a price.
package templates

// Chrome is what the layout around every page needs.
type Chrome struct {
	Title     string
	ShopName  string
	CSRF      string
	CartCount int
	Flashes   []string // one-time messages; one starting with WarningMark says something went wrong
	Query     string   // the search box's value
	CSS       string   // versioned asset URLs
	JS        string
	Admin     bool // show the admin navigation instead of the shop's
}

// Pager links the pages of a long listing. Pages is 0 when the listing was not
// counted (the shop's pages, where counting a large catalogue costs more than the page).
type Pager struct {
	Page, Pages int
	PrevURL     string
	NextURL     string
	FirstURL    string // set on a page past the end of the list, instead of PrevURL
}

// ProductCard is a product in a grid.
type ProductCard struct {
	ID       int64
	Name     string
	URL      string
	ImageURL string
	Price    string
	Stock    Stock
	CanAdd   bool
}

// Stock says how much is left in words and as a level for styling.
type Stock struct {
	Text  string // "40 left in stock", "Only 3 left", "Sold out"
	Level string // "ok", "low", "out"
}

// CategoryLink is a category in navigation.
type CategoryLink struct {
	Name    string
	URL     string
	Current bool
}

// ListingView is the home, category and search pages: a title, categories, products.
type ListingView struct {
	Chrome      Chrome
	Heading     string
	Intro       string
	Categories  []CategoryLink
	Products    []ProductCard
	Empty       string // what to say when there is nothing
	Pager       Pager
	SearchQuery string
}

// ProductView is a product page with its add-to-cart form.
type ProductView struct {
	Chrome        Chrome
	ID            int64
	Name          string
	Description   string
	ImageURL      string
	Price         string
	VAT           string
	Category      CategoryLink
	Stock         Stock
	CanAdd        bool
	MaxQuantity   int
	Quantity      string
	QuantityError string
}

// CartView is the cart page.
type CartView struct {
	Chrome      Chrome
	Pending     PendingOrder // an order placed and not paid yet, when Reference is set
	Lines       []CartLine
	Total       string
	ItemCount   int
	CanCheckout bool
	Problem     string // e.g. "Some items are no longer available"
	CheckoutURL string
}

// CartLine is one product in the cart with its own update and remove forms.
type CartLine struct {
	ProductID     int64
	Name          string
	URL           string
	ImageURL      string
	UnitPrice     string
	Quantity      string
	LineTotal     string
	MaxQuantity   int
	Warning       string // "No longer available", "Only 2 left"
	QuantityError string
	// Unavailable: no longer sold, or sold out. The line is outside the total and has
	// no quantity to change, only to remove; URL is empty when the product is unpublished.
	Unavailable bool
}

// ErrorView is the one error page.
type ErrorView struct {
	Chrome  Chrome
	Status  int
	Heading string
	Message string
}

// PendingOrder is an order the shopper placed and has not paid: the way back to it.
type PendingOrder struct {
	Reference, PayURL, Until string
}

// WarningMark starts a flash that reports a refusal or a problem (Sessions.AddWarning):
// the layout shows it as an alert, apart from the confirmations.
const WarningMark = "\x00!"
