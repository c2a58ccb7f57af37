package checkout

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"shop/cart"
	"shop/store"
)

// PlaceRequest is a validated order form and who sends it.
type PlaceRequest struct {
	Visitor    string // the cart's owner
	NewOwner   string // the visitor id the shopper gets once the order is placed
	Submission string // the form's one-time token
	Shown      string // the cart as the form showed it (see Snapshot)
	// ShownDelivery is the delivery prices as the form showed them (see DeliverySnapshot);
	// empty, they are not compared.
	ShownDelivery string
	Form          Form
}

// ChangedError says which lines could not be ordered as shown; nothing was placed.
type ChangedError struct {
	Problems []string
}

func (e *ChangedError) Error() string { return "cart changed: " + strings.Join(e.Problems, "; ") }

// Snapshot writes the cart lines as the shopper sees them, so that placing the order can
// tell whether a price or a line changed in between. It is only compared, never trusted
// for a price.
func Snapshot(lines []cart.Line) string {
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%d:%d:%d", l.ProductID, l.Quantity, l.PriceCents)
	}
	return b.String()
}

// DeliverySnapshot writes each delivery method's price for a cart of itemsCents as the
// order form shows it ("home:590,pickup:0"), so that placing the order can tell whether
// the price of the chosen one changed in between. Like Snapshot, it is only compared.
func DeliverySnapshot(methods []DeliveryMethod, itemsCents int64) string {
	var b strings.Builder
	for i, m := range methods {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(m.Code + ":" + strconv.FormatInt(m.PriceFor(itemsCents), 10))
	}
	return b.String()
}

// deliveryChange says what changed for the chosen method since the form showed shown
// (a DeliverySnapshot), or "".
func deliveryChange(shown string, m DeliveryMethod, itemsCents int64) string {
	for _, part := range strings.Split(shown, ",") {
		code, cents, ok := strings.Cut(part, ":")
		if !ok || code != m.Code {
			continue
		}
		before, err := strconv.ParseInt(cents, 10, 64)
		if now := m.PriceFor(itemsCents); err != nil || before != now {
			return m.Name + ": the delivery price is now " + deliveryPrice(now) + "."
		}
		return ""
	}
	return m.Name + ": this delivery method was not offered when this page was shown."
}

// Place turns the visitor's cart into an order in one IMMEDIATE transaction: it re-reads
// the cart, prices everything from the catalogue, takes each line's stock with a guarded
// update, writes the order, its lines and VAT, and empties the cart. A second request with
// the same submission token returns the order the first one placed (dup is true).
func (s *Service) Place(ctx context.Context, r PlaceRequest) (o Order, dup bool, err error) {
	if len(r.Submission) != 32 {
		return o, false, store.Errorf(store.Invalid, "This form has expired. Please check your order and submit it again.")
	}
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		var id int64
		var placedBy, owner string
		err := tx.QueryRowContext(ctx, `SELECT id, placed_by, owner FROM orders WHERE submission = ?`, r.Submission).
			Scan(&id, &placedBy, &owner)
		switch {
		case err == nil:
			if placedBy != r.Visitor && owner != r.Visitor {
				return store.Errorf(store.NotFound, "This order does not exist.")
			}
			dup = true
			// Read here, on the writer's connection, whose pages are all at hand.
			o, err = loadOrder(ctx, tx, "id = ?", id)
		case errors.Is(err, sql.ErrNoRows):
			o, err = s.place(ctx, tx, r)
		}
		if err != nil {
			return err
		}
		s.remember(tx, o)
		return nil
	})
	if err != nil {
		return Order{}, false, err
	}
	return o, dup, nil
}

// errCartEmpty is Place's answer to a cart with nothing in it: often a second tab's form
// after the first placed the order.
var errCartEmpty = &store.Error{Code: store.Invalid, Message: "Your cart is empty."}

