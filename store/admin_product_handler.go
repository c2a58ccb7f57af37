package store

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"shop/templates"
)

func (a *Admin) products(c echo.Context) error {
	ctx := c.Request().Context()
	q := strings.TrimSpace(c.QueryParam("q"))
	if len(q) > 100 {
		q = q[:100]
	}
	f := AdminProductFilter{Query: q, LowStock: c.QueryParam("low") == "1", Limit: a.pageSize()}
	if p := c.QueryParam("published"); p == "yes" || p == "no" {
		f.Published = p
	}
	f.CategoryID, _ = strconv.ParseInt(c.QueryParam("category"), 10, 64)
	page := PageParam(c)
	f.Offset = (page - 1) * f.Limit
	rows, total, err := a.DB.AdminProducts(ctx, f)
	if err != nil {
		return err
	}
	cats, err := a.categoryOptions(ctx)
	if err != nil {
		return err
	}
	v := templates.AdminProductsView{
		Admin: a.Chrome(c, "Products", "products"), Query: q, Published: f.Published, LowStock: f.LowStock,
		Categories: cats, Rows: a.productRows(rows), Total: total,
	}
	// The pager's links keep the filters.
	keep := url.Values{}
	if q != "" {
		keep.Set("q", q)
	}
	if f.CategoryID != 0 {
		v.Category = strconv.FormatInt(f.CategoryID, 10)
		keep.Set("category", v.Category)
	}
	if f.Published != "" {
		keep.Set("published", f.Published)
	}
	if f.LowStock {
		keep.Set("low", "1")
	}
	base := "/admin/products"
	if len(keep) > 0 {
		base += "?" + keep.Encode()
	}
	v.Pager = pagerFor(base, page, total, f.Limit)
	return a.Site.Render(c, http.StatusOK, templates.AdminProducts(v))
}

func (a *Admin) newProduct(c echo.Context) error {
	v, err := a.productView(c, Product{}, templates.AdminProductForm{VATRate: "2000", Stock: "0"})
	if err != nil {
		return err
	}
	return a.Site.Render(c, http.StatusOK, templates.AdminProduct(v))
}

