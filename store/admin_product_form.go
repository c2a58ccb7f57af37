package store

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"shop/templates"
)

// vatRates are the French rates a product may carry, in basis points, commonest first.
var vatRates = []templates.Option{
	{Value: "2000", Label: "20% (standard)"},
	{Value: "1000", Label: "10% (intermediate)"},
	{Value: "550", Label: "5.5% (food, books)"},
	{Value: "210", Label: "2.1% (press, medicine)"},
	{Value: "0", Label: "0% (exempt)"},
}

// maxStock bounds what one form may set or change: beyond it is a typing slip.
const maxStock = 1_000_000

// productFieldOrder is the order of the fields in the form, and so in the error summary.
var productFieldOrder = []string{"name", "slug", "description", "price", "vat_rate", "stock", "category_id", "published"}

func productFormOf(c echo.Context) templates.AdminProductForm {
	return templates.AdminProductForm{
		Name:        strings.TrimSpace(c.FormValue("name")),
		Slug:        strings.TrimSpace(c.FormValue("slug")), // as typed: a form that comes back shows it so
		Description: strings.TrimSpace(strings.ReplaceAll(c.FormValue("description"), "\r\n", "\n")),
		Price:       strings.TrimSpace(c.FormValue("price")),
		VATRate:     c.FormValue("vat_rate"),
		Stock:       strings.TrimSpace(c.FormValue("stock")),
		StockShown:  c.FormValue("stock_shown"),
		EditsShown:  c.FormValue("edits_shown"),
		Was:         wasOf(c),
		Category:    c.FormValue("category_id"),
		Published:   c.FormValue("published") == "1",
	}
}

// wasOf reads the fields as the form showed them; nil from a form without them.
func wasOf(c echo.Context) map[string]string {
	if _, ok := c.Request().PostForm["was_name"]; !ok {
		return nil
	}
	was := make(map[string]string, len(templates.WasFields))
	for _, name := range templates.WasFields {
		// Read as the typed fields are (productFormOf): a browser sends a hidden
		// field's line breaks as CRLF too.
		was[name] = strings.TrimSpace(strings.ReplaceAll(c.Request().PostFormValue("was_"+name), "\r\n", "\n"))
	}
	return was
}

// shownAs is the form's fields as Was carries them.
func shownAs(f templates.AdminProductForm) map[string]string {
	published := ""
	if f.Published {
		published = "1"
	}
	return map[string]string{"name": f.Name, "slug": f.Slug, "description": f.Description, "price": f.Price,
		"vat_rate": f.VATRate, "category_id": f.Category, "published": published}
}

func productFormFrom(p Product) templates.AdminProductForm {
	f := templates.AdminProductForm{
		Name: p.Name, Slug: p.Slug, Description: p.Description, Price: CentsInput(p.PriceCents),
		VATRate: strconv.Itoa(p.VATRate), Stock: strconv.Itoa(p.Stock), StockShown: strconv.Itoa(p.Stock),
		Published: p.Published,
	}
	if p.CategoryID != 0 {
		f.Category = strconv.FormatInt(p.CategoryID, 10)
	}
	return f
}

