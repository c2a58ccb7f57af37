package store

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"shop/payment/card"
	"shop/templates"
)

// Catalogue serves the shop's browsing pages: home, categories, products, search.
type Catalogue struct {
	DB       *DB
	Site     *Site
	PageSize int
}

// Routes registers the catalogue pages.
func (h *Catalogue) Routes(e *echo.Group) {
	e.GET("/", h.home)
	e.GET("/categories/:slug", h.category)
	e.GET("/products/:slug", h.product)
	e.GET("/search", h.search)
	e.GET("/terms", h.terms)
}

// StockOf says how much is left in words a shopper understands: the number, always,
// as shops show it ("Only 3 left", "40 left in stock").
func StockOf(stock int) templates.Stock {
	switch {
	case stock <= 0:
		return templates.Stock{Text: "Sold out", Level: "out"}
	case stock <= LowStock:
		return templates.Stock{Text: stockTexts[stock], Level: "low"}
	case stock < len(stockTexts):
		return templates.Stock{Text: stockTexts[stock], Level: "ok"}
	default:
		return templates.Stock{Text: strconv.Itoa(stock) + " left in stock", Level: "ok"}
	}
}

// stockTexts are StockOf's texts for the usual stocks, written once: a listing shows
// 24 of them per page.
var stockTexts = func() (t [1000]string) {
	for n := 1; n < len(t); n++ {
		if n <= LowStock {
			t[n] = "Only " + strconv.Itoa(n) + " left"
		} else {
			t[n] = strconv.Itoa(n) + " left in stock"
		}
	}
	return t
}()

// ProductURL is the shop's address of a product page.
func ProductURL(slug string) string { return "/products/" + url.PathEscape(slug) }

func (h *Catalogue) home(c echo.Context) error {
	return h.listing(c, templates.ListingView{Heading: "All products", Empty: "No products yet."}, ProductFilter{}, "/")
}

func (h *Catalogue) category(c echo.Context) error {
	cat, err := h.DB.ShopCategoryBySlug(c.Request().Context(), c.Param("slug"))
	if ErrorCode(err) == NotFound {
		return h.moved(c, err, "/categories/", h.DB.MovedCategory)
	}
	if err != nil {
		return err
	}
	v := templates.ListingView{Heading: cat.Name, Intro: cat.Description, Empty: "No products in this category yet."}
	return h.listing(c, v, ProductFilter{CategoryID: cat.ID}, "/categories/"+url.PathEscape(cat.Slug))
}

func (h *Catalogue) search(c echo.Context) error {
	q := strings.TrimSpace(c.QueryParam("q"))
	if len(q) > 100 {
		q = strings.ToValidUTF8(q[:100], "") // never cut a character in half
	}
	// A card number typed in the search box (it happens) is dropped: it would be shown
	// back in the title, the heading and the box. The page searches for the other words.
	if s := card.Scrub(q); s != q {
		q = strings.Join(strings.Fields(strings.ReplaceAll(s, card.Redacted, " ")), " ")
	}
	if q == "" {
		v := templates.ListingView{Chrome: h.Site.Chrome(c, "Search"), Heading: "Search", Empty: "Type a word to search the shop."}
		var err error
		if v.Categories, err = h.categoryLinks(c.Request().Context(), ""); err != nil {
			return err
		}
		return h.Site.Render(c, http.StatusOK, templates.Listing(v))
	}
	v := templates.ListingView{Heading: "Results for “" + q + "”", SearchQuery: q, Empty: "No product matches “" + q + "”."}
	return h.listing(c, v, ProductFilter{Query: q}, "/search?q="+url.QueryEscape(q))
}

// MaxPage is the highest page number a listing reads, the admin's included: past it
// no list has rows, and a larger number would overflow the offset.
const MaxPage = 1_000_000

// PageParam is the ?page= of a listing, from 1 to MaxPage; anything else reads as 1.
func PageParam(c echo.Context) int {
	page, _ := strconv.Atoi(c.QueryParam("page"))
	return min(max(page, 1), MaxPage)
}

