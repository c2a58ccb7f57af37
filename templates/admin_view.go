package templates

import "strings"

// AdminChrome is what every admin page's frame needs: the layout's data (with Admin set),
// who is logged in, and which section of the navigation is current.
type AdminChrome struct {
	Chrome  Chrome
	User    string
	Section string // "dashboard", "products", "categories", "orders", "mail", "delivery"
	Zone    string // the merchant's time zone, which the admin's times are in
}

// AdminLoginView is the login form. Error is deliberately vague: it never says whether
// the e-mail or the password was wrong.
type AdminLoginView struct {
	Chrome Chrome
	Email  string
	Next   string
	Error  string            // about the login as a whole: wrong credentials, throttled
	Errors map[string]string // a field left empty, by field name ("email", "password")
	Notice string
	Resume bool        // a form was sent after the session expired: offer to send it again
	Kept   []KeptField // what it held, carried through the login
}

// KeptField is one value of a form the admin sent after their session expired.
type KeptField struct{ Name, Value string }

// shownKept says whether the resume page lists a kept field: not the form's key, nor
// anything named like a password (it goes back hidden, as it came).
func shownKept(name string) bool {
	return name != "form_key" && !strings.Contains(strings.ToLower(name), "password")
}

// AdminResumeView offers, once logged in again, to send the form the expired session
// refused, with the values it held.
type AdminResumeView struct {
	Admin  AdminChrome
	Action string
	Fields []KeptField
}

// AdminConfirmDeleteView asks before deleting a product or a category.
type AdminConfirmDeleteView struct {
	Admin  AdminChrome
	What   string // "product" or "category"
	Name   string
	Rule   string // what deleting it does
	Action string // where the confirmed form posts
	Back   string // the edit page, to keep it
}

// AdminDashboardView is the admin's home page.
type AdminDashboardView struct {
	Admin         AdminChrome
	Orders        *AdminOrderFigures // nil when the shop takes no orders
	LowStock      []AdminProductRow
	LowStockTotal int
	LowStockURL   string
}

// AdminOrderFigures are the dashboard's order figures, each with the list behind it.
type AdminOrderFigures struct {
	TodayOrders, WeekOrders   int
	TodayRevenue, WeekRevenue string
	TodayURL, WeekURL         string
	AwaitingCertification     int
	CertificationURL          string
	AwaitingShipment          int
	ShipmentURL               string
}

// AdminProductRow is a product in an admin table.
type AdminProductRow struct {
	ID        int64
	Name      string
	Slug      string
	Price     string
	Category  string
	Stock     int
	LowStock  bool
	Published bool
	EditURL   string
	ShopURL   string
}

// AdminProductsView is the product list with its filters.
type AdminProductsView struct {
	Admin      AdminChrome
	Query      string
	Category   string
	Published  string // "", "yes", "no"
	LowStock   bool
	Categories []Option
	Rows       []AdminProductRow
	Total      int
	Pager      Pager
}

// AdminProductForm holds the product form's values as typed, to put them back on error.
type AdminProductForm struct {
	Name, Slug, Description, Price, VATRate, Stock, Category string
	// StockShown is the stock the edit form showed: saving a different Stock sets it
	// only if orders have not changed it meanwhile.
	StockShown string
	// EditsShown is how many saves the product had when the form was opened: a save
	// from a form opened before someone else's is refused.
	EditsShown string
	Published  bool
	// Was holds the fields as the form showed them (by name, "published" as "1" or ""),
	// so that a save refused for another's tells what that save changed from what the
	// admin changed. Nil on a new product.
	Was map[string]string
}

// WasFields are the product form's fields carried as shown, in the form's order.
var WasFields = []string{"name", "slug", "description", "price", "vat_rate", "category_id", "published"}

// AdminStockForm is the stock adjustment form as typed.
type AdminStockForm struct {
	Delta, Reason string
}

// AdminStockMovement is one line of a product's stock history.
type AdminStockMovement struct {
	At, Actor, Reason, Delta string
	StockAfter               int
	OrderURL                 string // the admin page of the order that made it, if one did
}

// AdminProductView is the new-product page (ID 0) or a product's edit page, which also
// carries the image upload, the stock adjustment and the delete forms.
type AdminProductView struct {
	Admin      AdminChrome
	ID         int64
	Heading    string
	Action     string
	Form       AdminProductForm
	Errors     map[string]string // by field name
	Summary    []FieldError
	VATRates   []Option
	Categories []Option

	Stock       int
	ImageURL    string
	ImageError  string
	MaxImageMB  int
	ShopURL     string
	StockForm   AdminStockForm
	StockErrors map[string]string
	Movements   []AdminStockMovement
	// FormKey makes the new-product and stock forms' changes happen once.
	FormKey string
}

// AdminCategoryRow is a category in the admin list, with its place for reordering.
type AdminCategoryRow struct {
	ID          int64
	Name        string
	Slug        string
	Products    int
	EditURL     string
	ShopURL     string
	First, Last bool
}

// AdminCategoriesView is the category list.
type AdminCategoriesView struct {
	Admin AdminChrome
	Rows  []AdminCategoryRow
}

// AdminCategoryForm holds the category form's values as typed.
type AdminCategoryForm struct {
	Name, Slug, Description string
}

// AdminCategoryView is the new-category page (ID 0) or a category's edit page.
type AdminCategoryView struct {
	Admin   AdminChrome
	ID      int64
	Heading string
	Action  string
	Form    AdminCategoryForm
	Errors  map[string]string
	Summary []FieldError
}