// validateProduct turns the form into a product, or says beside each field what is wrong.
// id is the product being edited, 0 for a new one. A new product's stock is p.Stock; an
// edited one's is the returned StockCount, which UpdateProduct records as an adjustment.
func (a *Admin) validateProduct(ctx context.Context, f templates.AdminProductForm, id int64) (Product, StockCount, map[string]string, error) {
	errs := map[string]string{}
	// "Blue-Mug" is the address blue-mug; the form keeps what was typed.
	slug := strings.ToLower(f.Slug)
	p := Product{Name: f.Name, Slug: slug, Description: f.Description, Published: f.Published}
	switch n := utf8.RuneCountInString(f.Name); {
	case n == 0:
		errs["name"] = "Enter the product's name."
	case n > 120:
		errs["name"] = "The name must be at most 120 characters."
	}
	if slug != "" && !ValidSlug(slug) {
		errs["slug"] = "Use lower-case letters, digits and single dashes only, such as blue-mug (80 at most)."
	}
	if utf8.RuneCountInString(f.Description) > 5000 {
		errs["description"] = "The description must be at most 5000 characters."
	}
	var err error
	if p.PriceCents, err = ParseEuros(f.Price); err != nil {
		errs["price"] = ErrorMessage(err)
	}
	if p.VATRate, err = strconv.Atoi(f.VATRate); err != nil || !validOption(vatRates, f.VATRate) {
		errs["vat_rate"] = "Choose a VAT rate."
	}
	var count StockCount
	switch {
	case id == 0: // a new product: its opening stock
		if p.Stock, err = parseCount(f.Stock); err != nil {
			errs["stock"] = ErrorMessage(err)
		}
	case f.Stock != "" && f.Stock != f.StockShown: // a new count; none typed keeps the stock
		count.Set = true
		if count.To, err = parseCount(f.Stock); err != nil {
			errs["stock"] = ErrorMessage(err)
		}
		count.Shown = -1 // a form without the stock shown (a script): the count is the merchant's word
		if n, err := strconv.Atoi(f.StockShown); err == nil && n >= 0 {
			count.Shown = n
		}
	}
	if f.Category != "" {
		cats, err := a.categoryOptions(ctx)
		if err != nil {
			return p, StockCount{}, nil, err
		}
		p.CategoryID, err = strconv.ParseInt(f.Category, 10, 64)
		if err != nil || !validOption(cats, f.Category) {
			errs["category_id"] = "Choose a category from the list."
		}
	}
	// The save checks the slug again; this shows a taken one beside the other errors.
	if slug != "" && errs["slug"] == "" {
		taken, err := slugTaken(ctx, a.DB.R, "products", slug, id)
		if err != nil {
			return p, StockCount{}, nil, err
		}
		if taken {
			errs["slug"] = ErrSlugTaken.Message
		}
	}
	return p, count, errs, nil
}

// parseCount reads a stock level: a whole number from 0 to maxStock; empty means 0.
func parseCount(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	switch {
	case err != nil && strings.HasPrefix(s, "-"), err == nil && n < 0:
		return 0, Errorf(Invalid, "The stock cannot be negative.")
	case err != nil:
		return 0, Errorf(Invalid, "Enter the stock as a whole number, such as 12.")
	case n > maxStock:
		return 0, Errorf(Invalid, "The stock must be at most %d.", maxStock)
	}
	return n, nil
}

// stockChangeOf reads the stock adjustment form: a non-zero whole number (signed) and a reason.
func stockChangeOf(f templates.AdminStockForm) (int, map[string]string) {
	errs := map[string]string{}
	delta, err := strconv.Atoi(strings.TrimPrefix(f.Delta, "+"))
	switch {
	case err != nil:
		errs["delta"] = "Enter a whole number: positive to add, negative to remove, such as -2."
	case delta == 0:
		errs["delta"] = "Enter a change other than zero."
	case delta > maxStock || delta < -maxStock:
		errs["delta"] = "A change must be at most " + strconv.Itoa(maxStock) + " either way."
	}
	switch n := utf8.RuneCountInString(f.Reason); {
	case n == 0:
		errs["reason"] = "Say why the stock changes, such as “delivery received”."
	case n > 200:
		errs["reason"] = "The reason must be at most 200 characters."
	}
	return delta, errs
}

func validOption(opts []templates.Option, v string) bool {
	for _, o := range opts {
		if o.Value == v {
			return true
		}
	}
	return false
}

// summaryOf lists errs in the order the fields appear; field ids equal their names.
func summaryOf(errs map[string]string, order []string) []templates.FieldError {
	var out []templates.FieldError
	for _, f := range order {
		if m, ok := errs[f]; ok {
			out = append(out, templates.FieldError{Field: f, Message: m})
		}
	}
	return out
}

func (a *Admin) categoryOptions(ctx context.Context) ([]templates.Option, error) {
	cats, err := a.DB.Categories(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]templates.Option, 0, len(cats))
	for _, c := range cats {
		out = append(out, templates.Option{Value: strconv.FormatInt(c.ID, 10), Label: c.Name})
	}
	return out, nil
}
