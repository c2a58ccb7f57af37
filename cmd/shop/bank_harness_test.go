package main

// Helpers for the bank redirect tests (CM-CIC p@iement / Monetico): placing an order
// through HTTP, reading the hand-off form, paying at the embedded sandbox bank, and
// sending notifications as the bank would, signed in the test. Names start with "bank"
// so they do not collide with the shared harness.

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"shop/checkout"
	"shop/payment/cmcic"
)

// The sandbox terminal the demo shop is wired with (cmd/shop/payments.go), restated here
// so that the tests do not only trust the shop's own constants.
const (
	bankTPE     = "1234567"
	bankKey     = "12345678901234567890123456789012345678P0"
	bankSociete = "demoshop"
	// bankUsableKeyHex is bankKey made usable by hand, per the spec: characters 38–39 are
	// 'P' (80, strictly between 70 and 97) and '0', so 'P' becomes chr(80−23) = '9'.
	bankUsableKeyHex = "1234567890123456789012345678901234567890"
)

// The test cards of payment/cmcic/sandbox.
const (
	bankCardOK        = "4242424242424242"
	bankCardRefused   = "4000000000000002"
	bankCard3DS       = "4000000000003220"
	bankCardDuplicate = "4000000000000077"
	bankCardLate      = "4000000000000341"
)

var bankFormats = []cmcic.Format{cmcic.Current, cmcic.Legacy}

// startBankShop starts a demo shop (sandbox bank mounted) whose terminal seals in format.
func startBankShop(t *testing.T, format cmcic.Format) *testShop {
	t.Helper()
	return startShopWith(t, shopSetup{Env: map[string]string{"SHOP_CMCIC_SEAL": format.String()}})
}

// bankTerminal is the bank's side of the demo terminal, built in the test.
func bankTerminal(t *testing.T, format cmcic.Format) cmcic.Config {
	t.Helper()
	key, err := cmcic.ParseKey(bankKey)
	if err != nil {
		t.Fatalf("parse the demo key: %v", err)
	}
	return cmcic.Config{TPE: bankTPE, Key: key, Societe: bankSociete, Format: format}
}

// bankPlaceOrder adds a product to the shopper's cart, fills the order form and places
// the order through HTTP; it returns the order's reference.
func bankPlaceOrder(t *testing.T, ts *testShop, sh *shopper) string {
	t.Helper()
	sh.addToCart("espresso-beans", 1)
	st, doc := sh.get("/checkout")
	if st != http.StatusOK {
		t.Fatalf("GET /checkout: status %d", st)
	}
	p := sh.submit("/checkout", url.Values{
		"email": {"ada@example.com"}, "name": {"Ada Lovelace"}, "phone": {"+33 4 72 00 00 00"},
		"billing_line1": {"12 rue des Tanneurs"}, "billing_postcode": {"69001"}, "billing_city": {"Lyon"},
		"billing_country": {"FR"}, "delivery": {"home"}, "terms": {"1"},
		"submission": {bankInputValue(doc, "submission")}, "shown": {bankInputValue(doc, "shown")},
	})
	loc := p.Header.Get("Location")
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/orders/") || !strings.HasSuffix(loc, "/pay") {
		t.Fatalf("place order: status %d, Location %q; page says %q", p.Status, loc, textOf(p.Doc))
	}
	return strings.TrimSuffix(strings.TrimPrefix(loc, "/orders/"), "/pay")
}

// bankInputValue is the value of the first input named name in doc, or "".
func bankInputValue(doc *html.Node, name string) string {
	for _, n := range findAll(doc, func(n *html.Node) bool { return isElem(n, "input") && attrIs(n, "name", name) }) {
		v, _ := attr(n, "value")
		return v
	}
	return ""
}

// bankFormFields lists the inputs of a form as name → values, in document order.
func bankFormFields(form *html.Node) url.Values {
	v := url.Values{}
	for _, in := range findAll(form, func(n *html.Node) bool { return isElem(n, "input") }) {
		name, _ := attr(in, "name")
		if name == "" {
			continue
		}
		value, _ := attr(in, "value")
		v.Add(name, value)
	}
	return v
}

// bankOrder is what the tests read of an order row.
type bankOrder struct {
	ID                                    int64
	Token, State, Method, Auth, Status3DS string
	TotalCents                            int64
	Currency                              string
	ExpiresAt                             time.Time
}

