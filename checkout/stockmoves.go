package checkout

import (
	"context"
	"time"

	"shop/store"
)

var _ store.OrderStockMoves = (*Service)(nil)

// stockReturning are the events whose transition puts an order's stock back
// (returnOrderStock), as an SQL list: the first of them on an order is when its stock
// returned, as no order can be expired, rejected or cancelled once it is any of these.
const stockReturning = `'expired', 'rejected', 'cancelled'`

// OrderStockMoves lists, newest first, the stock orders took from a product when they
// were placed and gave back when they expired or were rejected or cancelled, for the
// admin's stock history. Each kind is read up to limit, so the newest limit of both
// together are among them.
func (s *Service) OrderStockMoves(ctx context.Context, q store.Querier, productID int64, limit int) ([]store.StockMovement, error) {
	var out []store.StockMovement
	rows, err := q.QueryContext(ctx, `SELECT o.created_at, o.reference, sum(l.quantity)
		FROM order_lines l JOIN orders o ON o.id = l.order_id
		WHERE l.product_id = ? GROUP BY l.order_id ORDER BY l.order_id DESC LIMIT ?`, productID, limit)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		m := store.StockMovement{ProductID: productID, Actor: "shopper"}
		if err := rows.Scan(&m.At, &m.Order, &m.Delta); err != nil {
			rows.Close()
			return nil, err
		}
		m.Delta = -m.Delta
		m.Reason = "Order " + m.Order + " placed"
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT e.at, e.kind, e.actor, o.reference, sum(l.quantity)
		FROM order_lines l JOIN orders o ON o.id = l.order_id
		JOIN order_events e ON e.id = (SELECT min(id) FROM order_events WHERE order_id = o.id AND kind IN (`+stockReturning+`))
		WHERE l.product_id = ? AND o.stock_returned = 1
		GROUP BY l.order_id ORDER BY e.id DESC LIMIT ?`, productID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		m := store.StockMovement{ProductID: productID}
		var kind string
		var at time.Time
		if err := rows.Scan(&at, &kind, &m.Actor, &m.Order, &m.Delta); err != nil {
			return nil, err
		}
		m.At = at
		m.Reason = "Order " + m.Order + " " + kind + ": stock returned"
		out = append(out, m)
	}
	return out, rows.Err()
}