// place writes the order and returns it as stored, built from the values it inserted,
// with its lines and VAT breakdown as written.
func (s *Service) place(ctx context.Context, tx *store.Tx, r PlaceRequest) (Order, error) {
	lines, err := cart.LinesTx(ctx, tx, r.Visitor)
	if err != nil {
		return Order{}, err
	}
	if len(lines) == 0 {
		return Order{}, errCartEmpty
	}
	methods, err := queryDeliveryMethods(ctx, tx, false)
	if err != nil {
		return Order{}, err
	}
	s.delivery.confirm(methods) // the next form shows what this order was priced with
	method, ok := findMethod(methods, r.Form.Delivery)
	if !ok {
		return Order{}, store.Errorf(store.Invalid, "Choose a delivery method.")
	}
	var changed ChangedError
	if Snapshot(lines) != r.Shown {
		problems := describeChanges(r.Shown, lines)
		if len(problems) == 0 { // a snapshot this shop never wrote
			problems = []string{"Your cart changed since this page was shown."}
		}
		changed.Problems = append(changed.Problems, problems...)
	}
	if r.ShownDelivery != "" {
		if problem := deliveryChange(r.ShownDelivery, method, cartItems(lines)); problem != "" {
			changed.Problems = append(changed.Problems, problem)
		}
	}
	orderLines := make([]Line, 0, len(lines))
	for _, l := range lines {
		if problem := l.Problem(); problem != "" {
			changed.Problems = append(changed.Problems, l.Name+": "+problem)
			continue
		}
		// The guarded update is the stock check: it changes one row only if enough is left.
		res, err := tx.ExecContext(ctx, `UPDATE products SET stock = stock - ?, updated_at = ?
			WHERE id = ? AND published = 1 AND stock >= ?`, l.Quantity, s.Now().UTC(), l.ProductID, l.Quantity)
		if err != nil {
			return Order{}, err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			changed.Problems = append(changed.Problems, l.Name+": only "+strconv.Itoa(l.Stock)+" left.")
			continue
		}
		orderLines = append(orderLines, Line{ProductID: l.ProductID, Name: l.Name, UnitCents: l.PriceCents,
			VATRate: l.VATRate, Quantity: l.Quantity, TotalCents: l.Total()})
	}
	if len(changed.Problems) > 0 {
		return Order{}, &changed
	}
	var items int64
	for _, l := range orderLines {
		items += l.TotalCents
	}
	totals := computeTotals(orderLines, method.PriceFor(items), method.VATRate)
	now := s.Now().UTC()
	ship := r.Form.shipping(method)
	token, err := randomHex(16)
	if err != nil {
		return Order{}, err
	}
	draw := newReference
	if s.drawReference != nil {
		draw = s.drawReference
	}
	order := Order{AccessToken: token, Owner: r.NewOwner, PlacedBy: r.Visitor,
		Email: r.Form.Email, Name: r.Form.Name, Phone: r.Form.Phone,
		Billing: r.Form.billing(), Shipping: ship,
		Delivery: Delivery{Code: method.Code, Name: method.Name, Cents: totals.Delivery, VATRate: method.VATRate,
			Note: pickUpNote(method), NeedsAddress: ship.Line1 != ""},
		Note:       r.Form.Note,
		ItemsCents: totals.Items, TotalCents: totals.Total, TotalHTCents: totals.HT, TotalVATCents: totals.VATAmount,
		Currency: "EUR", PaymentState: AwaitingPayment, FulfilmentState: Unfulfilled,
		ExpiresAt: now.Add(s.PaymentWindow), CreatedAt: now, UpdatedAt: now}
	for attempt := 0; ; attempt++ {
		ref, err := draw()
		if err != nil {
			return Order{}, err
		}
		// The order is built above from what is written here rather than read back with
		// RETURNING: SQLite gathers returned rows in a temporary table, and scanning forty
		// columns back cost the one writer more than the insert itself
		// (TestPlace_ReturnsTheOrderAsStored keeps the two the same).
		res, err := tx.ExecContext(ctx, `INSERT INTO orders (reference, access_token, submission, placed_by, owner,
			email, name, phone, billing_line1, billing_line2, billing_postcode, billing_city, billing_country,
			ship_name, ship_line1, ship_line2, ship_postcode, ship_city, ship_country,
			delivery_code, delivery_name, delivery_cents, delivery_vat, delivery_note, note,
			items_cents, total_cents, total_ht_cents, total_vat_cents, currency, expires_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (reference) DO NOTHING`,
			ref, order.AccessToken, r.Submission, order.PlacedBy, order.Owner,
			order.Email, order.Name, order.Phone, order.Billing.Line1, order.Billing.Line2, order.Billing.Postcode,
			order.Billing.City, order.Billing.Country,
			ship.Name, ship.Line1, ship.Line2, ship.Postcode, ship.City, ship.Country,
			method.Code, method.Name, totals.Delivery, method.VATRate, order.Delivery.Note, order.Note,
			totals.Items, totals.Total, totals.HT, totals.VATAmount, order.Currency, order.ExpiresAt, now, now)
		if err != nil {
			return Order{}, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return Order{}, err
		} else if n == 1 {
			if order.ID, err = res.LastInsertId(); err != nil {
				return Order{}, err
			}
			order.Reference = ref
			break
		}
		// No row: the reference was taken, draw another.
		if attempt > 5 {
			return Order{}, errors.New("checkout: no free order reference")
		}
	}
	for i, l := range orderLines {
		if _, err := tx.ExecContext(ctx, `INSERT INTO order_lines (order_id, position, product_id, name, unit_cents,
			vat_rate, quantity, total_cents) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			order.ID, i+1, l.ProductID, l.Name, l.UnitCents, l.VATRate, l.Quantity, l.TotalCents); err != nil {
			return Order{}, err
		}
	}
	for _, v := range totals.VAT {
		if _, err := tx.ExecContext(ctx, `INSERT INTO order_vat (order_id, vat_rate, ttc_cents, ht_cents, vat_cents)
			VALUES (?, ?, ?, ?, ?)`, order.ID, v.Rate, v.TTC, v.HT, v.VAT); err != nil {
			return Order{}, err
		}
	}
	if err := addEvent(ctx, tx, order.ID, now, "placed", "Order placed, stock reserved", "shopper"); err != nil {
		return Order{}, err
	}
	if err := cart.ClearTx(ctx, tx, r.Visitor); err != nil {
		return Order{}, err
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM checkout_forms WHERE visitor_id = ?`, r.Visitor)
	order.Lines, order.VAT = orderLines, totals.VAT
	return order, err
}

// describeChanges names the lines whose quantity or price differ from what was shown.
func describeChanges(shown string, lines []cart.Line) []string {
	before := map[int64][2]int64{}
	for _, part := range strings.Split(shown, ",") {
		f := strings.Split(part, ":")
		if len(f) != 3 {
			continue
		}
		id, _ := strconv.ParseInt(f[0], 10, 64)
		qty, _ := strconv.ParseInt(f[1], 10, 64)
		price, _ := strconv.ParseInt(f[2], 10, 64)
		before[id] = [2]int64{qty, price}
	}
	var out []string
	for _, l := range lines {
		b, ok := before[l.ProductID]
		switch {
		case !ok:
			out = append(out, l.Name+": added to your cart since this page was shown.")
		case b[1] != l.PriceCents:
			out = append(out, l.Name+": the price changed from "+store.FormatCents(b[1])+" to "+store.FormatCents(l.PriceCents)+".")
		case b[0] != int64(l.Quantity):
			out = append(out, l.Name+": the quantity in your cart changed to "+strconv.Itoa(l.Quantity)+".")
		}
		delete(before, l.ProductID)
	}
	if len(before) > 0 {
		out = append(out, "Some items were removed from your cart since this page was shown.")
	}
	return out
}

// referenceAlphabet leaves out 0/O and 1/I/L, which are misread over the phone.
const referenceAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// newReference is a short public reference, unguessable (10 symbols of 31: ~49 bits) and
// valid as a bank reference ([A-Za-z0-9], at most 12 characters).
func newReference() (string, error) {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = referenceAlphabet[int(b[i])%len(referenceAlphabet)]
	}
	return string(b), nil
}

// newSubmission is an order form's one-time token: the time, then 10 random bytes (see
// store.TimeOrderedID). Tokens of forms shown at about the same time sort together, so
// the orders they place go into the same few pages of the submission index instead of a
// random page each (one in sixteen pages a purchase's commit wrote). It only needs to be
// unique: an order found by its token is shown to the visitor who placed it alone (see
// Place).
func newSubmission(now time.Time) (string, error) { return store.TimeOrderedID(now, 10) }

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// pickUpNote is what an order keeps of its delivery method's description: for a pick-up,
// where to collect it; a delivery to an address has the address.
func pickUpNote(m DeliveryMethod) string {
	if m.NeedsAddress {
		return ""
	}
	return m.Description
}
