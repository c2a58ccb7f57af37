package checkout

import (
	"context"
	"database/sql"
	"slices"
	"sync"
	"time"
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

// DeliveryMethods lists the methods, only the active ones unless all is set. The active
// ones come from a copy kept for a few seconds (see deliveryCache).
func (s *Service) DeliveryMethods(ctx context.Context, all bool) ([]DeliveryMethod, error) {
	if all {
		return queryDeliveryMethods(ctx, s.DB.Prepared(), true)
	}
	now := s.Now()
	methods, gen, ok := s.delivery.get(now)
	if ok {
		return methods, nil
	}
	methods, err := queryDeliveryMethods(ctx, s.DB.Prepared(), false)
	if err == nil {
		s.delivery.put(methods, gen, now)
	}
	return methods, err
}

// The order form's two requests, the page and its post, read the active delivery
// methods on every purchase: a twentieth of the shop's work per purchase for a list
// that changes a few times a year. They now share a copy kept for deliveryCacheTTL.
//
// Placing an order still reads the methods in its own transaction, the only reading
// that sets a price. Each change this process makes drops the copy once committed, and
// a read that overlapped a change cannot leave its older list behind (the generation
// moved on). What another process changes shows within deliveryCacheTTL, or at once
// when placing an order finds the copy different from the database.
const deliveryCacheTTL = 5 * time.Second

type deliveryCache struct {
	mu      sync.Mutex
	gen     uint64 // moves on with each change
	methods []DeliveryMethod
	at      time.Time
	held    bool
}

// get returns a copy of the kept list if it is fresh, else the generation a read must
// quote to put what it read.
func (c *deliveryCache) get(now time.Time) ([]DeliveryMethod, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held && now.Sub(c.at) < deliveryCacheTTL && !now.Before(c.at) {
		return slices.Clone(c.methods), c.gen, true
	}
	return nil, c.gen, false
}

// put keeps methods, read at generation gen, unless something changed since.
func (c *deliveryCache) put(methods []DeliveryMethod, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	c.methods, c.at, c.held = slices.Clone(methods), now, true
}

// forget drops the kept list and turns away reads begun before.
func (c *deliveryCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.methods, c.held = nil, false
}

// confirm drops the kept list if it differs from current, the active methods as a
// transaction just read them.
func (c *deliveryCache) confirm(current []DeliveryMethod) {
	c.mu.Lock()
	stale := c.held && !slices.Equal(c.methods, current)
	c.mu.Unlock()
	if stale {
		c.forget()
	}
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
