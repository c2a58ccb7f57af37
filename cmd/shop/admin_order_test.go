package main

// The admin's order pages through the real router (issue #6): the list and its filters,
// an order's page, the actions (certify, reject, ship, cancel) as guarded state changes
// with a clear message when they no longer apply, the stored card digits shown only on
// request and logged, the dashboard's figures, and delivery methods.

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"shop/payment/cmcic"
)

// The card every order of these tests is paid with: its stored part and the six digits
// only the merchant's mail carries.
const (
	adminTestCard   = "4012 8888 8888 1881"
	adminTestStored = "4012888888"
	adminTestTail   = "881881"
)

// adminSession is a logged-in admin on the shop.
func adminSession(t *testing.T, ts *testShop, email string) *shopper {
	t.Helper()
	sh := ts.newShopper(t)
	adminLogin(t, sh, email)
	return sh
}

// cardOrder places an order for qty of a product as a new shopper and pays it by card:
// the order then awaits the merchant's certification.
func cardOrder(t *testing.T, ts *testShop, slug string, qty int) placedOrder {
	t.Helper()
	sh := ts.newShopper(t)
	o := placeOrder(t, ts, sh, slug, qty)
	if p := payByCard(t, sh, o.Ref, "visa", adminTestCard, "12/30"); p.Status != http.StatusSeeOther {
		t.Fatalf("card payment of %s: %d %q", o.Ref, p.Status, textOf(p.Doc))
	}
	return ts.order(t, o.Ref)
}

// orderAction reads the order's admin page (for its token) and posts one of its actions.
func orderAction(t *testing.T, sh *shopper, ref, action string, form url.Values) *page {
	t.Helper()
	if p := sh.getPage("/admin/orders/" + ref); p.Status != http.StatusOK {
		t.Fatalf("GET the admin page of %s: %d", ref, p.Status)
	}
	return sh.submit("/admin/orders/"+ref+"/"+action, form)
}

func testIDText(doc *html.Node, id string) string { return textOf(adminFirst(byTestID(doc, id))) }

// Every route of checkout's admin pages is on the router under /admin, so that
// TestAdmin_EveryAdminRouteNeedsALogin (which walks e.Routes()) checks each of them; and
// each indeed refuses a visitor without a session.
func TestAdminOrderRoutes_AreAllBehindTheLogin(t *testing.T) {
	ts := startAdminShop(t)
	want := []string{
		"GET /admin/orders", "GET /admin/orders/:ref", "POST /admin/orders/:ref/certify", "POST /admin/orders/:ref/reject",
		"POST /admin/orders/:ref/ship", "POST /admin/orders/:ref/cancel", "POST /admin/orders/:ref/show-digits",
		"GET /admin/mail", "POST /admin/mail/:id/resend", "GET /admin/mail/:id/eml",
		"GET /admin/delivery", "GET /admin/delivery/new", "POST /admin/delivery", "GET /admin/delivery/:id",
		"POST /admin/delivery/:id", "POST /admin/delivery/:id/move",
	}
	var have []string
	for _, r := range ts.app.echo.Routes() {
		have = append(have, r.Method+" "+r.Path)
	}
	o := cardOrder(t, ts, "mug", 1)
	sh := ts.newShopper(t)
	sh.get("/admin/login")
	for _, route := range want {
		if !slices.Contains(have, route) {
			t.Errorf("route %s is not registered", route)
			continue
		}
		method, path, _ := strings.Cut(route, " ")
		path = strings.NewReplacer(":ref", o.Ref, ":id", "1").Replace(path)
		if method == http.MethodGet {
			wantLoginPage(t, sh.fetch(method, path, nil, nil), route)
			continue
		}
		p := sh.fetch(method, path, url.Values{"_csrf": {sh.token()}, "reason": {"x"}, "name": {"x"}}, nil)
		if p.Status != http.StatusUnauthorized || !strings.Contains(textOf(p.Doc), "log in") {
			t.Errorf("%s without a session: %d %q", route, p.Status, textOf(p.Doc))
		}
	}
	if got := ts.order(t, o.Ref); got.PaymentState != "awaiting_certification" {
		t.Errorf("refused requests changed the order: %s", got.PaymentState)
	}
}

