package checkout

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"shop/store"
)

// OrderFilter narrows the admin's order list. Zero values do not filter.
type OrderFilter struct {
	// Query matches the start of a reference, or part of the customer's e-mail or name.
	Query      string
	Payment    PaymentState
	Fulfilment FulfilmentState
	Method     string // payment method: "card", "cmcic", or "none" for not chosen yet
	Delivery   string // delivery method code
	From, To   time.Time
	Limit      int
	Offset     int
}

// OrderRow is an order as the admin's list shows it.
type OrderRow struct {
	ID              int64
	Reference       string
	Email, Name     string
	TotalCents      int64
	PaymentState    PaymentState
	FulfilmentState FulfilmentState
	PaymentMethod   string
	DeliveryName    string
	CreatedAt       time.Time
}

// where is the filter as SQL conditions and their arguments.
func (f OrderFilter) where() (string, []any) {
	var conds []string
	var args []any
	if q := strings.TrimSpace(f.Query); q != "" {
		// Names and addresses compared folded: "zoe" finds Zoé, "oeuvray" Œuvray.
		like := "%" + store.LikeLiteral(store.Fold(q)) + "%"
		conds = append(conds, `(reference LIKE ? ESCAPE '\' OR `+store.FoldSQL+`(email) LIKE ? ESCAPE '\' OR `+
			store.FoldSQL+`(name) LIKE ? ESCAPE '\')`)
		args = append(args, store.LikeLiteral(strings.ToUpper(q))+"%", like, like)
	}
	if f.Payment != "" {
		conds, args = append(conds, `payment_state = ?`), append(args, f.Payment)
	}
	if f.Fulfilment != "" {
		conds, args = append(conds, `fulfilment_state = ?`), append(args, f.Fulfilment)
	}
	switch f.Method {
	case "":
	case "none":
		conds = append(conds, `payment_method = ''`)
	default:
		conds, args = append(conds, `payment_method = ?`), append(args, f.Method)
	}
	if f.Delivery != "" {
		conds, args = append(conds, `delivery_code = ?`), append(args, f.Delivery)
	}
	if !f.From.IsZero() {
		conds, args = append(conds, `created_at >= ?`), append(args, f.From.UTC())
	}
	if !f.To.IsZero() {
		conds, args = append(conds, `created_at < ?`), append(args, f.To.UTC())
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// AdminOrders lists the orders that match f, newest first, and how many match in all.
func (s *Service) AdminOrders(ctx context.Context, f OrderFilter) ([]OrderRow, int, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 25
	}
	where, args := f.where()
	var total int
	if err := s.DB.R.QueryRowContext(ctx, `SELECT count(*) FROM orders`+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, reference, email, name, total_cents, payment_state,
		fulfilment_state, payment_method, delivery_name, created_at FROM orders`+where+`
		ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, append(args, f.Limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []OrderRow
	for rows.Next() {
		var r OrderRow
		if err := rows.Scan(&r.ID, &r.Reference, &r.Email, &r.Name, &r.TotalCents, &r.PaymentState,
			&r.FulfilmentState, &r.PaymentMethod, &r.DeliveryName, &r.CreatedAt); err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// notificationsFor lists every notification received about an order, oldest first:
// those matched to it (a bad seal naming it included: anyone may have sent it, the
// merchant should still see it), and those that named its reference but were not
// matched, whose reference is only in the fields as received: an unreadable one, or one
// with a bad seal recorded before such were matched to their order.
func (s *Service) notificationsFor(ctx context.Context, o Order) ([]Notification, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT received_at, code, outcome, auth_number, status_3ds, mac_valid
		FROM gateway_notifications WHERE order_id = ?1 OR reference = ?2
			OR (order_id IS NULL AND reference = ''
				AND CASE WHEN json_valid(fields) THEN json_extract(fields, '$.reference[0]') END = ?2)
		ORDER BY id`, o.ID, o.Reference)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		var n Notification
		var at time.Time
		if err := rows.Scan(&at, &n.Code, &n.Outcome, &n.AuthNumber, &n.Status3DS, &n.MACValid); err != nil {
			return nil, err
		}
		n.ReceivedAt = s.Zone.Time(at)
		out = append(out, n)
	}
	return out, rows.Err()
}

// orderMail is a mail queued about an order, without its body.
type orderMail struct {
	ID               int64
	To, Subject, Key string
	Status           string
	CreatedAt        time.Time
	SentAt           sql.NullTime
}

// mailsOf lists the mails queued about an order, oldest first.
func (s *Service) mailsOf(ctx context.Context, orderID int64) ([]orderMail, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, recipient, subject, key, status, created_at, sent_at
		FROM outbox WHERE order_id = ? ORDER BY id`, orderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []orderMail
	for rows.Next() {
		var m orderMail
		if err := rows.Scan(&m.ID, &m.To, &m.Subject, &m.Key, &m.Status, &m.CreatedAt, &m.SentAt); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