func bankOrderRow(t *testing.T, ts *testShop, ref string) bankOrder {
	t.Helper()
	var o bankOrder
	err := ts.store().R.QueryRowContext(context.Background(), `SELECT id, access_token, payment_state, payment_method,
		auth_number, status_3ds, total_cents, currency, expires_at FROM orders WHERE reference = ?`, ref).
		Scan(&o.ID, &o.Token, &o.State, &o.Method, &o.Auth, &o.Status3DS, &o.TotalCents, &o.Currency, &o.ExpiresAt)
	if err != nil {
		t.Fatalf("read order %s: %v", ref, err)
	}
	return o
}

// bankOrderSnapshot is the whole order row written out, column by column, to show that
// a request changed nothing at all.
func bankOrderSnapshot(t *testing.T, ts *testShop, ref string) string {
	t.Helper()
	rows, err := ts.store().R.QueryContext(context.Background(), `SELECT * FROM orders WHERE reference = ?`, ref)
	if err != nil {
		t.Fatalf("read order %s: %v", ref, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatalf("order %s not found", ref)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i, c := range cols {
		fmt.Fprintf(&b, "%s=%v\n", c, vals[i])
	}
	return b.String()
}

// bankMerchantMails counts the outbox rows addressed to the merchant about ref, but the
// notice of a refused attempt (see bankRefusalMails).
func bankMerchantMails(t *testing.T, ts *testShop, ref string) int64 {
	t.Helper()
	return ts.queryInt(t, `SELECT count(*) FROM outbox WHERE recipient = ? AND order_ref = ?
		AND key NOT LIKE '%/merchant-payment-refused'`, ts.cfg.Merchant, ref)
}

// bankRefusalMails counts the notices of a refused payment about ref: to the merchant,
// and to the shopper.
func bankRefusalMails(t *testing.T, ts *testShop, ref string) (merchant, shopper int64) {
	t.Helper()
	count := func(kind string) int64 {
		return ts.queryInt(t, `SELECT count(*) FROM outbox WHERE order_ref = ? AND key LIKE ?`, ref, "%/"+kind)
	}
	return count("merchant-payment-refused"), count("shopper-payment-refused")
}

// bankEvents counts the order's timeline events of one kind ("paid", "payment_refused").
func bankEvents(t *testing.T, ts *testShop, ref, kind string) int64 {
	t.Helper()
	return ts.queryInt(t, `SELECT count(*) FROM order_events e JOIN orders o ON o.id = e.order_id
		WHERE o.reference = ? AND e.kind = ?`, ref, kind)
}

// bankNotificationRow is one recorded notification.
type bankNotificationRow struct {
	Method, Reference, Code, Outcome, Auth, Status3DS string
	OrderID                                           sql.NullInt64
	MACValid                                          bool
}

// bankNotificationsOf lists the recorded notifications whose reference is ref, oldest first.
func bankNotificationsOf(t *testing.T, ts *testShop, ref string) []bankNotificationRow {
	t.Helper()
	rows, err := ts.store().R.QueryContext(context.Background(), `SELECT method, reference, code, outcome, auth_number,
		status_3ds, order_id, mac_valid FROM gateway_notifications WHERE reference = ? ORDER BY id`, ref)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []bankNotificationRow
	for rows.Next() {
		var n bankNotificationRow
		if err := rows.Scan(&n.Method, &n.Reference, &n.Code, &n.Outcome, &n.Auth, &n.Status3DS, &n.OrderID, &n.MACValid); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// bankPaymentState is the text of the order page's payment state.
func bankPaymentState(t *testing.T, p *page) string {
	t.Helper()
	nodes := byTestID(p.Doc, "payment-state")
	if len(nodes) != 1 {
		t.Fatalf("want one payment-state on the page (status %d), found %d; page says %q", p.Status, len(nodes), textOf(p.Doc))
	}
	return textOf(nodes[0])
}

// --- notifications, as the bank sends them ---

// bankNotice is what a notification says; bankNoticeFields writes it as the bank does.
type bankNotice struct {
	Ref, Code, Auth, Refusal string
	Cents                    int64
	TPE                      string // default bankTPE
}

// bankNoticeFields are the fields of a notification in the terminal's format (the
// current format adds modepaiement, cbmasquee and authentification), not yet sealed.
func bankNoticeFields(format cmcic.Format, n bankNotice) []cmcic.Field {
	tpe := n.TPE
	if tpe == "" {
		tpe = bankTPE
	}
	status3DS, authStatus, shift, pares := "1", "authenticated", "Y", "Y"
	if n.Refusal != "" {
		status3DS, authStatus, shift, pares = "4", "not_authenticated", "N", "N"
	}
	fields := []cmcic.Field{
		{Name: "TPE", Value: tpe},
		{Name: "date", Value: time.Now().Format(cmcic.NotifyDateLayout)},
		{Name: "montant", Value: cmcic.FormatAmount(n.Cents, "EUR")},
		{Name: "reference", Value: n.Ref},
		{Name: "texte-libre", Value: "Order " + n.Ref},
		{Name: "code-retour", Value: n.Code},
		{Name: "cvx", Value: "oui"},
		{Name: "vld", Value: "1230"},
		{Name: "brand", Value: "VI"},
		{Name: "status3ds", Value: status3DS},
		{Name: "numauto", Value: n.Auth},
		{Name: "motifrefus", Value: n.Refusal},
		{Name: "originecb", Value: "FRA"},
		{Name: "bincb", Value: "424242"},
		{Name: "hpancb", Value: "74E94B03C22D786E0F2C2CADBFC1C00B004B7C45"},
		{Name: "ipclient", Value: "127.0.0.1"},
		{Name: "originetr", Value: "FRA"},
		{Name: "veres", Value: "Y"},
		{Name: "pares", Value: pares},
	}
	if format == cmcic.Current {
		auth := fmt.Sprintf(`{"protocol":"3DSecure","version":"2.2.0","status":%q,"details":{"liabilityShift":%q}}`, authStatus, shift)
		fields = append(fields,
			cmcic.Field{Name: "modepaiement", Value: "CB"},
			cmcic.Field{Name: "cbmasquee", Value: "42424242******42"},
			cmcic.Field{Name: "authentification", Value: base64.StdEncoding.EncodeToString([]byte(auth))})
	}
	return fields
}

// bankWant3DS is the order's status_3ds that an accepted bankNoticeFields notification
// leaves: legacy status3ds, or the current format's "status/liabilityShift".
func bankWant3DS(format cmcic.Format) string {
	if format == cmcic.Current {
		return "authenticated/Y"
	}
	return "1"
}

// bankValues turns fields into request parameters.
func bankValues(fields []cmcic.Field) url.Values {
	v := url.Values{}
	for _, f := range fields {
		v.Add(f.Name, f.Value)
	}
	return v
}

// bankSealed is n sealed with the terminal's key by payment/cmcic.
func bankSealed(t *testing.T, format cmcic.Format, n bankNotice) url.Values {
	t.Helper()
	return bankValues(bankTerminal(t, format).SealNotification(bankNoticeFields(format, n)))
}

// bankHandMAC computes the seal by hand, from the spec rather than from payment/cmcic:
// HMAC-SHA1 with the usable key over, in the current format, every field but MAC as
// name=value sorted by name in byte order joined by '*'; in the legacy format, the 20
// positional values each followed by '*', with 3.0 as the version.
func bankHandMAC(t *testing.T, format cmcic.Format, v url.Values) string {
	t.Helper()
	key, err := hex.DecodeString(bankUsableKeyHex)
	if err != nil {
		t.Fatal(err)
	}
	var sealed string
	if format == cmcic.Current {
		names := make([]string, 0, len(v))
		for name := range v {
			if name != "MAC" {
				names = append(names, name)
			}
		}
		sort.Strings(names) // byte order: digits < upper case < lower case
		parts := make([]string, len(names))
		for i, name := range names {
			parts[i] = name + "=" + v.Get(name)
		}
		sealed = strings.Join(parts, "*")
	} else {
		for _, name := range []string{"TPE", "date", "montant", "reference", "texte-libre", "version", "code-retour",
			"cvx", "vld", "brand", "status3ds", "numauto", "motifrefus", "originecb", "bincb", "hpancb", "ipclient",
			"originetr", "veres", "pares"} {
			value := v.Get(name)
			if name == "version" {
				value = "3.0"
			}
			sealed += value + "*"
		}
	}
	return bankHMAC(key, sealed)
}

func bankHMAC(key []byte, data string) string {
	m := hmac.New(sha1.New, key)
	io.WriteString(m, data)
	return hex.EncodeToString(m.Sum(nil))
}

// bankAck is the shop's answer to a notification.
type bankAck struct {
	Status      int
	ContentType string
	Body        string
	Cookies     int
}

// bankNotifier sends notifications to a shop the way the bank does: no cookie jar, no
// CSRF token, server to server. It counts what it sent.
type bankNotifier struct {
	ts     *testShop
	client *http.Client
	sent   int64
}

func newBankNotifier(t *testing.T, ts *testShop) *bankNotifier {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	t.Cleanup(tr.CloseIdleConnections)
	return &bankNotifier{ts: ts, client: &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// send posts v (method POST) or puts it in the query string (GET, the replay link). It
// is safe from any goroutine; the caller counts concurrent sends itself.
func (n *bankNotifier) send(method string, v url.Values) (bankAck, error) {
	return n.sendTo("", method, v)
}

// sendTo is send to the notification URL followed by query ("?a=b" or empty), as the
// URL a merchant registered with the bank may be.
func (n *bankNotifier) sendTo(query, method string, v url.Values) (bankAck, error) {
	target := n.ts.URL + checkout.NotifyPath + query
	var body io.Reader
	if method == http.MethodGet || method == http.MethodHead {
		target += "?" + v.Encode()
	} else {
		body = strings.NewReader(v.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		return bankAck{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := n.client.Do(req)
	if err != nil {
		return bankAck{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return bankAck{}, err
	}
	return bankAck{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Body: string(b),
		Cookies: len(resp.Cookies())}, nil
}

// notify sends one notification from the test's goroutine and returns the answer.
func (n *bankNotifier) notify(t *testing.T, method string, v url.Values) bankAck {
	t.Helper()
	n.sent++
	a, err := n.send(method, v)
	if err != nil {
		t.Fatalf("%s notification: %v", method, err)
	}
	return a
}

// expectBankAck checks the protocol's answer: HTTP 200, text/plain, the exact body.
func expectBankAck(t *testing.T, a bankAck, want string) {
	t.Helper()
	if a.Status != http.StatusOK || a.ContentType != "text/plain" || a.Body != want {
		t.Errorf("answer = %d %q %q, want 200 text/plain %q", a.Status, a.ContentType, a.Body, want)
	}
	if a.Cookies != 0 {
		t.Errorf("the notification's answer sets %d cookies; the bank has no session", a.Cookies)
	}
}

// --- the sandbox bank, over HTTP ---

// bankHandoff reads the hand-off page of ref and returns its form's action and fields.
func bankHandoff(t *testing.T, sh *shopper, ref string) (string, url.Values) {
	t.Helper()
	p := sh.getPage("/orders/" + ref + "/pay/cmcic")
	if p.Status != http.StatusOK {
		t.Fatalf("GET hand-off of %s: status %d; page says %q", ref, p.Status, textOf(p.Doc))
	}
	forms := byTestID(p.Doc, "bank-form")
	if len(forms) != 1 {
		t.Fatalf("hand-off page: want one bank-form, found %d", len(forms))
	}
	action, _ := attr(forms[0], "action")
	if m, _ := attr(forms[0], "method"); !strings.EqualFold(m, "post") {
		t.Errorf("bank form method = %q, want post", m)
	}
	return action, bankFormFields(forms[0])
}

// bankPost posts a form to an absolute URL on the shop's server (the sandbox bank lives
// there under /_bank/), as the shopper's browser does.
func bankPost(t *testing.T, ts *testShop, sh *shopper, target string, form url.Values) *page {
	t.Helper()
	if !strings.HasPrefix(target, ts.URL+"/") {
		t.Fatalf("form posts to %q, not to the shop's server %s", target, ts.URL)
	}
	return sh.fetch(http.MethodPost, strings.TrimPrefix(target, ts.URL), form, nil)
}

// bankFollow reads an absolute link on the shop's server.
func bankFollow(t *testing.T, ts *testShop, sh *shopper, link string) *page {
	t.Helper()
	if !strings.HasPrefix(link, ts.URL+"/") {
		t.Fatalf("link %q does not lead to the shop's server %s", link, ts.URL)
	}
	return sh.getPage(strings.TrimPrefix(link, ts.URL))
}

// bankFormOn is the one form with this data-testid on a sandbox page, with its absolute
// action and its fields.
func bankFormOn(t *testing.T, p *page, base, testID string) (string, url.Values) {
	t.Helper()
	forms := byTestID(p.Doc, testID)
	if len(forms) != 1 {
		t.Fatalf("want one %s on the bank's page (status %d), found %d; page says %q", testID, p.Status, len(forms), textOf(p.Doc))
	}
	action, _ := attr(forms[0], "action")
	b, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	a, err := url.Parse(action)
	if err != nil {
		t.Fatal(err)
	}
	return b.ResolveReference(a).String(), bankFormFields(forms[0])
}

// bankPayAtSandbox takes ref from the hand-off page to the sandbox bank and pays there
// with number (and, for the 3-D Secure card, the code); it returns the bank's last page.
func bankPayAtSandbox(t *testing.T, ts *testShop, sh *shopper, ref, number string) *page {
	t.Helper()
	action, fields := bankHandoff(t, sh, ref)
	cardPage := bankPost(t, ts, sh, action, fields)
	if cardPage.Status != http.StatusOK {
		t.Fatalf("the sandbox refused the hand-off form: status %d; page says %q", cardPage.Status, textOf(cardPage.Doc))
	}
	if got := textOf(bankFirst(byTestID(cardPage.Doc, "banner"))); got != "Sandbox bank — no real payment" {
		t.Errorf("bank page banner = %q", got)
	}
	cardAction, card := bankFormOn(t, cardPage, action, "card-form")
	card.Set("number", number)
	card.Set("expiry", time.Now().AddDate(2, 0, 0).Format("01/06"))
	card.Set("cvc", "123")
	p := bankPost(t, ts, sh, cardAction, card)
	if number == bankCard3DS {
		secureAction, secure := bankFormOn(t, p, cardAction, "secure-form")
		secure.Set("code", "1234")
		p = bankPost(t, ts, sh, secureAction, secure)
	}
	if p.Status != http.StatusOK || len(byTestID(p.Doc, "result")) != 1 {
		t.Fatalf("bank result page: status %d; page says %q", p.Status, textOf(p.Doc))
	}
	return p
}

// bankReturnLink is the "Return to the shop" link of the bank's result page.
func bankReturnLink(t *testing.T, p *page) string {
	t.Helper()
	links := byTestID(p.Doc, "return-link")
	if len(links) != 1 {
		t.Fatalf("bank result page: want one return link, found %d", len(links))
	}
	href, _ := attr(links[0], "href")
	return href
}

func bankFirst(nodes []*html.Node) *html.Node {
	if len(nodes) == 0 {
		return nil
	}
	return nodes[0]
}

type bankHTMLNode = html.Node

func bankMustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func bankDecodeB64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

// bankHandFormMAC seals an outgoing form by hand, from the spec: current format, every
// field but MAC sorted by name; legacy, the 19 positional values joined by '*'.
func bankHandFormMAC(t *testing.T, format cmcic.Format, v url.Values) string {
	t.Helper()
	if format == cmcic.Current {
		return bankHandMAC(t, format, v) // the same rule as for notifications
	}
	var vals []string
	for _, name := range []string{"TPE", "date", "montant", "reference", "texte-libre", "version", "lgue", "societe",
		"mail", "nbrech", "dateech1", "montantech1", "dateech2", "montantech2", "dateech3", "montantech3",
		"dateech4", "montantech4", "options"} {
		vals = append(vals, v.Get(name))
	}
	return bankHMAC(bankMustHex(t, bankUsableKeyHex), strings.Join(vals, "*"))
}

// bankRecorded is the last recorded notification with the fields it received.
type bankRecorded struct {
	bankNotificationRow
	Fields url.Values
}

func bankLastNotification(t *testing.T, ts *testShop) bankRecorded {
	t.Helper()
	var r bankRecorded
	var raw string
	err := ts.store().R.QueryRowContext(context.Background(), `SELECT method, reference, code, outcome, auth_number,
		status_3ds, order_id, mac_valid, fields FROM gateway_notifications ORDER BY id DESC LIMIT 1`).
		Scan(&r.Method, &r.Reference, &r.Code, &r.Outcome, &r.Auth, &r.Status3DS, &r.OrderID, &r.MACValid, &raw)
	if err != nil {
		t.Fatalf("read the last notification: %v", err)
	}
	if err := json.Unmarshal([]byte(raw), &r.Fields); err != nil {
		t.Fatalf("recorded fields %q: %v", raw, err)
	}
	return r
}
