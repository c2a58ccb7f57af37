package checkout

import (
	"context"
	"database/sql"
)

// DeliveryMethod is a way to get the goods to the shopper, priced TTC.
type DeliveryMethod struct {
	ID             int64
	Code           string
	Name           string
	Description    string
	PriceCents     int64
	FreeAboveCents sql.NullInt64 // free when the items total reaches this
	VATRate        int
	NeedsAddress   bool
	Position       int
	Active         bool
}

// PriceFor is what the method costs for an order whose items total itemsCents.
func (m DeliveryMethod) PriceFor(itemsCents int64) int64 {
	if m.FreeAboveCents.Valid && itemsCents >= m.FreeAboveCents.Int64 {
		return 0
	}
	return m.PriceCents
}

const deliveryColumns = `id, code, name, description, price_cents, free_above_cents, vat_rate, needs_address, position, active`

type rowsQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// DeliveryMethods lists the methods, only the active ones unless all is set.
func (s *Service) DeliveryMethods(ctx context.Context, all bool) ([]DeliveryMethod, error) {
	return queryDeliveryMethods(ctx, s.DB.Prepared(), all)
}

func queryDeliveryMethods(ctx context.Context, q rowsQuerier, all bool) ([]DeliveryMethod, error) {
	query := `SELECT ` + deliveryColumns + ` FROM delivery_methods`
	if !all {
		query += ` WHERE active = 1`
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY position, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DeliveryMethod
	for rows.Next() {
		var m DeliveryMethod
		if err := rows.Scan(&m.ID, &m.Code, &m.Name, &m.Description, &m.PriceCents, &m.FreeAboveCents,
			&m.VATRate, &m.NeedsAddress, &m.Position, &m.Active); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func findMethod(methods []DeliveryMethod, code string) (DeliveryMethod, bool) {
	for _, m := range methods {
		if m.Code == code && m.Active {
			return m, true
		}
	}
	return DeliveryMethod{}, false
}
