package checkout

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"shop/store"
	"shop/templates"
)

var (
	errDeliveryCodeTaken = store.Errorf(store.Invalid, "Another delivery method already has this code.")
	errLastActive        = store.Errorf(store.Invalid, "At least one delivery method must stay active, or shoppers cannot order.")
)

// deliveryVATRates are the rates a delivery method may carry, in basis points.
var deliveryVATRates = []templates.Option{
	{Value: "2000", Label: "20% (standard)"},
	{Value: "1000", Label: "10% (intermediate)"},
	{Value: "550", Label: "5.5% (reduced)"},
	{Value: "210", Label: "2.1% (super-reduced)"},
	{Value: "0", Label: "0% (exempt)"},
}

var deliveryCode = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// DeliveryMethodByID reads one delivery method, or returns NotFound.
func (s *Service) DeliveryMethodByID(ctx context.Context, id int64) (DeliveryMethod, error) {
	var m DeliveryMethod
	err := s.DB.R.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM delivery_methods WHERE id = ?`, id).Scan(
		&m.ID, &m.Code, &m.Name, &m.Description, &m.PriceCents, &m.FreeAboveCents, &m.VATRate, &m.NeedsAddress,
		&m.Position, &m.Active)
	if errors.Is(err, sql.ErrNoRows) {
		return m, store.Errorf(store.NotFound, "This delivery method does not exist.")
	}
	return m, err
}

// deliveryCodeTaken says whether a method has code. The form asks the read pool, to show
// a taken code beside its other errors; the save asks again in its transaction.
func deliveryCodeTaken(ctx context.Context, q store.Querier, code string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM delivery_methods WHERE code = ?`, code).Scan(&n)
	return n > 0, err
}

// CreateDeliveryMethod adds m at the end of the list.
func (s *Service) CreateDeliveryMethod(ctx context.Context, m *DeliveryMethod) error {
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		tx.AfterCommit(s.delivery.forget)
		taken, err := deliveryCodeTaken(ctx, tx, m.Code)
		if err != nil {
			return err
		}
		if taken {
			return errDeliveryCodeTaken
		}
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(position), 0) + 1 FROM delivery_methods`).Scan(&m.Position); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO delivery_methods (code, name, description, price_cents,
			free_above_cents, vat_rate, needs_address, position, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.Code, m.Name, m.Description, m.PriceCents, m.FreeAboveCents, m.VATRate, m.NeedsAddress, m.Position, m.Active)
		if err != nil {
			return err
		}
		m.ID, err = res.LastInsertId()
		return err
	})
}

// UpdateDeliveryMethod saves everything but the code, which orders and saved order forms
// refer to. It refuses to leave the shop without an active method.
func (s *Service) UpdateDeliveryMethod(ctx context.Context, m DeliveryMethod) error {
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		tx.AfterCommit(s.delivery.forget)
		res, err := tx.ExecContext(ctx, `UPDATE delivery_methods SET name = ?, description = ?, price_cents = ?,
			free_above_cents = ?, vat_rate = ?, needs_address = ?, active = ? WHERE id = ?`,
			m.Name, m.Description, m.PriceCents, m.FreeAboveCents, m.VATRate, m.NeedsAddress, m.Active, m.ID)
		if err != nil {
			return err
		}
		if !rowsChanged(res) {
			return store.Errorf(store.NotFound, "This delivery method does not exist.")
		}
		var active int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM delivery_methods WHERE active = 1`).Scan(&active); err != nil {
			return err
		}
		if active == 0 {
			return errLastActive // the transaction rolls back
		}
		return nil
	})
}