// Certifying makes the order paid and mails the shopper once; the same click again, or
// a second admin's rejection from a page loaded before, says the payment can no longer
// be decided and changes nothing.
func TestAdminOrder_CertifyPaysAndMailsTheShopperOnce(t *testing.T) {
	ts := startShopWith(t, shopSetup{App: []func(*app){withQuickMailPoll}})
	addAdmin(t, ts, adminEmail)
	addAdmin(t, ts, "clerk@example.com")
	o := cardOrder(t, ts, "espresso-beans", 2)
	boss, clerk := adminSession(t, ts, adminEmail), adminSession(t, ts, "clerk@example.com")

	_, doc := boss.get("/admin/orders/" + o.Ref)
	if got := testIDText(doc, "payment-state"); !strings.Contains(got, "Awaiting certification") {
		t.Fatalf("payment state shown %q", got)
	}
	if len(byTestID(doc, "certify-form")) != 1 || len(byTestID(doc, "reject-form")) != 1 || len(byTestID(doc, "ship-form")) != 0 {
		t.Errorf("actions offered: certify %d reject %d ship %d, want certify and reject only",
			len(byTestID(doc, "certify-form")), len(byTestID(doc, "reject-form")), len(byTestID(doc, "ship-form")))
	}
	clerk.get("/admin/orders/" + o.Ref) // the clerk's page, loaded before the boss acts

	p := boss.submit("/admin/orders/"+o.Ref+"/certify", url.Values{"reason": {"Charged, authorisation 0A1B2C"}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/orders/"+o.Ref {
		t.Fatalf("certify: %d to %q; %q", p.Status, p.Header.Get("Location"), textOf(p.Doc))
	}
	_, doc = boss.get("/admin/orders/" + o.Ref)
	if got := testIDText(doc, "flash"); !strings.Contains(got, "Payment certified") {
		t.Errorf("flash after certifying: %q", got)
	}
	if got := ts.order(t, o.Ref); got.PaymentState != "paid" || !got.HasPaidAt {
		t.Errorf("order %s (paid_at %v), want paid", got.PaymentState, got.HasPaidAt)
	}
	key := ts.mailKey(t, o.Ref, "shopper-certified")
	waitForOutbox(t, ts, `SELECT count(*) FROM outbox WHERE status = 'sent' AND key = '`+key+`'`, 1, 20*time.Second)
	if n := ts.queryInt(t, `SELECT count(*) FROM order_events WHERE order_id = ? AND kind = 'certified' AND actor = ?
		AND detail = 'Charged, authorisation 0A1B2C'`, o.ID, adminEmail); n != 1 {
		t.Errorf("%d audit entries for the certification by %s with its reason, want 1", n, adminEmail)
	}
	if len(byTestID(doc, "ship-form")) != 1 || len(byTestID(doc, "certify-form")) != 0 {
		t.Errorf("after certifying the page should offer shipping, not certifying")
	}

	for _, try := range []struct {
		who    *shopper
		action string
	}{{boss, "certify"}, {clerk, "reject"}} {
		p := try.who.submit("/admin/orders/"+o.Ref+"/"+try.action, url.Values{"reason": {"again"}})
		msg := testIDText(p.Doc, "refusal")
		if p.Status != http.StatusConflict || !strings.Contains(msg, "Nothing was done") || !strings.Contains(msg, "Paid") {
			t.Errorf("%s after the certification: %d %q, want 409 saying nothing was done and the order is paid", try.action, p.Status, msg)
		}
		if got := testIDText(p.Doc, "payment-state"); !strings.Contains(got, "Paid") {
			t.Errorf("the refusal page shows payment %q, want the order as it is now", got)
		}
	}
	if got := ts.order(t, o.Ref); got.PaymentState != "paid" {
		t.Errorf("a refused action changed the order to %s", got.PaymentState)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM outbox WHERE order_id = ? AND (key LIKE '%certified' OR key LIKE '%rejected')`, o.ID); n != 1 {
		t.Errorf("%d decision mails, want the one certification mail", n)
	}
	if n := ts.queryInt(t, `SELECT stock FROM products WHERE slug = 'espresso-beans'`); n != 38 {
		t.Errorf("stock %d, want 38", n)
	}
	checkNoServerErrorsLogged(t, ts)
}

// Two admins cancel the same order at once, each clicking several times: one
// cancellation happens, the others are told it no longer applies, the stock comes back
// exactly once and the shopper gets one mail.
func TestAdminOrder_CancelByTwoAdminsAtOnceReturnsStockOnce(t *testing.T) {
	ts := startAdminShop(t)
	addAdmin(t, ts, "clerk@example.com")
	stock := func() int64 { return ts.queryInt(t, `SELECT stock FROM products WHERE slug = 'teapot'`) }
	before := stock()
	o := cardOrder(t, ts, "teapot", 3)
	if stock() != before-3 {
		t.Fatalf("stock %d after ordering 3 of %d", stock(), before)
	}
	admins := []*shopper{adminSession(t, ts, adminEmail), adminSession(t, ts, "clerk@example.com")}
	for _, a := range admins {
		if st, doc := a.get("/admin/orders/" + o.Ref); st != http.StatusOK || len(byTestID(doc, "cancel-form")) != 1 {
			t.Fatalf("order page: %d, cancel form shown %d", st, len(byTestID(doc, "cancel-form")))
		}
	}
	const clicks = 4
	statuses := make(chan int, len(admins)*clicks)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, a := range admins {
		for range clicks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				p, err := a.trySubmit("/admin/orders/"+o.Ref+"/cancel", url.Values{"reason": {"Out of stock at the supplier"}})
				if err != nil {
					t.Error(err)
					return
				}
				if p.Status == http.StatusConflict && !strings.Contains(testIDText(p.Doc, "refusal"), "already cancelled") {
					t.Errorf("refusal message %q", testIDText(p.Doc, "refusal"))
				}
				statuses <- p.Status
			}()
		}
	}
	close(start)
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[http.StatusSeeOther] != 1 || count[http.StatusConflict] != len(admins)*clicks-1 {
		t.Errorf("answers %v, want one 303 and %d 409", count, len(admins)*clicks-1)
	}
	if stock() != before {
		t.Errorf("stock %d, want %d: returned exactly once", stock(), before)
	}
	if got := ts.order(t, o.Ref); got.PaymentState != "cancelled" || !got.StockReturned {
		t.Errorf("order %s stock returned %v", got.PaymentState, got.StockReturned)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM outbox WHERE key = ?`, ts.mailKey(t, o.Ref, "shopper-cancelled")); n != 1 {
		t.Errorf("%d cancellation mails, want 1", n)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM order_events WHERE order_id = ? AND kind = 'cancelled'
		AND detail = 'Out of stock at the supplier' AND actor IN (?, ?)`, o.ID, adminEmail, "clerk@example.com"); n != 1 {
		t.Errorf("%d cancellation entries in the history, want 1 naming the admin and the reason", n)
	}
	checkNoServerErrorsLogged(t, ts)
}

// An order ships only once paid: shipping one that awaits payment or certification is
// refused with a clear message and changes nothing; once certified it ships with its
// tracking number, the shopper is mailed, and it can no longer be cancelled.
func TestAdminOrder_ShippingAnUnpaidOrderIsRefused(t *testing.T) {
	ts := startAdminShop(t)
	admin := adminSession(t, ts, adminEmail)
	unpaid := placeOrder(t, ts, ts.newShopper(t), "honey", 1)
	uncertified := cardOrder(t, ts, "mug", 1)
	for _, o := range []placedOrder{unpaid, uncertified} {
		_, doc := admin.get("/admin/orders/" + o.Ref)
		if n := len(byTestID(doc, "ship-form")); n != 0 {
			t.Errorf("%s (%s): the page offers to ship it", o.Ref, o.PaymentState)
		}
		p := admin.submit("/admin/orders/"+o.Ref+"/ship", url.Values{"tracking": {"TRACK1"}})
		msg := testIDText(p.Doc, "refusal")
		if p.Status != http.StatusConflict || !strings.Contains(msg, "ships only once it is paid") || !strings.Contains(msg, "Nothing was done") {
			t.Errorf("shipping %s (%s): %d %q, want 409 saying it ships once paid", o.Ref, o.PaymentState, p.Status, msg)
		}
		if n := ts.queryInt(t, `SELECT count(*) FROM orders WHERE id = ? AND fulfilment_state = 'unfulfilled' AND tracking_number = ''`, o.ID); n != 1 {
			t.Errorf("the refused shipment changed order %s", o.Ref)
		}
		if n := ts.queryInt(t, `SELECT count(*) FROM outbox WHERE key LIKE '%shipped'`); n != 0 {
			t.Errorf("%d shipping mails queued", n)
		}
	}

	if p := orderAction(t, admin, uncertified.Ref, "certify", nil); p.Status != http.StatusSeeOther {
		t.Fatalf("certify: %d %q", p.Status, testIDText(p.Doc, "refusal"))
	}
	p := orderAction(t, admin, uncertified.Ref, "ship", url.Values{"tracking": {"6A123 456 789 FR"}, "reason": {"Colissimo"}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("ship a paid order: %d %q", p.Status, textOf(adminFirst(byTestID(p.Doc, "error-summary"))))
	}
	_, doc := admin.get("/admin/orders/" + uncertified.Ref)
	if got := testIDText(doc, "tracking"); got != "6A123 456 789 FR" {
		t.Errorf("tracking shown %q", got)
	}
	if got := testIDText(doc, "fulfilment-state"); !strings.Contains(got, "Shipped") {
		t.Errorf("delivery state shown %q", got)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM outbox WHERE key = ?`, ts.mailKey(t, uncertified.Ref, "shopper-shipped")); n != 1 {
		t.Errorf("%d shipping mails, want 1", n)
	}
	if body := ts.queryText(t, `SELECT text_body FROM outbox JOIN outbox_bodies ON outbox_id = id WHERE key = ?`, ts.mailKey(t, uncertified.Ref, "shopper-shipped")); !strings.Contains(body, "6A123 456 789 FR") {
		t.Errorf("the shipping mail lacks the tracking number:\n%s", body)
	}
	p = orderAction(t, admin, uncertified.Ref, "cancel", url.Values{"reason": {"too late"}})
	if msg := testIDText(p.Doc, "refusal"); p.Status != http.StatusConflict || !strings.Contains(msg, "has shipped") {
		t.Errorf("cancelling a shipped order: %d %q", p.Status, msg)
	}
}

// A required reason left empty comes back beside its field, with status 422, and the
// order does not change; what was typed in the other field is kept.
func TestAdminOrder_ActionWithoutItsReasonComesBackBesideTheField(t *testing.T) {
	ts := startAdminShop(t)
	admin := adminSession(t, ts, adminEmail)
	o := cardOrder(t, ts, "mug", 1)
	for _, action := range []string{"reject", "cancel"} {
		p := orderAction(t, admin, o.Ref, action, url.Values{"reason": {"   "}})
		if p.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%s without a reason: %d, want 422", action, p.Status)
		}
		field := byID(p.Doc, action+"-reason")
		msg := adminFirst(findAll(p.Doc, func(n *html.Node) bool { return attrIs(n, "id", action+"-reason-error") }))
		if field == nil || msg == nil || !insideOrNextTo(field, msg) || !attrIs(field, "aria-invalid", "true") {
			t.Errorf("%s: the message is not beside the reason field", action)
		}
		if len(byTestID(p.Doc, "error-summary")) != 1 {
			t.Errorf("%s: no error summary", action)
		}
	}
	long := strings.Repeat("x", 101)
	if p := orderAction(t, admin, o.Ref, "certify", nil); p.Status != http.StatusSeeOther {
		t.Fatalf("certify: %d", p.Status)
	}
	p := orderAction(t, admin, o.Ref, "ship", url.Values{"tracking": {long}, "reason": {"by courier"}})
	if p.Status != http.StatusUnprocessableEntity || testIDText(p.Doc, "tracking-error") == "" {
		t.Errorf("a 101-character tracking number: %d %q", p.Status, testIDText(p.Doc, "tracking-error"))
	}
	if v, _ := controlValue(byTestID(p.Doc, "ship-form")[0], "reason"); v != "by courier" {
		t.Errorf("the note typed is not kept: %q", v)
	}
	if got := ts.order(t, o.Ref); got.PaymentState != "paid" || ts.queryInt(t, `SELECT count(*) FROM orders WHERE id = ? AND fulfilment_state = 'unfulfilled'`, o.ID) != 1 {
		t.Errorf("refused input changed the order")
	}
}

