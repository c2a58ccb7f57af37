package checkout

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"shop/cart"
	"shop/store"
)

type placeFixture struct {
	db    *store.DB
	svc   *Service
	cart  *cart.Cart
	clock *mailTestClock
}

func newPlaceFixture(t testing.TB) *placeFixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "shop.db"), cart.Migrations, Migrations)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := newMailTestClock()
	f := &placeFixture{db: db, clock: clock, cart: &cart.Cart{DB: db, Now: clock.Now},
		svc: &Service{DB: db, Now: clock.Now, PaymentWindow: 30 * time.Minute, BankWindow: 2 * time.Hour,
			Mails: &Mails{ShopName: "Test shop", BaseURL: "http://shop.test", Merchant: "merchant@example.com"}}}
	return f
}

func (f *placeFixture) product(t testing.TB, slug string, price int64, vat, stock int) int64 {
	t.Helper()
	res, err := f.db.W.Exec(`INSERT INTO products (slug, name, price_cents, vat_rate, stock, published)
		VALUES (?, ?, ?, ?, ?, 1)`, slug, strings.ToUpper(slug[:1])+slug[1:], price, vat, stock)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	return id
}

func (f *placeFixture) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := f.db.W.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *placeFixture) stock(t *testing.T, id int64) int {
	return f.count(t, `SELECT stock FROM products WHERE id = ?`, id)
}

// fill puts lines in a visitor's cart and returns a request as the form would send it.
func (f *placeFixture) fill(t testing.TB, visitor string, lines map[int64]int) PlaceRequest {
	t.Helper()
	ctx := context.Background()
	for id, qty := range lines {
		if err := f.cart.Add(ctx, visitor, id, qty); err != nil {
			t.Fatal(err)
		}
	}
	shown, err := f.cart.Lines(ctx, visitor)
	if err != nil {
		t.Fatal(err)
	}
	sub, _ := randomHex(16)
	return PlaceRequest{Visitor: visitor, NewOwner: store.NewVisitorID(), Submission: sub, Shown: Snapshot(shown),
		Form: FormFromValues(validValues())}
}

func TestPlace_TakesStockPricesFromCatalogueAndEmptiesCart(t *testing.T) {
	f := newPlaceFixture(t)
	tea := f.product(t, "tea", 950, 550, 5)
	mug := f.product(t, "mug", 1800, 2000, 3)
	o, dup, err := f.svc.Place(context.Background(), f.fill(t, "v1", map[int64]int{tea: 2, mug: 1}))
	if err != nil || dup {
		t.Fatalf("Place: %v dup=%v", err, dup)
	}
	if got := f.stock(t, tea); got != 3 {
		t.Errorf("tea stock %d, want 3", got)
	}
	if got := f.stock(t, mug); got != 2 {
		t.Errorf("mug stock %d, want 2", got)
	}
	// 2 × 9.50 + 18.00 = 37.00 items, home delivery 5.90 (under the 60 € threshold).
	if o.ItemsCents != 3700 || o.Delivery.Cents != 590 || o.TotalCents != 4290 {
		t.Errorf("items %d delivery %d total %d, want 3700 590 4290", o.ItemsCents, o.Delivery.Cents, o.TotalCents)
	}
	if o.TotalHTCents+o.TotalVATCents != o.TotalCents {
		t.Errorf("HT %d + VAT %d != TTC %d", o.TotalHTCents, o.TotalVATCents, o.TotalCents)
	}
	if len(o.Reference) != 10 || strings.Trim(o.Reference, referenceAlphabet) != "" {
		t.Errorf("reference %q is not 10 symbols of the alphabet", o.Reference)
	}
	if o.PaymentState != AwaitingPayment || o.FulfilmentState != Unfulfilled {
		t.Errorf("states %s/%s", o.PaymentState, o.FulfilmentState)
	}
	if n := f.count(t, `SELECT count(*) FROM cart_lines WHERE visitor_id = 'v1'`); n != 0 {
		t.Errorf("cart still holds %d lines", n)
	}
}

