package cart

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"shop/payment/card"
	"shop/store"
	"shop/templates"
)

// Handler serves the cart page and its forms.
type Handler struct {
	Cart      *Cart
	Site      *store.Site
	Catalogue *store.Catalogue
	// CheckoutURL is where the cart's checkout button leads; empty hides the button.
	CheckoutURL string
	// Pending finds an order the visitor placed and left unpaid, for the way back to it;
	// nil offers none.
	Pending PendingOrders
}

// PendingOrders finds the order a visitor placed and has not paid yet.
type PendingOrders interface {
	PendingOrder(c echo.Context) (templates.PendingOrder, bool, error)
}

// Routes registers the cart's pages.
func (h *Handler) Routes(e *echo.Group) {
	e.GET("/cart", h.show)
	e.POST("/cart/add", h.add)
	e.POST("/cart/update", h.update)
	e.POST("/cart/remove", h.remove)
}

func productID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.FormValue("product_id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, store.Errorf(store.NotFound, "This product does not exist.")
	}
	return id, nil
}

// add puts a product in the cart from a product page or a catalogue grid. Any price or
// total sent with the form is ignored: only the id and the quantity are read.
func (h *Handler) add(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := productID(c)
	if err != nil {
		return err
	}
	qtyText := c.FormValue("quantity")
	qty, err := ParseQuantity(qtyText)
	qtyText = keptQuantity(qtyText)
	var added LineChange
	if err == nil {
		added, err = h.Cart.AddProduct(ctx, store.VisitorID(c), id, qty)
	}
	if store.ErrorCode(err) == store.Invalid {
		p, perr := h.Site.DB.ProductByID(ctx, id)
		if perr != nil {
			return perr
		}
		if !p.Published { // a draft's page is the merchant's, whatever was posted
			return store.Errorf(store.NotFound, "This product is no longer sold.")
		}
		v := h.Catalogue.ProductView(c, p, qtyText, store.ErrorMessage(err))
		return h.Site.Render(c, http.StatusUnprocessableEntity, templates.ProductPage(v))
	}
	if err != nil {
		return err
	}
	if err := h.Site.Sessions.NoteCart(c); err != nil {
		return err
	}
	if added.Capped {
		h.Site.Sessions.AddWarning(c, cappedMessage(added))
	} else {
		h.Site.Sessions.AddFlash(c, "Added "+strconv.Itoa(qty)+" × "+added.Name+" to your cart.")
	}
	if c.FormValue("from") == "product" {
		return c.Redirect(http.StatusSeeOther, store.ProductURL(added.Slug))
	}
	return c.Redirect(http.StatusSeeOther, "/cart")
}

func (h *Handler) update(c echo.Context) error {
	id, err := productID(c)
	if err != nil {
		return err
	}
	qtyText := c.FormValue("quantity")
	qty, err := ParseQuantity(qtyText)
	qtyText = keptQuantity(qtyText)
	var set LineChange
	if err == nil {
		set, err = h.Cart.Set(c.Request().Context(), store.VisitorID(c), id, qty)
	}
	if store.ErrorCode(err) == store.Invalid {
		return h.render(c, http.StatusUnprocessableEntity, id, qtyText, store.ErrorMessage(err))
	}
	if store.ErrorCode(err) == store.NotFound {
		// No longer sold, or gone from the cart in another tab: the cart says why,
		// with its other lines, rather than a "page not found".
		h.Site.Sessions.AddWarning(c, store.ErrorMessage(err)+" Your cart was not changed.")
		return c.Redirect(http.StatusSeeOther, "/cart")
	}
	if err != nil {
		return err
	}
	if set.Capped {
		h.Site.Sessions.AddWarning(c, cappedMessage(set))
		return c.Redirect(http.StatusSeeOther, "/cart")
	}
	h.Site.Sessions.AddFlash(c, "Your cart was updated.")
	return c.Redirect(http.StatusSeeOther, "/cart")
}

func (h *Handler) remove(c echo.Context) error {
	id, err := productID(c)
	if err != nil {
		return err
	}
	removed, err := h.Cart.Remove(c.Request().Context(), store.VisitorID(c), id)
	if err != nil {
		return err
	}
	if removed {
		h.Site.Sessions.AddFlash(c, "The item was removed from your cart.")
	} else {
		h.Site.Sessions.AddFlash(c, "This item was not in your cart (any more).")
	}
	return c.Redirect(http.StatusSeeOther, "/cart")
}

func (h *Handler) show(c echo.Context) error {
	return h.render(c, http.StatusOK, 0, "", "")
}

// render shows the cart; errLine/errQty/errMsg put a failed update back beside its line.
func (h *Handler) render(c echo.Context, status int, errLine int64, errQty, errMsg string) error {
	lines, err := h.Cart.Lines(c.Request().Context(), store.VisitorID(c))
	if err != nil {
		return err
	}
	v := templates.CartView{Chrome: h.Site.ChromeWithCount(c, "Your cart", Items(lines)), CanCheckout: len(lines) > 0, CheckoutURL: h.CheckoutURL}
	if h.Pending != nil {
		if v.Pending, _, err = h.Pending.PendingOrder(c); err != nil {
			return err
		}
	}
	var total int64
	for _, l := range lines {
		tl := templates.CartLine{
			ProductID: l.ProductID, Name: l.Name, URL: store.ProductURL(l.Slug), ImageURL: h.Site.ImageURL(l.Image),
			UnitPrice: store.FormatCents(l.PriceCents), Quantity: strconv.Itoa(l.Quantity),
			LineTotal: store.FormatCents(l.Total()), MaxQuantity: max(min(l.Stock, MaxQuantity), 1), Warning: l.Problem(),
		}
		if l.ProductID == errLine {
			tl.Quantity, tl.QuantityError = errQty, errMsg
		}
		if tl.Warning != "" {
			v.CanCheckout = false
			v.Problem = "Some items cannot be ordered as they are. See the notes below."
		}
		if tl.Unavailable = !l.Published || l.Stock <= 0; tl.Unavailable {
			// Not for sale, so not in the total the shopper would pay.
			tl.LineTotal = "—"
			if !l.Published {
				tl.URL = "" // its page is gone
			}
		} else {
			total += l.Total()
		}
		v.ItemCount += l.Quantity
		v.Lines = append(v.Lines, tl)
	}
	v.Total = store.FormatCents(total)
	return h.Site.Render(c, status, templates.CartPage(v))
}

// keptQuantity is a quantity as the page shows it back: as typed, unless it holds
// what looks like a card number, which reaches no page.
func keptQuantity(s string) string {
	if card.Holds(s) {
		return ""
	}
	return s
}

// cappedMessage tells the shopper who asked for more than the stock what the cart holds.
func cappedMessage(a LineChange) string {
	n := strconv.Itoa(a.Quantity)
	return "Only " + n + " left in stock: your cart now holds " + n + " × " + a.Name + "."
}