// An order awaiting certification shows four actions' fields at once: each label
// names one field, and says which action it belongs to, so that "Cancellation reason"
// cannot be typed into the rejection's field.
func TestAdminOrder_EachActionsFieldHasItsOwnLabel(t *testing.T) {
	ts := startAdminShop(t)
	admin := adminSession(t, ts, adminEmail)
	o := cardOrder(t, ts, "mug", 1)
	p := admin.getPage("/admin/orders/" + o.Ref)
	labels := map[string]string{} // text → the field's id
	for _, l := range findAll(p.Doc, func(n *html.Node) bool { return isElem(n, "label") }) {
		text := strings.Join(strings.Fields(textOf(l)), " ")
		id, _ := attr(l, "for")
		if _, dup := labels[text]; dup {
			t.Errorf("two labels read %q", text)
		}
		labels[text] = id
	}
	for prefix, id := range map[string]string{"Certification note": "certify-reason", "Rejection reason": "reject-reason",
		"Cancellation reason": "cancel-reason"} {
		found := 0
		for text, got := range labels {
			if strings.HasPrefix(text, prefix) {
				found++
				if got != id {
					t.Errorf("%q labels %q, want %q", text, got, id)
				}
			}
		}
		if found != 1 {
			t.Errorf("%d labels start with %q, want 1", found, prefix)
		}
	}
}

// collectAdminPages reads every admin page a merchant can reach about the shop's orders
// and mail, and returns path → body.
func collectAdminPages(t *testing.T, ts *testShop, admin *shopper, refs []string) map[string]string {
	t.Helper()
	paths := []string{"/admin", "/admin/orders", "/admin/orders?q=ada", "/admin/mail", "/admin/delivery"}
	for _, ref := range refs {
		paths = append(paths, "/admin/orders/"+ref)
	}
	out := map[string]string{}
	for _, path := range paths {
		p := admin.getPage(path)
		if p.Status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, p.Status)
		}
		out[path] = string(p.Body)
		if path == "/admin/mail" {
			for _, a := range byTestID(p.Doc, "view-eml") {
				href, _ := attr(a, "href")
				v := admin.getPage(href)
				if v.Status != http.StatusOK {
					t.Fatalf("GET %s: %d", href, v.Status)
				}
				out[href] = string(v.Body)
			}
		}
	}
	return out
}