func TestPlace_RefusesWhatChangedAndChangesNothing(t *testing.T) {
	tests := []struct {
		name   string
		change string
		want   string
	}{
		{"price changed", `UPDATE products SET price_cents = 1000 WHERE slug = 'tea'`, "price changed from €9.50 to €10.00"},
		{"sold out", `UPDATE products SET stock = 0 WHERE slug = 'tea'`, "Sold out"},
		{"not enough left", `UPDATE products SET stock = 1 WHERE slug = 'tea'`, "Only 1 left"},
		{"unpublished", `UPDATE products SET published = 0 WHERE slug = 'tea'`, "No longer available"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newPlaceFixture(t)
			tea := f.product(t, "tea", 950, 550, 5)
			mug := f.product(t, "mug", 1800, 2000, 3)
			req := f.fill(t, "v1", map[int64]int{tea: 2, mug: 1})
			if _, err := f.db.W.Exec(tt.change); err != nil {
				t.Fatal(err)
			}
			teaBefore := f.stock(t, tea)
			_, _, err := f.svc.Place(context.Background(), req)
			var changed *ChangedError
			if !errors.As(err, &changed) {
				t.Fatalf("err = %v, want a ChangedError", err)
			}
			if !strings.Contains(strings.Join(changed.Problems, "|"), tt.want) {
				t.Errorf("problems %q, want one containing %q", changed.Problems, tt.want)
			}
			if n := f.count(t, `SELECT count(*) FROM orders`); n != 0 {
				t.Errorf("%d orders placed", n)
			}
			if f.stock(t, mug) != 3 || f.stock(t, tea) != teaBefore {
				t.Errorf("stock moved: mug %d tea %d", f.stock(t, mug), f.stock(t, tea))
			}
			if n := f.count(t, `SELECT count(*) FROM cart_lines WHERE visitor_id = 'v1'`); n != 2 {
				t.Errorf("cart has %d lines, want the 2 it had", n)
			}
		})
	}
}

func TestPlace_SameSubmissionConcurrentlyPlacesOneOrder(t *testing.T) {
	f := newPlaceFixture(t)
	tea := f.product(t, "tea", 950, 550, 50)
	req := f.fill(t, "v1", map[int64]int{tea: 2})
	var wg sync.WaitGroup
	refs := make([]string, 20)
	errs := make([]error, 20)
	for i := range refs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			o, _, err := f.svc.Place(context.Background(), req)
			refs[i], errs[i] = o.Reference, err
		}(i)
	}
	wg.Wait()
	for i := range refs {
		if errs[i] != nil || refs[i] != refs[0] {
			t.Fatalf("submission %d: ref %q err %v, want %q", i, refs[i], errs[i], refs[0])
		}
	}
	if n := f.count(t, `SELECT count(*) FROM orders`); n != 1 {
		t.Errorf("%d orders, want 1", n)
	}
	if got := f.stock(t, tea); got != 48 {
		t.Errorf("stock %d, want 48", got)
	}
	// Someone else replaying the token gets nothing.
	other := req
	other.Visitor = "intruder"
	if _, _, err := f.svc.Place(context.Background(), other); store.ErrorCode(err) != store.NotFound {
		t.Errorf("foreign visitor with the token: %v, want not found", err)
	}
}

func TestExpireDue_TwoSweepsAtOnceReturnStockOnce(t *testing.T) {
	f := newPlaceFixture(t)
	tea := f.product(t, "tea", 950, 550, 10)
	o, _, err := f.svc.Place(context.Background(), f.fill(t, "v1", map[int64]int{tea: 4}))
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := f.svc.ExpireDue(context.Background()); n != 0 {
		t.Fatalf("expired %d orders before their time", n)
	}
	f.clock.Advance(31 * time.Minute)
	var wg sync.WaitGroup
	total := make([]int, 4)
	for i := range total {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			n, err := f.svc.ExpireDue(context.Background())
			if err != nil {
				t.Error(err)
			}
			total[i] = n
		}(i)
	}
	wg.Wait()
	if sum := total[0] + total[1] + total[2] + total[3]; sum != 1 {
		t.Errorf("sweeps expired %v orders in all, want 1", total)
	}
	if got := f.stock(t, tea); got != 10 {
		t.Errorf("stock %d, want 10 (returned once)", got)
	}
	got, _ := f.svc.OrderByID(context.Background(), o.ID)
	if got.PaymentState != Expired {
		t.Errorf("state %s, want expired", got.PaymentState)
	}
	if n := f.count(t, `SELECT count(*) FROM outbox WHERE key LIKE '%expired'`); n != 1 {
		t.Errorf("%d expiry mails, want 1", n)
	}
	// A payment arriving after expiry changes nothing.
	if changed, err := f.svc.CompletePayment(context.Background(), o.ID, Completion{Method: "cmcic", To: Paid}); err != nil || changed {
		t.Errorf("payment after expiry: changed=%v err=%v", changed, err)
	}
}