func (a *Admin) createProduct(c echo.Context) error {
	ctx := c.Request().Context()
	form := productFormOf(c)
	p, _, errs, err := a.validateProduct(ctx, form, 0)
	if err != nil {
		return err
	}
	if len(errs) == 0 {
		err = a.DB.CreateProduct(ctx, &p, actor(c), c.FormValue("form_key"))
		var done *DoneAlready
		if errors.As(err, &done) {
			return a.seeOther(c, done.Location, sentAlready)
		}
		if errors.Is(err, ErrSlugTaken) {
			errs["slug"], err = ErrSlugTaken.Message, nil
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		v, err := a.productView(c, Product{}, form)
		if err != nil {
			return err
		}
		v.Errors, v.Summary = errs, summaryOf(errs, productFieldOrder)
		return a.Site.Render(c, http.StatusUnprocessableEntity, templates.AdminProduct(v))
	}
	return a.seeOther(c, productAdminURL(p.ID), fmt.Sprintf("Product “%s” created.", p.Name))
}

func (a *Admin) editProduct(c echo.Context) error {
	p, err := a.pathProduct(c)
	if err != nil {
		return err
	}
	v, err := a.productView(c, p, productFormFrom(p))
	if err != nil {
		return err
	}
	return a.Site.Render(c, http.StatusOK, templates.AdminProduct(v))
}

func (a *Admin) updateProduct(c echo.Context) error {
	old, err := a.pathProduct(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	form := productFormOf(c)
	p, count, errs, err := a.validateProduct(ctx, form, old.ID)
	var moved *StockMovedError
	var meanwhile *EditedMeanwhileError
	if err != nil {
		return err
	}
	if len(errs) == 0 {
		p.ID = old.ID
		shown, serr := strconv.Atoi(form.EditsShown)
		if serr != nil {
			shown = -1 // a form from before the count: nothing to compare
		}
		// Saved since the form was opened: the fields only the other save changed take
		// its values, and the form is saved unless both changed one field differently
		// (or it no longer passes). Once: a third save meanwhile asks the admin.
		for merged := false; ; merged = true {
			meanwhile = nil
			err = a.DB.UpdateProductSeen(ctx, &p, count, actor(c), shown)
			if !errors.As(err, &meanwhile) {
				break
			}
			if err = a.savedMeanwhile(ctx, errs, &form, old.ID); err != nil || len(errs) > 0 {
				break
			}
			if merged {
				errs["name"] = (&EditedMeanwhileError{}).Error() + " Check the fields, then save again."
				break
			}
			if p, count, errs, err = a.validateProduct(ctx, form, old.ID); err != nil || len(errs) > 0 {
				meanwhile = nil // refused for what it holds now, as any form
				break
			}
			p.ID = old.ID
			shown, _ = strconv.Atoi(form.EditsShown)
		}
		switch {
		case err == nil && meanwhile != nil: // refused: errs say where the other save differs
		case errors.Is(err, ErrSlugTaken):
			errs["slug"], err = ErrSlugTaken.Message, nil
		case errors.As(err, &moved):
			errs["stock"] = moved.Error()
			if old, err = a.DB.ProductByID(ctx, old.ID); err != nil {
				return err
			}
			form.StockShown = strconv.Itoa(old.Stock) // saved again, the figure is against this
		case err != nil:
			return err
		}
	}
	if len(errs) > 0 {
		v, err := a.productView(c, old, form)
		if err != nil {
			return err
		}
		v.Errors, v.Summary = errs, summaryOf(errs, productFieldOrder)
		status := http.StatusUnprocessableEntity
		if meanwhile != nil {
			status = http.StatusConflict // another save came first: nothing was wrong with the form
		}
		return a.Site.Render(c, status, templates.AdminProduct(v))
	}
	return a.seeOther(c, productAdminURL(p.ID), "Changes saved.")
}

// savedMeanwhile reads the product as another save left it and says, beside each field,
// what that save put there where it differs from what was typed (keep it or take
// theirs, and save again); the form is then against that save.
func (a *Admin) savedMeanwhile(ctx context.Context, errs map[string]string, form *templates.AdminProductForm, id int64) error {
	// The count first: a save between the two reads makes the product newer than the
	// count, and the next save against that count is refused, never silently lost.
	n, err := a.DB.ProductEdits(ctx, id)
	if err != nil {
		return err
	}
	now, err := a.DB.ProductByID(ctx, id)
	if err != nil {
		return err
	}
	form.EditsShown = strconv.Itoa(n)
	saved := productFormFrom(now)
	merge(errs, form, saved)
	form.Was = shownAs(saved) // sent again, the form is against that save
	return nil
}

// merge folds another save (now) into the form typed: a field that save changed (now
// differs from what the form showed) and the admin did not takes its value; one both
// changed, differently, gets a message beside it. A form without what it showed cannot
// tell who changed what: every field that differs gets a message.
func merge(errs map[string]string, typed *templates.AdminProductForm, now templates.AdminProductForm) {
	const keep = " Keep yours or take it, then save again."
	mine, theirs := shownAs(*typed), shownAs(now)
	mine["slug"] = strings.ToLower(mine["slug"])
	if tc, err := ParseEuros(typed.Price); err == nil {
		mine["price"] = CentsInput(tc) // 13 and 13.00 are one price
	}
	for _, field := range templates.WasFields {
		changed := typed.Was == nil || typed.Was[field] != theirs[field]
		if !changed || mine[field] == theirs[field] || (field == "slug" && mine[field] == "") {
			continue
		}
		if typed.Was != nil && (typed.Was[field] == mine[field] || (field == "price" && typed.Was[field] == typed.Price)) {
			setField(typed, field, theirs[field]) // untouched here: the other save's value stands
			continue
		}
		shown := "“" + theirs[field] + "”"
		switch field {
		case "vat_rate":
			for _, r := range vatRates {
				if r.Value == now.VATRate {
					shown = "“" + r.Label + "”"
				}
			}
		case "category_id":
			shown = "another category"
		case "published":
			shown = map[bool]string{true: "“published”", false: "“hidden”"}[now.Published]
		}
		errs[field] = "Someone saved this product after you opened it, with " + shown + " here." + keep
	}
}

// setField sets one of the fields WasFields names, as shownAs writes it.
func setField(f *templates.AdminProductForm, field, v string) {
	switch field {
	case "name":
		f.Name = v
	case "slug":
		f.Slug = v
	case "description":
		f.Description = v
	case "price":
		f.Price = v
	case "vat_rate":
		f.VATRate = v
	case "category_id":
		f.Category = v
	case "published":
		f.Published = v == "1"
	}
}

// uploadImage stores a new image and points the product at it. Nothing is written
// unless the file is a real image within the size limit.
func (a *Admin) uploadImage(c echo.Context) error {
	p, err := a.pathProduct(c)
	if err != nil {
		return err
	}
	data, err := uploadedImage(c)
	ext := ""
	if err == nil {
		ext, err = imageExt(data)
	}
	if ErrorCode(err) == Invalid {
		v, verr := a.productView(c, p, productFormFrom(p))
		if verr != nil {
			return verr
		}
		v.ImageError = ErrorMessage(err)
		return a.Site.Render(c, http.StatusUnprocessableEntity, templates.AdminProduct(v))
	} else if err != nil {
		return err
	}
	image, err := saveImage(a.DataDir, data, ext)
	if err != nil {
		return err
	}
	old, err := a.DB.SetProductImage(c.Request().Context(), p.ID, image)
	if err != nil {
		removeImage(a.DataDir, image)
		return err
	}
	if err := removeImage(a.DataDir, old); err != nil {
		a.Site.Logger.WarnContext(c.Request().Context(), "remove replaced image", "err", err)
	}
	return a.seeOther(c, productAdminURL(p.ID), "Image uploaded.")
}

func (a *Admin) adjustStock(c echo.Context) error {
	p, err := a.pathProduct(c)
	if err != nil {
		return err
	}
	form := templates.AdminStockForm{Delta: strings.TrimSpace(c.FormValue("delta")), Reason: strings.TrimSpace(c.FormValue("reason"))}
	delta, errs := stockChangeOf(form)
	stock := 0
	if len(errs) == 0 {
		stock, err = a.DB.AdjustStock(c.Request().Context(), p.ID, delta, form.Reason, actor(c), c.FormValue("form_key"))
		var done *DoneAlready
		if errors.As(err, &done) {
			return a.seeOther(c, done.Location, sentAlready)
		}
		if ErrorCode(err) == Invalid {
			errs["delta"], err = ErrorMessage(err), nil
			p, err = a.DB.ProductByID(c.Request().Context(), p.ID) // show the stock as it is now
		}
		if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		v, err := a.productView(c, p, productFormFrom(p))
		if err != nil {
			return err
		}
		v.StockForm, v.StockErrors = form, errs
		return a.Site.Render(c, http.StatusUnprocessableEntity, templates.AdminProduct(v))
	}
	return a.seeOther(c, productAdminURL(p.ID), fmt.Sprintf("Stock is now %d.", stock))
}

func (a *Admin) deleteProduct(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if !confirmed(c) {
		p, err := a.DB.ProductByID(c.Request().Context(), id)
		if err != nil {
			return err
		}
		return a.confirmDelete(c, "product", "products", p.Name, productRemoveRule, productAdminURL(id))
	}
	deleted, image, err := a.DB.RemoveProduct(c.Request().Context(), id, a.Orders)
	if err != nil {
		return err
	}
	if !deleted {
		return a.seeOther(c, productAdminURL(id), "Orders may refer to this product, so it was hidden from the shop instead of deleted.")
	}
	if err := removeImage(a.DataDir, image); err != nil {
		a.Site.Logger.WarnContext(c.Request().Context(), "remove deleted product's image", "err", err)
	}
	return a.seeOther(c, "/admin/products", "Product deleted.")
}

func (a *Admin) pathProduct(c echo.Context) (Product, error) {
	id, err := pathID(c)
	if err != nil {
		return Product{}, err
	}
	return a.DB.ProductByID(c.Request().Context(), id)
}

// sentAlready is the word for a form sent again after its change was made.
const sentAlready = "This form was sent already: nothing was changed again."

func productAdminURL(id int64) string { return "/admin/products/" + strconv.FormatInt(id, 10) }

// productView fills the product page: for an existing product p (ID set) the edit page
// with its image, stock and history; otherwise the new-product form. form is what the
// fields show.
func (a *Admin) productView(c echo.Context, p Product, form templates.AdminProductForm) (templates.AdminProductView, error) {
	ctx := c.Request().Context()
	cats, err := a.categoryOptions(ctx)
	if err != nil {
		return templates.AdminProductView{}, err
	}
	v := templates.AdminProductView{
		ID: p.ID, Heading: "New product", Action: "/admin/products", Form: form,
		VATRates: vatRates, Categories: cats, MaxImageMB: MaxImageBytes >> 20, FormKey: NewFormKey(),
	}
	if p.ID == 0 {
		v.Admin = a.Chrome(c, v.Heading, "products")
		return v, nil
	}
	v.Heading, v.Action, v.Stock = p.Name, productAdminURL(p.ID), p.Stock
	v.Admin = a.Chrome(c, p.Name, "products")
	if v.Form.EditsShown == "" { // a form opened now: against the saves made so far
		n, err := a.DB.ProductEdits(ctx, p.ID)
		if err != nil {
			return v, err
		}
		v.Form.EditsShown = strconv.Itoa(n)
	}
	if v.Form.Was == nil {
		v.Form.Was = shownAs(productFormFrom(p))
	}
	if p.Image != "" {
		v.ImageURL = a.Site.ImageURL(p.Image)
	}
	if p.Published {
		v.ShopURL = ProductURL(p.Slug)
	}
	stock, moves, err := a.DB.StockHistory(ctx, p.ID, 20, a.OrderMoves)
	if err != nil {
		return v, err
	}
	v.Stock = stock // as the history shows it
	for _, m := range moves {
		d := strconv.Itoa(m.Delta)
		if m.Delta > 0 {
			d = "+" + d
		}
		row := templates.AdminStockMovement{
			At: a.Site.Zone.Stamp(m.At), Actor: m.Actor, Reason: m.Reason, Delta: d, StockAfter: m.StockAfter,
		}
		if m.Order != "" {
			row.OrderURL = "/admin/orders/" + url.PathEscape(m.Order)
		}
		v.Movements = append(v.Movements, row)
	}
	return v, nil
}

// confirmed says whether a delete comes from its confirmation page: a delete cannot be
// undone, so the edit page's button only asks.
func confirmed(c echo.Context) bool { return c.Request().PostFormValue("confirmed") == "1" }

// What deleting does, said again on the page that asks.
const (
	productRemoveRule  = "A product that orders refer to is hidden from the shop instead of deleted."
	categoryRemoveRule = "Only a category without products can be deleted: move its products first."
)

// confirmDelete shows the page that asks before deleting what (its edit page at back,
// in the admin menu's section).
func (a *Admin) confirmDelete(c echo.Context, what, section, name, rule, back string) error {
	return a.Site.Render(c, http.StatusOK, templates.AdminConfirmDelete(templates.AdminConfirmDeleteView{
		Admin: a.Chrome(c, "Delete the "+what+" "+name, section), What: what, Name: name, Rule: rule,
		Action: back + "/delete", Back: back}))
}