// No admin page shows more of the card number than its first six digits, except the
// answer to the merchant's explicit "show stored digits", which is recorded in the
// order's history with who asked; once the payment is decided there is nothing more to
// show.
func TestAdminOrder_StoredCardDigitsOnlyOnRequestAndLogged(t *testing.T) {
	ts := startShopWith(t, shopSetup{App: []func(*app){withQuickMailPoll}})
	addAdmin(t, ts, adminEmail)
	o := cardOrder(t, ts, "grinder", 1)
	waitForOutbox(t, ts, `SELECT count(*) FROM outbox WHERE status = 'sent'`, 2, 20*time.Second)
	admin := adminSession(t, ts, adminEmail)

	secrets := []string{adminTestStored[:7], adminTestTail, onlyDigits(adminTestCard)}
	pages := collectAdminPages(t, ts, admin, []string{o.Ref})
	if len(pages) < 7 {
		t.Fatalf("only %d pages read; the mail viewer should add the two mails", len(pages))
	}
	for path, body := range pages {
		for _, s := range secrets {
			if strings.Contains(body, s) {
				t.Errorf("%s shows %q", path, s)
			}
		}
	}
	_, doc := admin.get("/admin/orders/" + o.Ref)
	if got := testIDText(doc, "card-masked"); !strings.HasPrefix(got, adminTestStored[:6]+"•") || strings.ContainsAny(got[6:], "0123456789") {
		t.Errorf("masked card shown as %q, want the first six digits and bullets", got)
	}
	if got := testIDText(doc, "card-brand"); got != "Visa" {
		t.Errorf("brand %q", got)
	}

	p := admin.submit("/admin/orders/"+o.Ref+"/show-digits", nil)
	if p.Status != http.StatusOK || testIDText(p.Doc, "card-stored-digits") != adminTestStored {
		t.Fatalf("show stored digits: %d %q, want the stored part %s", p.Status, testIDText(p.Doc, "card-stored-digits"), adminTestStored)
	}
	if strings.Contains(string(p.Body), adminTestTail) {
		t.Error("the answer holds the six e-mailed digits, which the shop must not have")
	}
	if p.Header.Get("Location") != "" || !strings.Contains(p.Header.Get("Cache-Control"), "no-store") {
		t.Errorf("the digits' answer: Location %q, Cache-Control %q; want a page that is not cached",
			p.Header.Get("Location"), p.Header.Get("Cache-Control"))
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM order_events WHERE order_id = ? AND kind = 'card_digits_shown' AND actor = ?`, o.ID, adminEmail); n != 1 {
		t.Errorf("%d history entries for the digits shown by %s, want 1", n, adminEmail)
	}
	if strings.Contains(ts.logs.String(), adminTestStored) {
		t.Error("the logs hold the stored part")
	}
	// The next page is masked again, and its history says who looked.
	_, doc = admin.get("/admin/orders/" + o.Ref)
	if strings.Contains(textOf(doc), adminTestStored) {
		t.Error("the stored part is still shown on the next visit")
	}
	shown := findAll(doc, func(n *html.Node) bool { return attrIs(n, "data-kind", "card_digits_shown") })
	if len(shown) != 1 || testIDText(shown[0], "event-actor") != adminEmail {
		t.Errorf("the history does not show who saw the digits")
	}

	if p := orderAction(t, admin, o.Ref, "certify", nil); p.Status != http.StatusSeeOther {
		t.Fatalf("certify: %d", p.Status)
	}
	_, doc = admin.get("/admin/orders/" + o.Ref)
	if len(byTestID(doc, "show-digits-form")) != 0 {
		t.Error("after the decision the page still offers to show the digits")
	}
	p = admin.submit("/admin/orders/"+o.Ref+"/show-digits", nil)
	if p.Status != http.StatusConflict || !strings.Contains(testIDText(p.Doc, "refusal"), "first six digits") {
		t.Errorf("show digits after the decision: %d %q", p.Status, testIDText(p.Doc, "refusal"))
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM order_events WHERE order_id = ? AND kind = 'card_digits_shown'`, o.ID); n != 1 {
		t.Errorf("%d digits-shown entries, want still 1", n)
	}
}