func TestExtendForBank_GivesTheLongerWindow(t *testing.T) {
	f := newPlaceFixture(t)
	tea := f.product(t, "tea", 950, 550, 10)
	o, _, _ := f.svc.Place(context.Background(), f.fill(t, "v1", map[int64]int{tea: 1}))
	if err := f.svc.ExtendForBank(context.Background(), o.ID); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	if n, _ := f.svc.ExpireDue(context.Background()); n != 0 {
		t.Errorf("an order at the bank expired after an hour")
	}
	f.clock.Advance(61 * time.Minute)
	if n, _ := f.svc.ExpireDue(context.Background()); n != 1 {
		t.Errorf("an order at the bank did not expire after its window")
	}
}

func (f *placeFixture) paidByCard(t *testing.T, stock, qty int) (Order, int64) {
	t.Helper()
	tea := f.product(t, "tea", 950, 550, stock)
	o, _, err := f.svc.Place(context.Background(), f.fill(t, "v1", map[int64]int{tea: qty}))
	if err != nil {
		t.Fatal(err)
	}
	changed, err := f.svc.CompletePayment(context.Background(), o.ID, Completion{Method: "card", To: AwaitingCertification,
		Card:   &CardDetails{Brand: "Visa", Expiry: "12/2030"},
		Secret: newTestDigitsKey(t).Seal("881881", o.Reference),
		Record: func(ctx context.Context, tx *store.Tx, o Order) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO card_payments (order_id, brand, expiry, stored, created_at)
				VALUES (?, 'visa', '12/2030', '4012888888', ?)`, o.ID, f.clock.Now())
			return err
		}})
	if err != nil || !changed {
		t.Fatalf("CompletePayment: changed=%v err=%v", changed, err)
	}
	return o, tea
}

func TestCompletePayment_TwiceMailsOnce(t *testing.T) {
	f := newPlaceFixture(t)
	o, _ := f.paidByCard(t, 10, 1)
	changed, err := f.svc.CompletePayment(context.Background(), o.ID, Completion{Method: "card", To: AwaitingCertification})
	if err != nil || changed {
		t.Errorf("second completion: changed=%v err=%v", changed, err)
	}
	if n := f.count(t, `SELECT count(*) FROM outbox WHERE order_id = ?`, o.ID); n != 2 {
		t.Errorf("%d mails, want 2 (merchant + shopper)", n)
	}
}

func TestCertify_OnceThenConflictAndDigitsReduced(t *testing.T) {
	f := newPlaceFixture(t)
	o, _ := f.paidByCard(t, 10, 1)
	a := Action{Actor: "admin@example.com", Reason: "checked with the bank"}
	if err := f.svc.Certify(context.Background(), o.ID, a); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Certify(context.Background(), o.ID, a); store.ErrorCode(err) != store.Conflict {
		t.Errorf("second certify: %v, want a conflict", err)
	}
	got, _ := f.svc.OrderByID(context.Background(), o.ID)
	if got.PaymentState != Paid || !got.PaidAt.Valid {
		t.Errorf("state %s paid_at %v", got.PaymentState, got.PaidAt)
	}
	p, ok, err := f.svc.CardPaymentOf(context.Background(), o.ID)
	if err != nil || !ok || p.Stored != "401288" || !p.Reduced {
		t.Errorf("card record %+v ok=%v err=%v, want the stored part cut to 6 digits", p, ok, err)
	}
	if n := f.count(t, `SELECT count(*) FROM outbox WHERE key LIKE '%certified'`); n != 1 {
		t.Errorf("%d certified mails, want 1", n)
	}
}

func TestCancel_TwoAdminsAtOnceReturnStockOnce(t *testing.T) {
	f := newPlaceFixture(t)
	o, tea := f.paidByCard(t, 10, 3)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = f.svc.Cancel(context.Background(), o.ID, Action{Actor: "admin", Reason: "customer asked"})
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case store.ErrorCode(err) != store.Conflict:
			t.Errorf("unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d cancels succeeded, want 1", ok)
	}
	if got := f.stock(t, tea); got != 10 {
		t.Errorf("stock %d, want 10", got)
	}
	if n := f.count(t, `SELECT count(*) FROM outbox WHERE key LIKE '%cancelled'`); n != 1 {
		t.Errorf("%d cancellation mails, want 1", n)
	}
}

func TestShip_RefusedUntilPaid(t *testing.T) {
	f := newPlaceFixture(t)
	o, _ := f.paidByCard(t, 10, 1)
	if err := f.svc.Ship(context.Background(), o.ID, "TRK1", Action{Actor: "admin"}); store.ErrorCode(err) != store.Conflict {
		t.Fatalf("shipping an uncertified order: %v, want a conflict", err)
	}
	if err := f.svc.Certify(context.Background(), o.ID, Action{Actor: "admin"}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Ship(context.Background(), o.ID, "TRK'1", Action{Actor: "admin"}); err != nil {
		t.Fatal(err)
	}
	got, _ := f.svc.OrderByID(context.Background(), o.ID)
	if got.FulfilmentState != Shipped || got.TrackingNumber != "TRK'1" {
		t.Errorf("fulfilment %s tracking %q", got.FulfilmentState, got.TrackingNumber)
	}
	if err := f.svc.Cancel(context.Background(), o.ID, Action{Actor: "admin"}); store.ErrorCode(err) != store.Conflict {
		t.Errorf("cancelling a shipped order: %v, want a conflict", err)
	}
}

func TestReject_ReturnsStockAndFails(t *testing.T) {
	f := newPlaceFixture(t)
	o, tea := f.paidByCard(t, 10, 2)
	if err := f.svc.Reject(context.Background(), o.ID, Action{Actor: "admin", Reason: "bank refused"}); err != nil {
		t.Fatal(err)
	}
	got, _ := f.svc.OrderByID(context.Background(), o.ID)
	if got.PaymentState != Failed || f.stock(t, tea) != 10 {
		t.Errorf("state %s stock %d, want failed and 10", got.PaymentState, f.stock(t, tea))
	}
	events, _ := f.svc.Events(context.Background(), o.ID)
	if last := events[len(events)-1]; last.Kind != "rejected" || last.Actor != "admin" || last.Detail != "bank refused" {
		t.Errorf("last event %+v", last)
	}
}

func TestCancel_BeforeTheMerchantMailLeavesWithdrawsTheDigits(t *testing.T) {
	f := newPlaceFixture(t)
	o, _ := f.paidByCard(t, 10, 1)
	if err := f.svc.Cancel(context.Background(), o.ID, Action{Actor: "admin", Reason: "duplicate order"}); err != nil {
		t.Fatal(err)
	}
	p, _, _ := f.svc.CardPaymentOf(context.Background(), o.ID)
	if p.Stored != "401288" || !p.Reduced {
		t.Errorf("card record %+v, want it cut to six digits", p)
	}
	var secrets, placeholders int
	f.db.W.QueryRow(`SELECT count(secret), sum(instr(text_body, ?) > 0) FROM outbox JOIN outbox_bodies ON outbox_id = id
		WHERE order_id = ?`,
		CardDigitsPlaceholder, o.ID).Scan(&secrets, &placeholders)
	if secrets != 0 || placeholders != 0 {
		t.Errorf("unsent merchant mail still holds %d sealed digits and %d placeholders", secrets, placeholders)
	}
}

func TestExpiryEcho_NeverReturnsANumber(t *testing.T) {
	for in, want := range map[string]string{"12/30": "12/30", "12 / 2030": "12 / 2030", "1/30": "1/30",
		"4242424242424242": "", "4242 4242": "", "ab/cd": "ab/cd", "soon": "soon"} {
		if got := expiryEcho(in); got != want {
			t.Errorf("expiryEcho(%q) = %q, want %q", in, got, want)
		}
	}
}

// The delivery price the form showed is checked like the cart's: a merchant's change in
// between (price or free threshold) places nothing and says what it is now.
func TestPlace_RefusesADeliveryPriceChangedSinceTheForm(t *testing.T) {
	f := newPlaceFixture(t)
	ctx := context.Background()
	tea := f.product(t, "tea", 1000, 550, 10)
	methods, err := f.svc.DeliveryMethods(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	shown := DeliverySnapshot(methods, 1000)
	if !strings.Contains(shown, "home:590") {
		t.Fatalf("delivery snapshot %q, want home at 590 for €10.00 of items", shown)
	}
	base := f.fill(t, "v1", map[int64]int{tea: 1})
	if _, err := f.db.W.Exec(`UPDATE delivery_methods SET price_cents = 900 WHERE code = 'home'`); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ shown, want string }{
		"price changed":       {shown, "Home delivery: the delivery price is now €9.00."},
		"method not shown":    {"pickup:0", "Home delivery: this delivery method was not offered"},
		"unreadable snapshot": {"home:lots", "Home delivery: the delivery price is now €9.00."},
	} {
		t.Run(name, func(t *testing.T) {
			req := base
			req.ShownDelivery = c.shown
			_, _, err := f.svc.Place(ctx, req)
			var changed *ChangedError
			if !errors.As(err, &changed) || len(changed.Problems) != 1 || !strings.Contains(changed.Problems[0], c.want) {
				t.Fatalf("err = %v, want a ChangedError saying %q", err, c.want)
			}
			if n := f.count(t, `SELECT count(*) FROM orders`); n != 0 {
				t.Errorf("%d orders placed, want none", n)
			}
			if s := f.stock(t, tea); s != 10 {
				t.Errorf("stock %d, want 10", s)
			}
		})
	}

	methods, err = f.svc.DeliveryMethods(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	req := base
	req.ShownDelivery = DeliverySnapshot(methods, 1000) // the form shown again
	o, _, err := f.svc.Place(ctx, req)
	if err != nil || o.Delivery.Cents != 900 {
		t.Fatalf("placed with the new price shown: %+v, %v; want delivery at 900", o.Delivery, err)
	}
}

// A reference drawn twice (about one chance in 2^49 per order) makes the order draw
// another, and it is placed all the same, as stored.
func TestPlace_DrawsAnotherReferenceWhenTaken(t *testing.T) {
	f := newPlaceFixture(t)
	ctx := context.Background()
	tea := f.product(t, "tea", 950, 550, 10)
	first, _, err := f.svc.Place(ctx, f.fill(t, "v1", map[int64]int{tea: 1}))
	if err != nil {
		t.Fatal(err)
	}
	draws := []string{first.Reference, first.Reference, "ZZZZ2222ZZ"}
	f.svc.drawReference = func() (string, error) {
		ref := draws[0]
		draws = draws[1:]
		return ref, nil
	}
	o, _, err := f.svc.Place(ctx, f.fill(t, "v2", map[int64]int{tea: 2}))
	if err != nil {
		t.Fatal(err)
	}
	if o.Reference != "ZZZZ2222ZZ" || len(draws) != 0 {
		t.Fatalf("placed as %q with %d draws left, want ZZZZ2222ZZ after 3 draws", o.Reference, len(draws))
	}
	stored, err := f.svc.OrderByReference(ctx, o.Reference)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(o, stored) {
		t.Errorf("Place returned\n%+v\nthe database holds\n%+v", o, stored)
	}
	if again, _ := f.svc.OrderByReference(ctx, first.Reference); again.ID != first.ID || again.TotalCents != first.TotalCents {
		t.Errorf("the first order changed: %+v", again)
	}
}

// Place builds the order it returns from what it wrote, without reading it back: for
// each kind of delivery it must be the order as the database then holds it, field for
// field, since the shopper's next pages show the one Place returned.
func TestPlace_ReturnsTheOrderAsStored(t *testing.T) {
	f := newPlaceFixture(t)
	ctx := context.Background()
	tea := f.product(t, "tea", 950, 550, 10)
	mug := f.product(t, "mug", 1800, 2000, 10)
	f.clock.Advance(123456789 * time.Nanosecond) // times keep their fractions of a second
	for i, change := range []func(v url.Values){
		func(v url.Values) {}, // delivered to the billing address
		func(v url.Values) {
			v.Set("ship_different", "1")
			v.Set("ship_name", "Pierre Curie")
			v.Set("ship_line1", "3 quai Saint-Vincent")
			v.Set("ship_line2", "Bâtiment B")
			v.Set("ship_postcode", "69001")
			v.Set("ship_city", "Lyon")
			v.Set("ship_country", "BE")
			v.Set("billing_line2", "2e étage")
			v.Set("note", "Ring twice")
			v.Set("delivery", "express")
		},
		func(v url.Values) { v.Set("delivery", "pickup") },
	} {
		r := f.fill(t, "v"+strconv.Itoa(i), map[int64]int{tea: 1, mug: i + 1})
		values := validValues()
		change(values)
		r.Form = FormFromValues(values)
		o, _, err := f.svc.Place(ctx, r)
		if err != nil {
			t.Fatalf("order %d: %v", i, err)
		}
		stored, err := f.svc.OrderByID(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(o, stored) {
			t.Errorf("order %d: Place returned\n%+v\nthe database holds\n%+v", i, o, stored)
		}
	}
}

// Order form tokens are 32 hex digits like any other, unique even within one
// millisecond, and sort by the time their form was shown.
func TestNewSubmission_SortsByTime(t *testing.T) {
	at := time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)
	seen := map[string]bool{}
	prev := ""
	for i := range 200 {
		tok, err := newSubmission(at.Add(time.Duration(i/2) * time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) != 32 || strings.Trim(tok, "0123456789abcdef") != "" {
			t.Fatalf("token %q is not 32 lower-case hex digits", tok)
		}
		if seen[tok] {
			t.Fatalf("token %q drawn twice", tok)
		}
		seen[tok] = true
		if i%2 == 0 && tok <= prev {
			t.Fatalf("token %q of a later form sorts before %q", tok, prev)
		}
		prev = tok
	}
}