func (h *Catalogue) listing(c echo.Context, v templates.ListingView, f ProductFilter, base string) error {
	ctx := c.Request().Context()
	page := PageParam(c)
	f.OnlyPublished = true
	f.Limit = h.PageSize
	f.Offset = (page - 1) * h.PageSize
	products, more, err := h.DB.ProductPage(ctx, f)
	if err != nil {
		return err
	}
	if v.Categories, err = h.categoryLinks(ctx, base); err != nil {
		return err
	}
	title := v.Heading
	if page > 1 { // each page of a list its own title, in tabs, history and bookmarks
		title += " · page " + strconv.Itoa(page)
	}
	v.Chrome = h.Site.Chrome(c, title)
	v.Chrome.Query = v.SearchQuery
	v.Products = make([]templates.ProductCard, 0, len(products))
	for _, p := range products {
		v.Products = append(v.Products, h.card(p))
	}
	v.Pager = nextPager(base, page, more)
	status := http.StatusOK
	if len(products) == 0 && page > 1 { // an old link or a typed address past the last page
		// 404, so that a search engine forgets the address, with a way back for a person.
		status = http.StatusNotFound
		v.Empty = "This page is past the end of the list."
		v.Pager = templates.Pager{Page: page, FirstURL: base}
	}
	return h.Site.Render(c, status, templates.Listing(v))
}

// categoryLinks is the category navigation of the shop's pages, marking the one at base.
func (h *Catalogue) categoryLinks(ctx context.Context, base string) ([]templates.CategoryLink, error) {
	cats, err := h.DB.ShopCategories(ctx)
	if err != nil {
		return nil, err
	}
	links := make([]templates.CategoryLink, 0, len(cats))
	for _, cat := range cats {
		u := "/categories/" + url.PathEscape(cat.Slug)
		links = append(links, templates.CategoryLink{Name: cat.Name, URL: u, Current: u == base})
	}
	return links, nil
}

func (h *Catalogue) card(p Product) templates.ProductCard {
	return templates.ProductCard{
		ID: p.ID, Name: p.Name, URL: ProductURL(p.Slug), ImageURL: h.Site.ImageURL(p.Image),
		Price: FormatCents(p.PriceCents), Stock: StockOf(p.Stock), CanAdd: p.Stock > 0,
	}
}

// pagerFor links the pages of a counted listing (the admin area's).
func pagerFor(base string, page, total, size int) templates.Pager {
	pages := (total + size - 1) / size
	p := nextPager(base, page, page < pages)
	p.Pages = pages
	return p
}

// nextPager links the previous and next pages of a listing that was not counted.
func nextPager(base string, page int, more bool) templates.Pager {
	p := templates.Pager{Page: page}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	if page > 1 {
		p.PrevURL = base + sep + "page=" + strconv.Itoa(page-1)
	}
	if more {
		p.NextURL = base + sep + "page=" + strconv.Itoa(page+1)
	}
	return p
}

func (h *Catalogue) product(c echo.Context) error {
	p, err := h.DB.PublishedProductBySlug(c.Request().Context(), c.Param("slug"))
	if ErrorCode(err) == NotFound {
		return h.moved(c, err, "/products/", h.DB.MovedProduct)
	}
	if err != nil {
		return err
	}
	return h.Site.Render(c, http.StatusOK, templates.ProductPage(h.ProductView(c, p, "1", "")))
}

// moved answers an address that is not found (notFound) with a permanent redirect to
// the new address of what it showed before the merchant changed its slug, if it did.
func (h *Catalogue) moved(c echo.Context, notFound error, prefix string, find func(context.Context, string) (string, error)) error {
	now, err := find(c.Request().Context(), c.Param("slug"))
	if ErrorCode(err) == NotFound {
		return notFound
	}
	if err != nil {
		return err
	}
	target := prefix + url.PathEscape(now)
	if q := c.Request().URL.RawQuery; q != "" { // a category's page number, say
		target += "?" + q
	}
	// Permanent for search engines, but checked again by browsers, which otherwise keep
	// a 301 for good: a slug given back (or to another product) would loop or mislead.
	c.Response().Header().Set(echo.HeaderCacheControl, "no-cache")
	return c.Redirect(http.StatusMovedPermanently, target)
}

// ProductView fills a product page; the cart re-renders it with a quantity error.
func (h *Catalogue) ProductView(c echo.Context, p Product, qty, qtyErr string) templates.ProductView {
	v := templates.ProductView{
		Chrome: h.Site.Chrome(c, p.Name), ID: p.ID, Name: p.Name, Description: p.Description,
		ImageURL: h.Site.ImageURL(p.Image), Price: FormatCents(p.PriceCents), VAT: FormatRate(p.VATRate),
		Stock: StockOf(p.Stock), CanAdd: p.Stock > 0 && p.Published, MaxQuantity: max(p.Stock, 1),
		Quantity: qty, QuantityError: qtyErr,
	}
	if p.CategorySlug != "" {
		v.Category = templates.CategoryLink{Name: p.CategoryName, URL: "/categories/" + url.PathEscape(p.CategorySlug)}
	}
	return v
}

func (h *Catalogue) terms(c echo.Context) error {
	return h.Site.Render(c, http.StatusOK, templates.TermsPage(h.Site.Chrome(c, "Terms of sale")))
}
