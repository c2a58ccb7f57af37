package checkout

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"shop/store"
)

// PaymentState is where an order's money stands. It only moves forward, through guarded
// updates (`... WHERE payment_state = ?`), so each transition happens at most once.
type PaymentState string

const (
	AwaitingPayment       PaymentState = "awaiting_payment"
	AwaitingCertification PaymentState = "awaiting_certification"
	Paid                  PaymentState = "paid"
	Failed                PaymentState = "failed"
	PaymentCancelled      PaymentState = "cancelled"
	Expired               PaymentState = "expired"
)

// FulfilmentState is where the goods stand, kept apart from the money.
type FulfilmentState string

const (
	Unfulfilled         FulfilmentState = "unfulfilled"
	Shipped             FulfilmentState = "shipped"
	FulfilmentCancelled FulfilmentState = "cancelled"
)

// Address is a postal address as typed in the order form.
type Address struct {
	Name, Line1, Line2, Postcode, City, Country string
}

// Delivery is the delivery method chosen, with its price at order time.
type Delivery struct {
	Code, Name   string
	Cents        int64
	VATRate      int
	NeedsAddress bool
	// Note is, for a pick-up, the method's description when the order was placed: where
	// to collect the order.
	Note string
}

// Line is an ordered product, with name and price copied at order time.
type Line struct {
	ProductID  int64
	Name       string
	UnitCents  int64
	VATRate    int
	Quantity   int
	TotalCents int64
}

// VATLine is the part of the total taxed at one rate: TTC = HT + VAT.
type VATLine struct {
	Rate         int
	TTC, HT, VAT int64
}

