package checkout

import (
	"context"
	"net/url"
	"time"

	"shop/store"
)

var _ store.OrderDashboard = (*Service)(nil)

// OrderFigures are the admin dashboard's order figures: the orders of today and of this
// week (from Monday; both in the merchant's time zone) that are paid or await
// certification and are not cancelled, the revenue of those paid, and the orders
// waiting for the merchant.
func (s *Service) OrderFigures(ctx context.Context) (store.OrderFigures, error) {
	today := s.Zone.Midnight(s.Now())
	week := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	f := store.OrderFigures{
		TodayURL:         "/admin/orders?" + url.Values{"from": {today.Format(time.DateOnly)}}.Encode(),
		WeekURL:          "/admin/orders?" + url.Values{"from": {week.Format(time.DateOnly)}}.Encode(),
		CertificationURL: "/admin/orders?payment=" + string(AwaitingCertification),
		ShipmentURL:      "/admin/orders?payment=" + string(Paid) + "&fulfilment=" + string(Unfulfilled),
	}
	err := s.DB.R.QueryRowContext(ctx, `SELECT
			coalesce(sum(created_at >= ?1), 0),
			coalesce(sum(CASE WHEN created_at >= ?1 AND payment_state = 'paid' THEN total_cents ELSE 0 END), 0),
			count(*),
			coalesce(sum(CASE WHEN payment_state = 'paid' THEN total_cents ELSE 0 END), 0)
		FROM orders WHERE created_at >= ?2 AND payment_state IN ('awaiting_certification', 'paid')
			AND fulfilment_state != 'cancelled'`, today.UTC(), week.UTC()).
		Scan(&f.TodayOrders, &f.TodayRevenueCents, &f.WeekOrders, &f.WeekRevenueCents)
	if err != nil {
		return f, err
	}
	err = s.DB.R.QueryRowContext(ctx, `SELECT coalesce(sum(payment_state = 'awaiting_certification'), 0),
			coalesce(sum(payment_state = 'paid'), 0)
		FROM orders WHERE payment_state IN ('awaiting_certification', 'paid') AND fulfilment_state = 'unfulfilled'`).
		Scan(&f.AwaitingCertification, &f.AwaitingShipment)
	return f, err
}
