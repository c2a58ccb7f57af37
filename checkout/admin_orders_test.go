package checkout

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"shop/store"
)

// placeFor places an order of one tea for a shopper with this e-mail.
func (f *placeFixture) placeFor(t *testing.T, product int64, visitor, email string) Order {
	t.Helper()
	req := f.fill(t, visitor, map[int64]int{product: 1})
	req.Form.Email = email
	o, _, err := f.svc.Place(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func refsOf(rows []OrderRow) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.Reference)
	}
	return out
}

func TestAdminOrders_FiltersSearchAndPages(t *testing.T) {
	f := newPlaceFixture(t)
	ctx := context.Background()
	tea := f.product(t, "tea", 950, 550, 50)
	a := f.placeFor(t, tea, "v1", "ada@example.com")
	f.clock.Advance(time.Hour)
	b := f.placeFor(t, tea, "v2", "bob_smith@example.org")
	f.clock.Advance(24 * time.Hour)
	c := f.placeFor(t, tea, "v3", "carol@example.net")
	if _, err := f.svc.CompletePayment(ctx, b.ID, Completion{Method: "cmcic", To: Paid}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Cancel(ctx, c.ID, Action{Actor: "admin", Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	day := func(d time.Time) time.Time { return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC) }

	tests := []struct {
		name   string
		filter OrderFilter
		want   []string // newest first
	}{
		{"all", OrderFilter{}, []string{c.Reference, b.Reference, a.Reference}},
		{"paid", OrderFilter{Payment: Paid}, []string{b.Reference}},
		{"awaiting payment", OrderFilter{Payment: AwaitingPayment}, []string{a.Reference}},
		{"cancelled delivery", OrderFilter{Fulfilment: FulfilmentCancelled}, []string{c.Reference}},
		{"bank method", OrderFilter{Method: "cmcic"}, []string{b.Reference}},
		{"no method yet", OrderFilter{Method: "none"}, []string{c.Reference, a.Reference}},
		{"delivery", OrderFilter{Delivery: "home"}, []string{c.Reference, b.Reference, a.Reference}},
		{"other delivery", OrderFilter{Delivery: "pickup"}, nil},
		{"e-mail part, any case", OrderFilter{Query: "CAROL@"}, []string{c.Reference}},
		{"reference start, lower case", OrderFilter{Query: strings.ToLower(a.Reference[:5])}, []string{a.Reference}},
		{"underscore is literal", OrderFilter{Query: "bob_"}, []string{b.Reference}},
		{"percent is literal", OrderFilter{Query: "%"}, nil},
		{"name", OrderFilter{Query: "curie"}, []string{c.Reference, b.Reference, a.Reference}},
		{"from the day of c", OrderFilter{From: day(c.CreatedAt)}, []string{c.Reference}},
		{"until the day of a", OrderFilter{To: day(a.CreatedAt).AddDate(0, 0, 1)}, []string{b.Reference, a.Reference}},
		{"combined", OrderFilter{Query: "example", Payment: Paid, Method: "cmcic"}, []string{b.Reference}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, total, err := f.svc.AdminOrders(ctx, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got := refsOf(rows); !slices.Equal(got, tt.want) || total != len(tt.want) {
				t.Errorf("got %v (total %d), want %v", got, total, tt.want)
			}
		})
	}

	rows, total, err := f.svc.AdminOrders(ctx, OrderFilter{Limit: 2, Offset: 2})
	if err != nil || total != 3 || !slices.Equal(refsOf(rows), []string{a.Reference}) {
		t.Errorf("second page of two: %v total %d err %v", refsOf(rows), total, err)
	}
}

func TestShowCardDigits_RecordsWhoSawThemAndStopsOnceDecided(t *testing.T) {
	f := newPlaceFixture(t)
	ctx := context.Background()
	o, _ := f.paidByCard(t, 10, 1)
	p, err := f.svc.ShowCardDigits(ctx, o.ID, "boss@example.com")
	if err != nil || p.Stored != "4012888888" {
		t.Fatalf("ShowCardDigits = %+v, %v; want the stored part", p, err)
	}
	events, _ := f.svc.Events(ctx, o.ID)
	if last := events[len(events)-1]; last.Kind != "card_digits_shown" || last.Actor != "boss@example.com" {
		t.Errorf("last event %+v, want the digits shown by boss", last)
	}
	if err := f.svc.Certify(ctx, o.ID, Action{Actor: "boss@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ShowCardDigits(ctx, o.ID, "boss@example.com"); store.ErrorCode(err) != store.Conflict ||
		!strings.Contains(store.ErrorMessage(err), "first six digits") {
		t.Errorf("after the decision: %v, want a conflict about the first six digits", err)
	}
	if n := f.count(t, `SELECT count(*) FROM order_events WHERE order_id = ? AND kind = 'card_digits_shown'`, o.ID); n != 1 {
		t.Errorf("%d digits-shown entries, want 1", n)
	}
	tea := f.product(t, "green-tea", 950, 550, 10)
	bank := f.placeFor(t, tea, "v9", "x@example.com")
	if _, err := f.svc.ShowCardDigits(ctx, bank.ID, "boss@example.com"); store.ErrorCode(err) != store.Conflict {
		t.Errorf("an order without a card: %v, want a conflict", err)
	}
}

// Each refusal says that nothing was done, and why, for the order as it is now.
func TestRefusal_SaysWhyForTheOrderAsItIsNow(t *testing.T) {
	tests := []struct {
		action     string
		payment    PaymentState
		fulfilment FulfilmentState
		want       string
	}{
		{"ship", AwaitingPayment, Unfulfilled, "ships only once it is paid"},
		{"ship", AwaitingCertification, Unfulfilled, "“Awaiting certification”"},
		{"ship", Paid, Shipped, "already marked as shipped"},
		{"ship", PaymentCancelled, FulfilmentCancelled, "is cancelled, so it cannot ship"},
		{"cancel", Paid, Shipped, "has shipped"},
		{"cancel", Expired, FulfilmentCancelled, "already cancelled"},
		{"certify", Paid, Unfulfilled, "can no longer be certified"},
		{"reject", Failed, FulfilmentCancelled, "can no longer be rejected"},
	}
	for _, tt := range tests {
		got := refusal(tt.action, Order{PaymentState: tt.payment, FulfilmentState: tt.fulfilment})
		if !strings.HasPrefix(got, "Nothing was done") || !strings.Contains(got, tt.want) {
			t.Errorf("%s with %s/%s: %q, want it to contain %q", tt.action, tt.payment, tt.fulfilment, got, tt.want)
		}
	}
}

func TestOrderFigures_TodayThisWeekAndWhatWaits(t *testing.T) {
	f := newPlaceFixture(t)
	ctx := context.Background()
	tea := f.product(t, "black-tea", 1000, 550, 100)
	now := f.clock.Now() // Friday 14 March 2031, 09:30 UTC
	at := func(o Order, when time.Time) {
		t.Helper()
		if _, err := f.db.W.Exec(`UPDATE orders SET created_at = ? WHERE id = ?`, when.UTC(), o.ID); err != nil {
			t.Fatal(err)
		}
	}
	paid := func(v string, when time.Time) Order {
		o := f.placeFor(t, tea, v, v+"@example.com")
		if _, err := f.svc.CompletePayment(ctx, o.ID, Completion{Method: "cmcic", To: Paid}); err != nil {
			t.Fatal(err)
		}
		at(o, when)
		return o
	}
	today := paid("today", now.Add(-time.Hour))
	paid("monday", time.Date(2031, 3, 10, 0, 0, 1, 0, time.UTC))
	paid("last-sunday", time.Date(2031, 3, 9, 23, 59, 0, 0, time.UTC))
	f.paidByCard(t, 10, 1) // awaiting certification, today
	unpaid := f.placeFor(t, tea, "unpaid", "unpaid@example.com")
	at(unpaid, now.Add(-time.Minute))
	cancelled := paid("cancelled", now.Add(-2*time.Hour))
	if err := f.svc.Cancel(ctx, cancelled.ID, Action{Actor: "admin"}); err != nil {
		t.Fatal(err)
	}
	shipped := paid("shipped", now.Add(-3*time.Hour))
	if err := f.svc.Ship(ctx, shipped.ID, "", Action{Actor: "admin"}); err != nil {
		t.Fatal(err)
	}

	got, err := f.svc.OrderFigures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Today: today, shipped (paid) and the card order (awaiting certification); the week
	// adds Monday's. Revenue counts the paid ones only. Paid and not shipped: today,
	// Monday's and last Sunday's.
	each := today.TotalCents
	want := store.OrderFigures{
		TodayOrders: 3, TodayRevenueCents: 2 * each, WeekOrders: 4, WeekRevenueCents: 3 * each,
		AwaitingCertification: 1, AwaitingShipment: 3,
		TodayURL: "/admin/orders?from=2031-03-14", WeekURL: "/admin/orders?from=2031-03-10",
		CertificationURL: "/admin/orders?payment=awaiting_certification",
		ShipmentURL:      "/admin/orders?payment=paid&fulfilment=unfulfilled",
	}
	if got != want {
		t.Errorf("figures\n got %+v\nwant %+v", got, want)
	}
}