// Order is a placed order as stored.
type Order struct {
	ID              int64
	Reference       string
	AccessToken     string
	Owner           string // the visitor id that may see it without a token
	PlacedBy        string // the visitor id whose cart it was (before the id was rotated)
	Email           string
	Name            string
	Phone           string
	Billing         Address
	Shipping        Address // equal to Billing unless the shopper gave another
	Delivery        Delivery
	Note            string
	Lines           []Line
	VAT             []VATLine
	ItemsCents      int64
	TotalCents      int64
	TotalHTCents    int64
	TotalVATCents   int64
	Currency        string
	PaymentState    PaymentState
	FulfilmentState FulfilmentState
	PaymentMethod   string
	StockReturned   bool
	TrackingNumber  string
	AuthNumber      string
	Status3DS       string
	ExpiresAt       time.Time
	PaidAt          sql.NullTime
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Event is one entry of an order's timeline.
type Event struct {
	At     time.Time
	Kind   string
	Detail string
	Actor  string
}

const orderColumns = `id, reference, access_token, owner, placed_by, email, name, phone,
	billing_line1, billing_line2, billing_postcode, billing_city, billing_country,
	ship_name, ship_line1, ship_line2, ship_postcode, ship_city, ship_country,
	delivery_code, delivery_name, delivery_cents, delivery_vat, delivery_note, note,
	items_cents, total_cents, total_ht_cents, total_vat_cents, currency,
	payment_state, fulfilment_state, payment_method, stock_returned, tracking_number, auth_number, status_3ds,
	expires_at, paid_at, created_at, updated_at`

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func scanOrder(row interface{ Scan(...any) error }) (Order, error) {
	var o Order
	err := row.Scan(&o.ID, &o.Reference, &o.AccessToken, &o.Owner, &o.PlacedBy, &o.Email, &o.Name, &o.Phone,
		&o.Billing.Line1, &o.Billing.Line2, &o.Billing.Postcode, &o.Billing.City, &o.Billing.Country,
		&o.Shipping.Name, &o.Shipping.Line1, &o.Shipping.Line2, &o.Shipping.Postcode, &o.Shipping.City, &o.Shipping.Country,
		&o.Delivery.Code, &o.Delivery.Name, &o.Delivery.Cents, &o.Delivery.VATRate, &o.Delivery.Note, &o.Note,
		&o.ItemsCents, &o.TotalCents, &o.TotalHTCents, &o.TotalVATCents, &o.Currency,
		&o.PaymentState, &o.FulfilmentState, &o.PaymentMethod, &o.StockReturned, &o.TrackingNumber, &o.AuthNumber, &o.Status3DS,
		&o.ExpiresAt, &o.PaidAt, &o.CreatedAt, &o.UpdatedAt)
	o.Billing.Name = o.Name
	o.Delivery.NeedsAddress = o.Shipping.Line1 != ""
	// The driver reads times back in the machine's zone (or a fixed one); in UTC they are
	// the same values as an order built in Go (Place), whatever the machine's zone.
	o.ExpiresAt, o.CreatedAt, o.UpdatedAt = o.ExpiresAt.UTC(), o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	if o.PaidAt.Valid {
		o.PaidAt.Time = o.PaidAt.Time.UTC()
	}
	return o, err
}

// loadOrder reads an order with its lines and VAT breakdown through q (the reader pool or
// a write transaction).
func loadOrder(ctx context.Context, q queryRower, where string, arg any) (Order, error) {
	o, err := loadOrderRow(ctx, q, where, arg)
	if err != nil {
		return o, err
	}
	return o, loadOrderParts(ctx, q, &o)
}

// loadOrderRow reads an order without its lines and VAT breakdown.
func loadOrderRow(ctx context.Context, q queryRower, where string, arg any) (Order, error) {
	o, err := scanOrder(q.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return o, store.Errorf(store.NotFound, "This order does not exist.")
	}
	return o, err
}

// loadOrderParts reads the lines and VAT breakdown of o, which are written once, when
// the order is placed.
func loadOrderParts(ctx context.Context, q queryRower, o *Order) error {
	rows, err := q.QueryContext(ctx, `SELECT product_id, name, unit_cents, vat_rate, quantity, total_cents
		FROM order_lines WHERE order_id = ? ORDER BY position`, o.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var l Line
		if err := rows.Scan(&l.ProductID, &l.Name, &l.UnitCents, &l.VATRate, &l.Quantity, &l.TotalCents); err != nil {
			rows.Close()
			return err
		}
		o.Lines = append(o.Lines, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = q.QueryContext(ctx, `SELECT vat_rate, ttc_cents, ht_cents, vat_cents FROM order_vat
		WHERE order_id = ? ORDER BY vat_rate DESC`, o.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var v VATLine
		if err := rows.Scan(&v.Rate, &v.TTC, &v.HT, &v.VAT); err != nil {
			return err
		}
		o.VAT = append(o.VAT, v)
	}
	return rows.Err()
}

// orderInTx reads an order inside a write that changes it: its row from the
// transaction, its lines and VAT from the copy this process keeps when there is one
// (they never change once placed, so a copy of any age is right), else from the
// transaction too.
func (s *Service) orderInTx(ctx context.Context, tx *store.Tx, id int64) (Order, error) {
	o, err := loadOrderRow(ctx, tx, "id = ?", id)
	if err != nil {
		return o, err
	}
	return o, s.withParts(ctx, tx, &o)
}

// withParts fills in the lines and VAT of the order whose row o holds, from the kept
// copy or else from the transaction (see orderInTx).
func (s *Service) withParts(ctx context.Context, tx *store.Tx, o *Order) error {
	if lines, vat, ok := s.orders.parts(o.Reference, o.ID); ok {
		o.Lines, o.VAT = lines, vat
		return nil
	}
	return loadOrderParts(ctx, tx, o)
}

// OrderByReference reads an order by its public reference.
func (s *Service) OrderByReference(ctx context.Context, ref string) (Order, error) {
	return loadOrder(ctx, s.DB.Prepared(), "reference = ?", ref)
}

// ShopperOrder is OrderByReference for the shopper's pages: the order as this process
// last wrote it, when that was moments ago (see orderCache), or as read.
func (s *Service) ShopperOrder(ctx context.Context, ref string) (Order, error) {
	if o, ok := s.orders.get(ref, time.Now()); ok {
		return o, nil
	}
	return s.OrderByReference(ctx, ref)
}

// remember leaves o, as this write has made it, for the shopper's next pages once the
// write commits.
func (s *Service) remember(tx *store.Tx, o Order) {
	tx.AfterCommit(func() { s.orders.put(o, time.Now()) })
}

// OrderByID reads an order by its id.
func (s *Service) OrderByID(ctx context.Context, id int64) (Order, error) {
	return loadOrder(ctx, s.DB.Prepared(), "id = ?", id)
}

// Events is the order's timeline, oldest first.
func (s *Service) Events(ctx context.Context, orderID int64) ([]Event, error) {
	rows, err := s.DB.Read(ctx, `SELECT at, kind, detail, actor FROM order_events
		WHERE order_id = ? ORDER BY id`, orderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.At, &e.Kind, &e.Detail, &e.Actor); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func addEvent(ctx context.Context, tx *store.Tx, orderID int64, at time.Time, kind, detail, actor string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO order_events (order_id, at, kind, detail, actor) VALUES (?, ?, ?, ?, ?)`,
		orderID, at.UTC(), kind, detail, actor)
	return err
}

// CancelReason is the reason the merchant gave when cancelling the order, as the
// customer's mail told it; empty when it was not cancelled by the merchant.
func (s *Service) CancelReason(ctx context.Context, orderID int64) (string, error) {
	var reason string
	err := s.DB.R.QueryRowContext(ctx, `SELECT detail FROM order_events WHERE order_id = ? AND kind = 'cancelled'
		ORDER BY id DESC LIMIT 1`, orderID).Scan(&reason)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return reason, err
}

// ProductInOrders tells the admin area, inside its delete transaction, whether an order
// refers to a product: such a product is unpublished, never deleted.
func (s *Service) ProductInOrders(ctx context.Context, tx *store.Tx, productID int64) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM order_lines WHERE product_id = ? LIMIT 1`, productID).Scan(&n)
	return n > 0, err
}