// The list finds orders by payment state, delivery state, method, date and reference or
// e-mail, and keeps the filters in its pager; the dashboard counts what waits.
func TestAdminOrders_ListFiltersAndDashboard(t *testing.T) {
	ts := startAdminShop(t)
	admin := adminSession(t, ts, adminEmail)
	unpaid := placeOrder(t, ts, ts.newShopper(t), "jam", 1)
	certify := cardOrder(t, ts, "mug", 1)
	waiting := cardOrder(t, ts, "cups", 1)
	ts.exec(t, `UPDATE orders SET email = 'zoe@example.org', delivery_code = 'pickup', delivery_name = 'Pick-up in store' WHERE id = ?`, waiting.ID)
	if p := orderAction(t, admin, certify.Ref, "certify", nil); p.Status != http.StatusSeeOther {
		t.Fatalf("certify: %d", p.Status)
	}
	refsOf := func(path string) []string {
		t.Helper()
		st, doc := admin.get(path)
		if st != http.StatusOK {
			t.Fatalf("GET %s: %d", path, st)
		}
		var refs []string
		for _, r := range byTestID(doc, "order-row") {
			ref, _ := attr(r, "data-reference")
			refs = append(refs, ref)
		}
		slices.Sort(refs)
		return refs
	}
	sorted := func(refs ...string) []string { slices.Sort(refs); return refs }
	now := time.Now().In(ts.cfg.Zone.Location()) // the admin's days are the merchant's
	today, tomorrow := now.Format(time.DateOnly), now.AddDate(0, 0, 1).Format(time.DateOnly)
	for path, want := range map[string][]string{
		"/admin/orders": sorted(unpaid.Ref, certify.Ref, waiting.Ref),
		"/admin/orders?payment=awaiting_certification":        {waiting.Ref},
		"/admin/orders?payment=paid&fulfilment=unfulfilled":   {certify.Ref},
		"/admin/orders?payment=awaiting_payment":              {unpaid.Ref},
		"/admin/orders?method=card":                           sorted(certify.Ref, waiting.Ref),
		"/admin/orders?method=none":                           {unpaid.Ref},
		"/admin/orders?delivery=pickup":                       {waiting.Ref},
		"/admin/orders?q=ZOE%40EXAMPLE":                       {waiting.Ref},
		"/admin/orders?q=" + strings.ToLower(certify.Ref[:6]): {certify.Ref},
		"/admin/orders?from=" + today + "&to=" + today:        sorted(unpaid.Ref, certify.Ref, waiting.Ref),
		"/admin/orders?from=" + tomorrow:                      nil,
		"/admin/orders?q=%25":                                 nil,
	} {
		if got := refsOf(path); !slices.Equal(got, want) {
			t.Errorf("%s lists %v, want %v", path, got, want)
		}
	}
	p := admin.getPage("/admin/orders?from=" + tomorrow + "&to=" + today)
	if p.Status != http.StatusUnprocessableEntity || testIDText(p.Doc, "to-error") == "" {
		t.Errorf("an end before the start: %d %q", p.Status, testIDText(p.Doc, "to-error"))
	}
	if p := admin.getPage("/admin/orders?from=31/12/2026"); p.Status != http.StatusUnprocessableEntity || testIDText(p.Doc, "from-error") == "" {
		t.Errorf("a date typed wrong: %d", p.Status)
	}

	_, doc := admin.get("/admin")
	for id, want := range map[string]string{
		"today-orders": "2", "week-orders": "2", "today-revenue": "€23.90", // the mug (€18.00) + delivery
		"awaiting-certification": "1 awaiting card certification", "awaiting-shipment": "1 paid, awaiting shipment",
	} {
		if got := testIDText(doc, id); got != want {
			t.Errorf("dashboard %s = %q, want %q", id, got, want)
		}
	}
	link, _ := attr(adminFirst(byTestID(doc, "awaiting-certification")), "href")
	if got := refsOf(link); !slices.Equal(got, []string{waiting.Ref}) {
		t.Errorf("the dashboard's link %s lists %v", link, got)
	}
}

// Times show in the merchant's zone (SHOP_TIMEZONE, Europe/Paris by default), and the
// admin's days are its days: an order placed at 00:30 in Paris on a Monday, 22:30 UTC on
// the Sunday, is Monday's and this week's; one placed an hour earlier is neither.
func TestTimes_ShownAndCountedInTheMerchantsZone(t *testing.T) {
	clock := newCheckoutClock()
	clock.t = time.Date(2026, 6, 14, 21, 30, 0, 0, time.UTC) // Sunday 23:30 in Paris
	ts := startShopWith(t, shopSetup{App: []func(*app){withCheckoutClock(clock)}})
	addAdmin(t, ts, adminEmail)
	sunday := cardOrder(t, ts, "mug", 1)
	clock.advance(time.Hour) // Monday 15 June, 00:30 in Paris
	monday := cardOrder(t, ts, "cups", 1)
	admin := adminSession(t, ts, adminEmail)

	_, doc := admin.get("/admin/orders/" + monday.Ref)
	if got := textOf(doc); !strings.Contains(got, "15 Jun 2026 at 00:30 CEST") {
		t.Errorf("the admin's order page does not give the Paris time 15 Jun 2026 at 00:30 CEST:\n%s", got)
	}
	_, doc = admin.get("/admin/orders")
	if got := textOf(doc); !strings.Contains(got, "2026-06-15 00:30") || !strings.Contains(got, "2026-06-14 23:30") ||
		!strings.Contains(got, "Placed (Europe/Paris)") {
		t.Errorf("the order list does not give the Paris times:\n%s", got)
	}
	refs := func(path string) []string {
		_, doc := admin.get(path)
		var out []string
		for _, r := range byTestID(doc, "order-row") {
			ref, _ := attr(r, "data-reference")
			out = append(out, ref)
		}
		return out
	}
	if got := refs("/admin/orders?from=2026-06-15"); !slices.Equal(got, []string{monday.Ref}) {
		t.Errorf("orders from Monday: %v, want only %s", got, monday.Ref)
	}
	if got := refs("/admin/orders?from=2026-06-14&to=2026-06-14"); !slices.Equal(got, []string{sunday.Ref}) {
		t.Errorf("orders of Sunday: %v, want only %s", got, sunday.Ref)
	}
	_, doc = admin.get("/admin")
	for id, want := range map[string]string{"today-orders": "1", "week-orders": "1"} {
		if got := testIDText(doc, id); got != want {
			t.Errorf("dashboard %s = %q, want %q (in UTC both orders are Sunday's)", id, got, want)
		}
	}
}

// The list pages by 25, newest first, and the pager keeps the filters.
func TestAdminOrders_PagesKeepTheFilters(t *testing.T) {
	ts := startAdminShop(t)
	admin := adminSession(t, ts, adminEmail)
	first := placeOrder(t, ts, ts.newShopper(t), "croissant", 1)
	// 26 more orders, copies of the first with their own reference, one minute apart.
	for i := range 26 {
		ts.exec(t, `INSERT INTO orders (reference, access_token, submission, placed_by, owner, email, name, phone,
			billing_line1, billing_postcode, billing_city, billing_country, delivery_code, delivery_name, delivery_cents,
			delivery_vat, items_cents, total_cents, total_ht_cents, total_vat_cents, expires_at, created_at, updated_at)
			SELECT ?, access_token, ?, placed_by, owner, email, name, phone, billing_line1, billing_postcode, billing_city,
			billing_country, delivery_code, delivery_name, delivery_cents, delivery_vat, items_cents, total_cents,
			total_ht_cents, total_vat_cents, expires_at, ?, updated_at FROM orders WHERE id = ?`,
			fmt.Sprintf("PAGE%06d", i), fmt.Sprintf("sub-%d", i), time.Now().UTC().Add(time.Duration(i+1)*time.Minute), first.ID)
	}
	_, doc := admin.get("/admin/orders?payment=awaiting_payment")
	if rows := byTestID(doc, "order-row"); len(rows) != 25 {
		t.Fatalf("first page: %d rows, want 25", len(rows))
	}
	if got := testIDText(doc, "order-count"); got != "27 orders" {
		t.Errorf("count %q", got)
	}
	next, _ := attr(adminFirst(findAll(doc, func(n *html.Node) bool { return isElem(n, "a") && attrIs(n, "rel", "next") })), "href")
	if !strings.Contains(next, "payment=awaiting_payment") || !strings.Contains(next, "page=2") {
		t.Fatalf("next page link %q lost the filter", next)
	}
	_, doc = admin.get(next)
	rows := byTestID(doc, "order-row")
	if ref, _ := attr(adminFirst(rows), "data-reference"); len(rows) != 2 || ref != "PAGE000000" {
		t.Errorf("second page: %d rows starting with %q, want the 2 oldest", len(rows), ref)
	}
}

