package store

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"shop/templates"
)

// Admin serves the merchant's admin area: login, products, categories, and the uploaded
// images under /media/. Every route but the login form sits behind RequireAdmin.
type Admin struct {
	DB      *DB
	Site    *Site
	Staff   *Staff
	DataDir string           // uploads go under DataDir/media
	Idle    time.Duration    // a session unused this long ends; 0 means 30 minutes
	Now     func() time.Time // nil means time.Now
	// Orders tells whether orders refer to a product before deleting it; nil means
	// "assume they do", so products are only ever unpublished.
	Orders ProductOrders
	// Dashboard gives the dashboard its order figures; nil shows none.
	Dashboard OrderDashboard
	// OrderMoves gives a product's stock history the moves orders made; nil shows the
	// admin's own moves only.
	OrderMoves OrderStockMoves
	PageSize   int // rows per admin list page; 0 means 25
}

// OrderFigures are the dashboard's order figures, each with the admin list behind it.
// checkout computes them (it owns the orders); the dashboard only shows them.
type OrderFigures struct {
	TodayOrders, WeekOrders             int
	TodayRevenueCents, WeekRevenueCents int64
	TodayURL, WeekURL                   string
	AwaitingCertification               int
	CertificationURL                    string
	AwaitingShipment                    int
	ShipmentURL                         string
}

// OrderDashboard gives the dashboard its order figures. checkout's Service implements it.
type OrderDashboard interface {
	OrderFigures(ctx context.Context) (OrderFigures, error)
}

// Routes registers the admin pages. public must carry only the login form; guarded
// must already have RequireAdmin applied (main does it, so that no route can forget).
func (a *Admin) Routes(public, guarded *echo.Group) {
	public.GET("/login", a.loginForm)
	public.POST("/login", a.login)

	guarded.GET("", a.dashboard)
	guarded.POST("/logout", a.logout)

	guarded.GET("/products", a.products)
	guarded.GET("/products/new", a.newProduct)
	guarded.POST("/products", a.createProduct)
	guarded.GET("/products/:id", a.editProduct)
	guarded.POST("/products/:id", a.updateProduct)
	guarded.POST("/products/:id/image", a.uploadImage)
	guarded.POST("/products/:id/stock", a.adjustStock)
	guarded.POST("/products/:id/delete", a.deleteProduct)

	guarded.GET("/categories", a.categories)
	guarded.GET("/categories/new", a.newCategory)
	guarded.POST("/categories", a.createCategory)
	guarded.GET("/categories/:id", a.editCategory)
	guarded.POST("/categories/:id", a.updateCategory)
	guarded.POST("/categories/:id/move", a.moveCategory)
	guarded.POST("/categories/:id/delete", a.deleteCategory)
}

// Chrome is the admin frame of a page in section, for this request: the layout with
// the admin header, the CSRF token, the admin's flash messages and who is logged in.
// Other packages' admin pages (orders, outbox) use it too.
func (a *Admin) Chrome(c echo.Context, title, section string) templates.AdminChrome {
	ch := a.Site.Chrome(c, title)
	ch.Admin = true
	ch.Flashes = append(ch.Flashes, a.flashes(c)...)
	u, _ := CurrentAdmin(c)
	return templates.AdminChrome{Chrome: ch, User: u.Email, Section: section, Zone: a.Site.Zone.Location().String()}
}

func (a *Admin) pageSize() int {
	if a.PageSize <= 0 {
		return 25
	}
	return a.PageSize
}

// actor names the logged-in admin in audit entries.
func actor(c echo.Context) string {
	u, _ := CurrentAdmin(c)
	return u.Email
}

// pathID reads the :id of the route; anything but a positive number is a missing page.
func pathID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, Errorf(NotFound, "This page does not exist.")
	}
	return id, nil
}

// seeOther ends every successful admin action: a flash, then a redirect (POST/redirect/GET).
func (a *Admin) seeOther(c echo.Context, to, flash string) error {
	if flash != "" {
		a.Flash(c, flash)
	}
	return c.Redirect(http.StatusSeeOther, to)
}

func (a *Admin) dashboard(c echo.Context) error {
	ctx := c.Request().Context()
	low, total, err := a.DB.AdminProducts(ctx, AdminProductFilter{LowStock: true, Limit: 10})
	if err != nil {
		return err
	}
	v := templates.AdminDashboardView{
		Admin: a.Chrome(c, "Dashboard", "dashboard"), LowStock: a.productRows(low), LowStockTotal: total,
		LowStockURL: "/admin/products?low=1",
	}
	if a.Dashboard != nil {
		f, err := a.Dashboard.OrderFigures(ctx)
		if err != nil {
			return err
		}
		v.Orders = &templates.AdminOrderFigures{
			TodayOrders: f.TodayOrders, WeekOrders: f.WeekOrders,
			TodayRevenue: FormatCents(f.TodayRevenueCents), WeekRevenue: FormatCents(f.WeekRevenueCents),
			TodayURL: f.TodayURL, WeekURL: f.WeekURL,
			AwaitingCertification: f.AwaitingCertification, CertificationURL: f.CertificationURL,
			AwaitingShipment: f.AwaitingShipment, ShipmentURL: f.ShipmentURL,
		}
	}
	return a.Site.Render(c, http.StatusOK, templates.AdminDashboard(v))
}

// productRows fills the admin tables' rows.
func (a *Admin) productRows(ps []Product) []templates.AdminProductRow {
	out := make([]templates.AdminProductRow, 0, len(ps))
	for _, p := range ps {
		out = append(out, templates.AdminProductRow{
			ID: p.ID, Name: p.Name, Slug: p.Slug, Price: FormatCents(p.PriceCents), Category: p.CategoryName,
			Stock: p.Stock, LowStock: p.Stock <= LowStock, Published: p.Published,
			EditURL: "/admin/products/" + strconv.FormatInt(p.ID, 10), ShopURL: ProductURL(p.Slug),
		})
	}
	return out
}

// safeNext keeps the page to return to after login only when it is an admin page of this
// shop: anything else (another site, "//evil", the login itself) goes to the dashboard.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.Scheme != "" || u.Host != "" || u.Opaque != "" ||
		(u.Path != "/admin" && !strings.HasPrefix(u.Path, "/admin/")) || strings.HasPrefix(u.Path, "/admin/login") ||
		strings.HasPrefix(next, "//") || strings.HasPrefix(next, `/\`) {
		return "/admin"
	}
	return u.RequestURI()
}