// MoveDeliveryMethod swaps a method with its neighbour above (up) or below, then numbers
// all positions 1…n.
func (s *Service) MoveDeliveryMethod(ctx context.Context, id int64, up bool) error {
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		tx.AfterCommit(s.delivery.forget)
		methods, err := queryDeliveryMethods(ctx, tx, true)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(methods, func(m DeliveryMethod) bool { return m.ID == id })
		if i < 0 {
			return store.Errorf(store.NotFound, "This delivery method does not exist.")
		}
		j := i + 1
		if up {
			j = i - 1
		}
		if j >= 0 && j < len(methods) {
			methods[i], methods[j] = methods[j], methods[i]
		}
		for pos, m := range methods {
			if _, err := tx.ExecContext(ctx, `UPDATE delivery_methods SET position = ? WHERE id = ?`, pos+1, m.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// --- pages ---

func deliveryAdminURL(id int64) string { return "/admin/delivery/" + strconv.FormatInt(id, 10) }

func (p *AdminPages) deliveries(c echo.Context) error {
	methods, err := p.Service.DeliveryMethods(c.Request().Context(), true)
	if err != nil {
		return err
	}
	v := templates.AdminDeliveriesView{Admin: p.Frame.Chrome(c, "Delivery methods", "delivery")}
	for i, m := range methods {
		r := templates.AdminDeliveryRow{ID: m.ID, Code: m.Code, Name: m.Name, Price: deliveryPrice(m.PriceCents),
			FreeAbove: "never", VAT: store.FormatRate(m.VATRate), NeedsAddress: m.NeedsAddress, Active: m.Active,
			EditURL: deliveryAdminURL(m.ID), MoveURL: deliveryAdminURL(m.ID) + "/move", First: i == 0, Last: i == len(methods)-1}
		if m.FreeAboveCents.Valid {
			r.FreeAbove = store.FormatCents(m.FreeAboveCents.Int64)
		}
		v.Rows = append(v.Rows, r)
	}
	return p.Site.Render(c, http.StatusOK, templates.AdminDeliveries(v))
}

func deliveryPrice(cents int64) string {
	if cents == 0 {
		return "free"
	}
	return store.FormatCents(cents)
}

var deliveryFieldOrder = []string{"code", "name", "description", "price", "free_above", "vat_rate", "active"}

func (p *AdminPages) deliveryPage(c echo.Context, status int, id int64, heading string, f templates.AdminDeliveryForm, errs map[string]string) error {
	v := templates.AdminDeliveryView{Admin: p.Frame.Chrome(c, heading, "delivery"), ID: id, Heading: heading,
		Action: "/admin/delivery", Form: f, Errors: errs, VATRates: deliveryVATRates}
	if id != 0 {
		v.Action = deliveryAdminURL(id)
	}
	for _, field := range deliveryFieldOrder {
		if msg, ok := errs[field]; ok {
			v.Summary = append(v.Summary, templates.FieldError{Field: field, Message: msg})
		}
	}
	return p.Site.Render(c, status, templates.AdminDelivery(v))
}

// deliveryFormOf reads and checks the form; the code is read only for a new method.
func deliveryFormOf(c echo.Context, isNew bool) (templates.AdminDeliveryForm, DeliveryMethod, map[string]string) {
	f := templates.AdminDeliveryForm{
		Code:         strings.ToLower(strings.TrimSpace(c.FormValue("code"))),
		Name:         oneLine(c.FormValue("name")),
		Description:  strings.TrimSpace(strings.ReplaceAll(c.FormValue("description"), "\r\n", "\n")),
		Price:        strings.TrimSpace(c.FormValue("price")),
		FreeAbove:    strings.TrimSpace(c.FormValue("free_above")),
		VATRate:      c.FormValue("vat_rate"),
		NeedsAddress: c.FormValue("needs_address") == "1",
		Active:       c.FormValue("active") == "1",
	}
	m := DeliveryMethod{Code: f.Code, Name: f.Name, Description: f.Description, NeedsAddress: f.NeedsAddress, Active: f.Active}
	errs := map[string]string{}
	if isNew {
		switch {
		case f.Code == "":
			errs["code"] = "Enter a code, such as relay-point."
		case len(f.Code) > 40 || !deliveryCode.MatchString(f.Code):
			errs["code"] = "Use lower-case letters, digits and single dashes only, such as relay-point (40 at most)."
		}
	}
	switch n := utf8.RuneCountInString(f.Name); {
	case n == 0:
		errs["name"] = "Enter the name shoppers see, such as Relay point."
	case n > 80:
		errs["name"] = "The name must be at most 80 characters."
	}
	if utf8.RuneCountInString(f.Description) > 500 {
		errs["description"] = "The description must be at most 500 characters."
	}
	var err error
	if m.PriceCents, err = parseDeliveryEuros(f.Price); err != nil {
		errs["price"] = store.ErrorMessage(err)
	}
	if f.FreeAbove != "" {
		cents, err := parseDeliveryEuros(f.FreeAbove)
		if err != nil {
			errs["free_above"] = store.ErrorMessage(err)
		}
		m.FreeAboveCents = sql.NullInt64{Int64: cents, Valid: err == nil}
	}
	rate, err := strconv.Atoi(f.VATRate)
	if err != nil || !slices.ContainsFunc(deliveryVATRates, func(o templates.Option) bool { return o.Value == f.VATRate }) {
		errs["vat_rate"] = "Choose a VAT rate."
	}
	m.VATRate = rate
	return f, m, errs
}

// parseDeliveryEuros reads an amount like a product price, except that a delivery may
// cost nothing.
func parseDeliveryEuros(s string) (int64, error) {
	bare := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(strings.Trim(s, "€ ")), "EUR"))
	if bare != "" && strings.Trim(bare, "0.,") == "" && strings.Contains(bare, "0") {
		return 0, nil
	}
	return store.ParseEuros(s)
}

func (p *AdminPages) newDelivery(c echo.Context) error {
	return p.deliveryPage(c, http.StatusOK, 0, "New delivery method",
		templates.AdminDeliveryForm{VATRate: "2000", NeedsAddress: true, Active: true}, nil)
}

func (p *AdminPages) createDelivery(c echo.Context) error {
	f, m, errs := deliveryFormOf(c, true)
	if m.Code != "" && errs["code"] == "" {
		taken, err := deliveryCodeTaken(c.Request().Context(), p.Service.DB.R, m.Code)
		if err != nil {
			return err
		}
		if taken {
			errs["code"] = errDeliveryCodeTaken.Message
		}
	}
	if len(errs) == 0 {
		err := p.Service.CreateDeliveryMethod(c.Request().Context(), &m)
		if errors.Is(err, errDeliveryCodeTaken) {
			errs["code"] = errDeliveryCodeTaken.Message
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return p.deliveryPage(c, http.StatusUnprocessableEntity, 0, "New delivery method", f, errs)
	}
	return p.seeOther(c, "/admin/delivery", fmt.Sprintf("Delivery method “%s” created.", m.Name))
}

func (p *AdminPages) pathDelivery(c echo.Context) (DeliveryMethod, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return DeliveryMethod{}, store.Errorf(store.NotFound, "This delivery method does not exist.")
	}
	return p.Service.DeliveryMethodByID(c.Request().Context(), id)
}

func (p *AdminPages) editDelivery(c echo.Context) error {
	m, err := p.pathDelivery(c)
	if err != nil {
		return err
	}
	f := templates.AdminDeliveryForm{Code: m.Code, Name: m.Name, Description: m.Description,
		Price: store.CentsInput(m.PriceCents), VATRate: strconv.Itoa(m.VATRate), NeedsAddress: m.NeedsAddress, Active: m.Active}
	if m.FreeAboveCents.Valid {
		f.FreeAbove = store.CentsInput(m.FreeAboveCents.Int64)
	}
	return p.deliveryPage(c, http.StatusOK, m.ID, m.Name, f, nil)
}

func (p *AdminPages) updateDelivery(c echo.Context) error {
	old, err := p.pathDelivery(c)
	if err != nil {
		return err
	}
	f, m, errs := deliveryFormOf(c, false)
	f.Code, m.Code, m.ID = old.Code, old.Code, old.ID
	if len(errs) == 0 {
		err := p.Service.UpdateDeliveryMethod(c.Request().Context(), m)
		if errors.Is(err, errLastActive) {
			errs["active"] = errLastActive.Message
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return p.deliveryPage(c, http.StatusUnprocessableEntity, old.ID, old.Name, f, errs)
	}
	return p.seeOther(c, "/admin/delivery", "Changes saved.")
}

func (p *AdminPages) moveDelivery(c echo.Context) error {
	m, err := p.pathDelivery(c)
	if err != nil {
		return err
	}
	if err := p.Service.MoveDeliveryMethod(c.Request().Context(), m.ID, c.FormValue("direction") == "up"); err != nil {
		return err
	}
	return p.seeOther(c, "/admin/delivery", "")
}