// Delivery methods: a new one is offered at checkout at once, in its place; the last
// active one cannot be switched off.
func TestAdminDelivery_CreateReorderAndKeepOneActive(t *testing.T) {
	ts := startAdminShop(t)
	admin := adminSession(t, ts, adminEmail)
	admin.get("/admin/delivery/new")
	bad := admin.submit("/admin/delivery", url.Values{"code": {"Relay Point"}, "name": {""}, "price": {"-1"}, "vat_rate": {"2000"}, "active": {"1"}})
	if bad.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad delivery method: %d", bad.Status)
	}
	for _, f := range []string{"code", "name", "price"} {
		if fieldError(bad.Doc, f) == "" {
			t.Errorf("no message beside %s", f)
		}
	}
	p := admin.submit("/admin/delivery", url.Values{"code": {"relay"}, "name": {"Relay point"}, "description": {"Collect it near you."},
		"price": {"3,50"}, "free_above": {"40"}, "vat_rate": {"2000"}, "needs_address": {"1"}, "active": {"1"}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %q", p.Status, textOf(adminFirst(byTestID(p.Doc, "error-summary"))))
	}
	if dup := admin.submit("/admin/delivery", url.Values{"code": {"relay"}, "name": {"Again"}, "price": {"0"}, "vat_rate": {"2000"}}); dup.Status != http.StatusUnprocessableEntity || fieldError(dup.Doc, "code") == "" {
		t.Errorf("a second method with the same code: %d", dup.Status)
	}
	// A taken code shows with the form's other errors, not once they are fixed.
	dup := admin.submit("/admin/delivery", url.Values{"code": {"relay"}, "name": {""}, "price": {"0"}, "vat_rate": {"2000"}})
	if !strings.Contains(fieldError(dup.Doc, "code"), "already has this code") || fieldError(dup.Doc, "name") == "" {
		t.Errorf("taken code and no name: code %q, name %q", fieldError(dup.Doc, "code"), fieldError(dup.Doc, "name"))
	}
	id := ts.queryInt(t, `SELECT id FROM delivery_methods WHERE code = 'relay'`)
	admin.get("/admin/delivery")
	for range 3 {
		if p := admin.submit(fmt.Sprintf("/admin/delivery/%d/move", id), url.Values{"direction": {"up"}}); p.Status != http.StatusSeeOther {
			t.Fatalf("move up: %d", p.Status)
		}
	}
	shopper := ts.newShopper(t)
	shopper.addToCart("mug", 1)
	_, doc := shopper.get("/checkout")
	var codes []string
	for _, in := range findAll(doc, func(n *html.Node) bool { return isElem(n, "input") && attrIs(n, "name", "delivery") }) {
		v, _ := attr(in, "value")
		codes = append(codes, v)
	}
	if !slices.Equal(codes, []string{"relay", "home", "express", "pickup"}) {
		t.Errorf("checkout offers %v, want the new method first", codes)
	}
	if got := ts.queryInt(t, `SELECT price_cents FROM delivery_methods WHERE id = ?`, id); got != 350 {
		t.Errorf("price %d cents", got)
	}

	// Switch every method off: the last one refuses.
	rows, err := ts.store().R.Query(`SELECT id, code, name FROM delivery_methods ORDER BY position`)
	if err != nil {
		t.Fatal(err)
	}
	type method struct {
		id         int64
		code, name string
	}
	var methods []method
	for rows.Next() {
		var m method
		if err := rows.Scan(&m.id, &m.code, &m.name); err != nil {
			t.Fatal(err)
		}
		methods = append(methods, m)
	}
	rows.Close()
	for i, m := range methods {
		path := fmt.Sprintf("/admin/delivery/%d", m.id)
		admin.get(path)
		p := admin.submit(path, url.Values{"name": {m.name}, "price": {"0"}, "vat_rate": {"2000"}, "code": {"renamed"}})
		last := i == len(methods)-1
		if last && (p.Status != http.StatusUnprocessableEntity || !strings.Contains(testIDText(p.Doc, "active-error"), "must stay active")) {
			t.Errorf("switching off the last active method: %d %q", p.Status, testIDText(p.Doc, "active-error"))
		}
		if !last && p.Status != http.StatusSeeOther {
			t.Errorf("switching off %s: %d", m.code, p.Status)
		}
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM delivery_methods WHERE active = 1`); n != 1 {
		t.Errorf("%d active methods, want the last one kept", n)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM delivery_methods WHERE code = 'renamed'`); n != 0 {
		t.Error("an edit changed a method's code")
	}
}

// A bank order's page lists every notification received about it, with its seal (MAC)
// status, 3-D Secure status and authorisation number, including a forged one that only
// named its reference.
func TestAdminOrder_BankNotificationsWithTheirMACStatus(t *testing.T) {
	ts := startBankShop(t, cmcic.Legacy)
	addAdmin(t, ts, adminEmail)
	ref := bankPlaceOrder(t, ts, ts.newShopper(t))
	total := bankOrderRow(t, ts, ref).TotalCents
	bank := newBankNotifier(t, ts)
	expectBankAck(t, bank.notify(t, http.MethodPost, bankSealed(t, cmcic.Legacy,
		bankNotice{Ref: ref, Code: "Annulation", Refusal: "Refus", Cents: total})), cmcic.AckOK)
	forged := bankSealed(t, cmcic.Legacy, bankNotice{Ref: ref, Code: "paiement", Auth: "FORGED", Cents: total})
	forged.Set("MAC", strings.Repeat("0", 40))
	expectBankAck(t, bank.notify(t, http.MethodPost, forged), cmcic.AckBadMAC)
	expectBankAck(t, bank.notify(t, http.MethodPost, bankSealed(t, cmcic.Legacy,
		bankNotice{Ref: ref, Code: "paiement", Auth: "A1B2C3", Cents: total})), cmcic.AckOK)

	admin := adminSession(t, ts, adminEmail)
	_, doc := admin.get("/admin/orders/" + ref)
	rows := byTestID(doc, "notification")
	if len(rows) != 3 {
		t.Fatalf("%d notifications listed, want 3: %q", len(rows), testIDText(doc, "payment-record"))
	}
	for i, want := range []string{"valid", "invalid", "valid"} {
		if got := testIDText(rows[i], "notification-mac"); !strings.HasPrefix(got, want) {
			t.Errorf("notification %d: MAC %q, want %s", i+1, got, want)
		}
	}
	for i, want := range []string{"Annulation", "Bad seal", "paiement"} {
		if !strings.Contains(textOf(rows[i]), want) {
			t.Errorf("notification %d: %q lacks %q", i+1, textOf(rows[i]), want)
		}
	}
	if !strings.Contains(textOf(rows[2]), "A1B2C3") || !strings.Contains(textOf(rows[2]), "1 (low risk)") {
		t.Errorf("the payment's notification lacks its authorisation or 3-D Secure status: %q", textOf(rows[2]))
	}
	if got := testIDText(doc, "auth-number"); got != "A1B2C3" {
		t.Errorf("order's authorisation %q", got)
	}
	if got := testIDText(doc, "payment-state"); !strings.Contains(got, "Paid") || len(byTestID(doc, "ship-form")) != 1 {
		t.Errorf("payment %q, ship form %d: a paid bank order ships", got, len(byTestID(doc, "ship-form")))
	}
	if len(byTestID(doc, "card-payment")) != 0 || len(byTestID(doc, "certify-form")) != 0 {
		t.Error("a bank order shows a card record or the certification")
	}
}

// Every form that posts on checkout's admin pages carries the CSRF token, and an action
// posted without it changes nothing.
func TestAdminOrderPages_FormsCarryCSRFTokens(t *testing.T) {
	ts := startShopWith(t, shopSetup{App: []func(*app){withQuickMailPoll}})
	addAdmin(t, ts, adminEmail)
	o := cardOrder(t, ts, "mug", 1)
	waitForOutbox(t, ts, `SELECT count(*) FROM outbox WHERE status = 'sent'`, 2, 20*time.Second)
	ts.exec(t, `UPDATE outbox SET status = 'failed', last_error = 'refused'`)
	admin := adminSession(t, ts, adminEmail)
	forms := 0
	for _, path := range []string{"/admin/orders/" + o.Ref, "/admin/mail", "/admin/delivery", "/admin/delivery/new", "/admin/delivery/1"} {
		p := admin.getPage(path)
		if p.Status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, p.Status)
		}
		for _, f := range findAll(p.Doc, func(n *html.Node) bool { return isElem(n, "form") && attrIs(n, "method", "post") }) {
			forms++
			if tok := csrfFrom(f); tok == "" || tok != admin.token() {
				action, _ := attr(f, "action")
				t.Errorf("%s: the form posting to %s has no CSRF token", path, action)
			}
		}
	}
	if forms < 10 {
		t.Errorf("only %d forms seen", forms)
	}
	p := admin.fetch(http.MethodPost, "/admin/orders/"+o.Ref+"/cancel", url.Values{"_csrf": {"forged"}, "reason": {"x"}}, nil)
	if p.Status != http.StatusForbidden && p.Status != http.StatusBadRequest {
		t.Errorf("a cancel with a forged token: %d", p.Status)
	}
	if got := ts.order(t, o.Ref); got.PaymentState != "awaiting_certification" {
		t.Errorf("the forged post changed the order to %s", got.PaymentState)
	}
}

// The shopper's order page follows what the merchant did: shipped says on its way (or
// ready, for a pick-up), cancelled after payment says the money comes back, never
// "Thank you! Your payment is confirmed" alone.
func TestOrderPage_SaysWhatTheMerchantDid(t *testing.T) {
	ts := startShopWith(t, shopSetup{App: []func(*app){withQuickMailPoll}})
	addAdmin(t, ts, adminEmail)
	boss := adminSession(t, ts, adminEmail)
	page := func(o placedOrder) (message, delivery string) {
		_, doc := ts.newShopper(t).get("/orders/" + o.Ref + "?token=" + o.Token)
		return testIDText(doc, "order-message"), testIDText(doc, "fulfilment-state")
	}
	act := func(o placedOrder, action string, form url.Values) {
		if p := orderAction(t, boss, o.Ref, action, form); p.Status != http.StatusSeeOther {
			t.Fatalf("%s %s: %d %q", action, o.Ref, p.Status, textOf(p.Doc))
		}
	}

	shipped := cardOrder(t, ts, "espresso-beans", 1)
	act(shipped, "certify", url.Values{})
	if msg, _ := page(shipped); !strings.Contains(msg, "Your payment is confirmed") {
		t.Errorf("paid: the page says %q", msg)
	}
	act(shipped, "ship", url.Values{"tracking": {"6A123"}})
	if msg, state := page(shipped); !strings.Contains(msg, "on its way") || !strings.Contains(state, "Delivery: Shipped") {
		t.Errorf("shipped: the page says %q, delivery %q", msg, state)
	}

	cancelled := cardOrder(t, ts, "espresso-beans", 1)
	act(cancelled, "certify", url.Values{})
	act(cancelled, "cancel", url.Values{"reason": {"Out of beans"}})
	if msg, _ := page(cancelled); !strings.Contains(msg, "cancelled") || !strings.Contains(msg, "refunds") || strings.Contains(msg, "confirmed") ||
		!strings.Contains(msg, "“Out of beans”") {
		t.Errorf("cancelled after payment: the page says %q", msg)
	}

	// A pick-up order (no delivery address) is ready, not shipped.
	pickUp := cardOrder(t, ts, "espresso-beans", 1)
	ts.exec(t, `UPDATE orders SET ship_name = '', ship_line1 = '', ship_line2 = '', ship_postcode = '', ship_city = '', ship_country = '' WHERE id = ?`, pickUp.ID)
	act(pickUp, "certify", url.Values{})
	if _, doc := boss.get("/admin/orders/" + pickUp.Ref); byID(doc, "ship-tracking") != nil || len(byTestID(doc, "ship-form")) != 1 {
		t.Error("the pick-up order's ready form asks for a tracking number (or is missing)")
	}
	act(pickUp, "ship", url.Values{})
	if _, doc := boss.get("/admin/orders/" + pickUp.Ref); !strings.Contains(testIDText(doc, "flash"), "ready for pick-up") {
		t.Errorf("the admin is told %q", testIDText(doc, "flash"))
	}
	if msg, state := page(pickUp); !strings.Contains(msg, "ready") || !strings.Contains(state, "Delivery: Ready for pick-up") {
		t.Errorf("pick-up: the page says %q, delivery %q", msg, state)
	}
}

// The admin's order search reads names and addresses as the catalogue search reads
// products: without case or accents ("zoe" finds Zoé, "oeuvray" finds Œuvray).
func TestAdminOrders_SearchIgnoresAccentsAndCase(t *testing.T) {
	ts := startAdminShop(t)
	sh := ts.newShopper(t)
	o := placeOrder(t, ts, sh, "honey", 1)
	other := placeOrder(t, ts, ts.newShopper(t), "honey", 1)
	ts.exec(t, `UPDATE orders SET name = 'José Françoise Œuvray', email = 'jf@example.com' WHERE id = ?`, o.ID)
	admin := ts.newShopper(t)
	adminLogin(t, admin, adminEmail)
	for _, q := range []string{"francoise", "FRANÇOISE", "josé", "oeuvray", "œuvray", "JF@EXAMPLE", o.Ref} {
		_, doc := admin.get("/admin/orders?q=" + url.QueryEscape(q))
		body := textOf(doc)
		if !strings.Contains(body, o.Ref) || strings.Contains(body, other.Ref) {
			t.Errorf("search %q: finds %s %v, %s %v; want only the first", q, o.Ref, strings.Contains(body, o.Ref), other.Ref, strings.Contains(body, other.Ref))
		}
	}
}

// A customer who lost the confirmation gets it again on the merchant's word: once per
// click, to the customer only, recorded in the history; an order not yet paid has none
// to send, and nothing is queued.
func TestAdminOrder_SendTheDetailsAgain(t *testing.T) {
	ts := startAdminShop(t)
	boss := adminSession(t, ts, adminEmail)
	o := cardOrder(t, ts, "mug", 1)
	toShopper := func() int64 {
		return ts.queryInt(t, `SELECT count(*) FROM outbox WHERE order_id = ? AND recipient = (SELECT email FROM orders WHERE id = ?)`, o.ID, o.ID)
	}
	before := toShopper()
	all := ts.queryInt(t, `SELECT count(*) FROM outbox`)
	if _, doc := boss.get("/admin/orders/" + o.Ref); len(byTestID(doc, "send-details")) != 1 {
		t.Fatal("a paid order's page offers no way to send its details again")
	}
	if p := orderAction(t, boss, o.Ref, "send-details", nil); p.Status != http.StatusSeeOther {
		t.Fatalf("send the details again: %d %q", p.Status, textOf(p.Doc))
	}
	if got := toShopper(); got != before+1 {
		t.Errorf("%d mails to the customer, want %d", got, before+1)
	}
	if got := ts.queryInt(t, `SELECT count(*) FROM outbox`); got != all+1 {
		t.Errorf("%d mails queued in all, want one more (%d): the merchant's are not sent again", got, all+1)
	}
	subjects := ts.queryText(t, `SELECT group_concat(DISTINCT subject) FROM outbox WHERE order_id = ? AND recipient = (SELECT email FROM orders WHERE id = ?)`, o.ID, o.ID)
	if strings.Contains(subjects, ",") {
		t.Errorf("the mail sent again is not the confirmation: subjects %q", subjects)
	}
	if _, doc := boss.get("/admin/orders/" + o.Ref); !strings.Contains(textOf(doc), "Order details sent again to the customer") {
		t.Error("the order's history does not record the mail sent again")
	}

	// Cancelled since (or shipped), the confirmation would say the order is being
	// prepared: not offered, and refused.
	if p := orderAction(t, boss, o.Ref, "cancel", url.Values{"reason": {"Out of mugs"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("cancel: %d", p.Status)
	}
	if _, doc := boss.get("/admin/orders/" + o.Ref); len(byTestID(doc, "send-details")) != 0 {
		t.Error("a cancelled order offers to send its confirmation again")
	}
	if p := orderAction(t, boss, o.Ref, "send-details", nil); p.Status != http.StatusConflict {
		t.Errorf("the details of a cancelled order: %d, want 409", p.Status)
	}

	unpaid := placeOrder(t, ts, ts.newShopper(t), "mug", 1)
	all = ts.queryInt(t, `SELECT count(*) FROM outbox`)
	p := orderAction(t, boss, unpaid.Ref, "send-details", nil)
	if msg := testIDText(p.Doc, "refusal"); p.Status != http.StatusConflict || !strings.Contains(msg, "paid (or awaiting certification)") {
		t.Errorf("details of an unpaid order: %d %q, want 409 saying why", p.Status, msg)
	}
	if got := ts.queryInt(t, `SELECT count(*) FROM outbox`); got != all {
		t.Errorf("a refused send queued %d mails", got-all)
	}
}

// A page number past any list shows no rows, whatever its size: one so large that the
// offset overflowed read as page 1 again, under the number asked for.
func TestAdminLists_HugePageNumberShowsNoRows(t *testing.T) {
	ts := startAdminShop(t)
	placeOrder(t, ts, ts.newShopper(t), "honey", 1)
	admin := adminSession(t, ts, adminEmail)
	for path, row := range map[string]string{"/admin/orders": "order-row", "/admin/products": "product-row"} {
		p := admin.getPage(path + "?page=400000000000000000")
		if p.Status != http.StatusOK || len(byTestID(p.Doc, row)) != 0 {
			t.Errorf("%s at a huge page: %d with %d rows, want 200 and none", path, p.Status, len(byTestID(p.Doc, row)))
		}
		if p := admin.getPage(path); len(byTestID(p.Doc, row)) == 0 {
			t.Errorf("%s: no rows on page 1 (the test proves nothing)", path)
		}
	}
}
