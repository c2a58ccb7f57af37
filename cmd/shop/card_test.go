package main

// HTTP tests of the card payment flow (issue #4): each refusal beside its field without
// the number, card entry only over a secure connection, no full card number anywhere
// the shop writes, the six e-mailed digits sealed until their mail leaves, and the
// merchant's certification or rejection.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"shop/checkout"
	"shop/payment/card"
	"shop/store"
)

// payByCard reads an order's card form (for its CSRF token) and submits it.
func payByCard(t *testing.T, sh *shopper, ref, brand, number, expiry string) *page {
	t.Helper()
	p := sh.getPage("/orders/" + ref + "/pay/card")
	if p.Status != http.StatusOK || len(byTestID(p.Doc, "card-form")) != 1 {
		t.Fatalf("GET the card form of %s: status %d, page says %q", ref, p.Status, textOf(p.Doc))
	}
	return sh.submit("/orders/"+ref+"/pay/card", url.Values{"brand": {brand}, "number": {number}, "expiry": {expiry}})
}

// luhnCheckDigit is the digit that, appended to partial, makes a number pass Luhn.
func luhnCheckDigit(partial string) byte {
	sum, double := 0, true // the check digit will be undoubled, so partial's last digit doubles
	for i := len(partial) - 1; i >= 0; i-- {
		d := int(partial[i] - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return byte('0' + (10-sum%10)%10)
}

func luhnPasses(number string) bool {
	return len(number) > 1 && luhnCheckDigit(number[:len(number)-1]) == number[len(number)-1]
}

// onlyDigits drops everything but ASCII digits.
func onlyDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// spaced writes a number in groups of four, as printed on a card.
func spaced(number, sep string) string {
	var b strings.Builder
	for i := 0; i < len(number); i += 4 {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(number[i:min(i+4, len(number))])
	}
	return b.String()
}

// --- refusals ---

// Every refused card comes back with 422 and its own message beside its field, the
// card type and expiry kept, the number field empty, and no run of the number's digits
// anywhere in the page.
func TestCardForm_EachRefusalBesideItsFieldWithoutTheNumber(t *testing.T) {
	ts := startShop(t)
	sh := ts.newShopper(t)
	o := placeOrder(t, ts, sh, "postcards", 1)
	twelve := "40128888888" + string(luhnCheckDigit("40128888888"))
	cases := []struct {
		name                   string
		brand, number, expiry  string
		field, want            string
		numberPassesLuhnAndLen bool
	}{
		{"fails Luhn", "visa", "4242424242424241", "12/30", "number", "This is not a valid card number: please check it and type it again.", false},
		{"Visa number, Amex chosen", "amex", "4242424242424242", "12/30", "number", "The number is not an American Express card", true},
		{"Mastercard number, Visa chosen", "visa", "5555 5555 5555 4444", "11/29", "number", "The number is not a Visa card", true},
		{"expired", "visa", "4012888888881881", "01/20", "expiry", "This card has expired.", true},
		{"no month 13", "visa", "4012888888881881", "13/30", "expiry", "Enter the expiry date as MM/YY", true},
		{"expiry not a date", "visa", "4012888888881881", "soon", "expiry", "Enter the expiry date as MM/YY", true},
		{"letters in the number", "visa", "4012 8888 abcd 1881", "12/30", "number", "may contain only digits", false},
		{"twelve digits", "visa", twelve, "12/30", "number", "This type of card is not accepted", true},
		{"no card type", "", "4012888888881881", "12/30", "brand", "Choose the card type.", true},
		{"unknown card type", "jcb", "4012888888881881", "12/30", "brand", "Choose one of the card types offered.", true},
		{"no number", "visa", "", "12/30", "number", "Enter the card number.", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := payByCard(t, sh, o.Ref, c.brand, c.number, c.expiry)
			if p.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422; page says %q", p.Status, textOf(p.Doc))
			}
			forms := byTestID(p.Doc, "card-form")
			if len(forms) != 1 {
				t.Fatalf("%d card forms on the 422 page, want 1", len(forms))
			}
			form := forms[0]
			msgs := byTestID(form, c.field+"-error")
			if len(msgs) != 1 {
				t.Fatalf("want one %s-error, found %d; page says %q", c.field, len(msgs), textOf(p.Doc))
			}
			msg := msgs[0]
			if got := textOf(msg); !strings.Contains(got, c.want) || !strings.HasSuffix(got, ".") {
				t.Errorf("%s-error = %q, want a sentence saying %q", c.field, got, c.want)
			}
			for _, other := range []string{"brand", "number", "expiry"} {
				if other == c.field {
					continue
				}
				// The number is never given back: beside its empty field, the shopper is
				// asked to type it again.
				if got := byTestID(form, other+"-error"); other == "number" && (len(got) != 1 || !strings.Contains(textOf(got[0]), "Type the card number again")) {
					t.Errorf("the emptied number field does not ask for the number again")
				} else if other != "number" && len(got) != 0 {
					t.Errorf("unexpected %s-error: %q", other, textOf(got[0]))
				}
			}
			control := byID(p.Doc, c.field)
			msgID, _ := attr(msg, "id")
			// The message first; a hint may follow it.
			d, _ := attr(control, "aria-describedby")
			if first, _, _ := strings.Cut(d, " "); !attrIs(control, "aria-invalid", "true") || first != msgID || msgID == "" {
				t.Errorf("%s: aria-invalid/aria-describedby do not point at its message %q", c.field, msgID)
			}
			if !insideOrNextTo(control, msg) {
				t.Errorf("the %s message is not beside its field", c.field)
			}
			summary := byTestID(p.Doc, "error-summary")
			if len(summary) != 1 || !precedes(p.Doc, summary[0], form) || !strings.Contains(textOf(summary[0]), textOf(msg)) {
				t.Errorf("want the error summary above the form repeating %q", textOf(msg))
			}
			if got, _ := controlValue(form, "brand"); got != c.brand && c.field != "brand" {
				t.Errorf("card type came back as %q, want %q", got, c.brand)
			}
			if got, _ := controlValue(form, "expiry"); got != c.expiry {
				t.Errorf("expiry came back as %q, want %q", got, c.expiry)
			}
			if got, ok := controlValue(form, "number"); !ok || got != "" {
				t.Errorf("number field = %q (present %v), want it empty", got, ok)
			}
			body := string(p.Body)
			digits := onlyDigits(c.number)
			runs := []string{c.number, digits}
			if len(digits) >= 6 {
				runs = append(runs, digits[len(digits)-6:])
			}
			if len(digits) >= 12 {
				runs = append(runs, digits[:12])
			}
			for _, r := range runs {
				if r != "" && strings.Contains(body, r) {
					t.Errorf("the page contains %q, digits of the number typed", r)
				}
			}
			if got := ts.order(t, o.Ref); got.PaymentState != "awaiting_payment" {
				t.Errorf("order state %q after a refused card", got.PaymentState)
			}
		})
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM card_payments`); n != 0 {
		t.Errorf("%d card records after refused cards only", n)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM outbox`); n != 0 {
		t.Errorf("%d mails queued after refused cards only", n)
	}
	checkLogsFreeOf(t, ts, []string{"4242424242424241", "4012888888881881", "5555555555554444", twelve})
}

// checkLogsFreeOf fails if any of the numbers, plain, spaced or dashed, is in the logs.
func checkLogsFreeOf(t *testing.T, ts *testShop, numbers []string) {
	t.Helper()
	logs := ts.logs.String()
	for _, n := range numbers {
		for _, s := range []string{n, spaced(n, " "), spaced(n, "-")} {
			if strings.Contains(logs, s) {
				t.Errorf("the logs contain the card number %q", s)
			}
		}
	}
}

// fetchAsHost sends one request with this Host header (the client still connects to
// the test shop on 127.0.0.1) and the shopper's cookies; a form gets the shopper's CSRF
// token.
func fetchAsHost(t *testing.T, sh *shopper, method, path, host string, form url.Values, header http.Header) *page {
	t.Helper()
	var body io.Reader
	if form != nil {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set("_csrf", sh.token())
		body = strings.NewReader(f.Encode())
	}
	req, err := http.NewRequest(method, sh.shop.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	// The jar would look its cookies up by the Host header; the browser this stands
	// for holds the shopper's cookies for that name, so send them by hand.
	for _, c := range sh.jar.Cookies(sh.shop.url(t, "/")) {
		req.AddCookie(c)
	}
	client := &http.Client{Transport: sh.client.Transport, Timeout: sh.client.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s (Host %s): %v", method, path, host, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	p := &page{Status: resp.StatusCode, Header: resp.Header, Body: b}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		if p.Doc, err = html.Parse(bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// Card numbers are only taken over HTTPS (directly or through a trusted proxy that
// says so) or from this machine to localhost: a request naming another host over plain
// HTTP gets the "insecure" notice and its POST is refused with 403.
func TestCardForm_OnlyOverASecureConnection(t *testing.T) {
	proxies := map[string]string{"SHOP_TRUSTED_PROXIES": "127.0.0.0/8"}
	https := http.Header{"X-Forwarded-Proto": {"https"}}
	cases := []struct {
		name   string
		env    map[string]string
		host   string // "" keeps 127.0.0.1:port; "localhost" gets the port added
		header http.Header
		secure bool
	}{
		{"127.0.0.1 from this machine", nil, "", nil, true},
		{"localhost from this machine", nil, "localhost", nil, true},
		{"another host name over plain HTTP", nil, "shop.example", nil, false},
		{"another host name with a forwarded https nobody vouches for", nil, "shop.example", https, false},
		{"behind a trusted proxy that says https", proxies, "shop.example", https, true},
		{"behind a trusted proxy that says http", proxies, "shop.example", http.Header{"X-Forwarded-Proto": {"http"}}, false},
		{"behind a trusted proxy that says nothing", proxies, "localhost", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts := startShopWith(t, shopSetup{Env: c.env})
			sh := ts.newShopper(t)
			o := placeOrder(t, ts, sh, "tote-bag", 1)
			host := c.host
			if host == "localhost" {
				host = "localhost:" + strings.Split(ts.Addr, ":")[1]
			}
			path := "/orders/" + o.Ref + "/pay/card"

			get := fetchAsHost(t, sh, http.MethodGet, path, host, nil, c.header)
			if get.Status != http.StatusOK {
				t.Fatalf("GET: status %d", get.Status)
			}
			insecure, forms := len(byTestID(get.Doc, "insecure")), len(byTestID(get.Doc, "card-form"))
			if c.secure && (insecure != 0 || forms != 1) || !c.secure && (insecure != 1 || forms != 0) {
				t.Errorf("GET shows insecure notice %d, card form %d; want secure=%v", insecure, forms, c.secure)
			}
			if !c.secure && len(findAll(get.Doc, func(n *html.Node) bool { return isElem(n, "input") && attrIs(n, "name", "number") })) != 0 {
				t.Errorf("the insecure page still has a card number field")
			}

			post := fetchAsHost(t, sh, http.MethodPost, path, host,
				url.Values{"brand": {"visa"}, "number": {"4012888888881881"}, "expiry": {"12/30"}}, c.header)
			if strings.Contains(string(post.Body), "4012888888881881") || strings.Contains(string(post.Body), "881881") {
				t.Errorf("the answer contains the card number")
			}
			got := ts.order(t, o.Ref)
			if c.secure {
				if post.Status != http.StatusSeeOther || got.PaymentState != "awaiting_certification" {
					t.Errorf("POST: status %d, order %s; want 303 and awaiting_certification", post.Status, got.PaymentState)
				}
				return
			}
			if post.Status != http.StatusForbidden {
				t.Errorf("POST: status %d, want 403", post.Status)
			}
			if !strings.Contains(textOf(post.Doc), "secure (HTTPS) connection") {
				t.Errorf("the 403 page does not say why: %q", textOf(post.Doc))
			}
			if got.PaymentState != "awaiting_payment" || ts.queryInt(t, `SELECT count(*) FROM card_payments`) != 0 {
				t.Errorf("after the refused POST the order is %s with %d card records", got.PaymentState,
					ts.queryInt(t, `SELECT count(*) FROM card_payments`))
			}
		})
	}
}

// --- no full number anywhere ---

// testCard is a card number the tests pay with: brand, digits, and the stored part
// and e-mailed tail it splits into.
type testCard struct {
	Brand, Number, Stored, Tail string
}

func newTestCard(brand, number string) testCard {
	return testCard{Brand: brand, Number: number, Stored: number[:len(number)-6], Tail: number[len(number)-6:]}
}

// distinctTestCards returns n Luhn-valid cards whose last six digits never occur in a
// stored part (their own or another's), nor where stored parts meet the dates next to
// them in the database (expiry year before, today's year after), nor in "00"+year, so
// that finding a tail in the database can only mean it leaked. It takes the public
// test numbers of cards.md that qualify first, then generates Visa and Mastercard ones.
func distinctTestCards(t *testing.T, n int) []testCard {
	t.Helper()
	year := fmt.Sprint(time.Now().Year())
	public := []testCard{
		newTestCard("visa", "4242424242424242"), newTestCard("visa", "4012888888881881"),
		newTestCard("visa", "4111111111111111"), newTestCard("visa", "4007000000027"),
		newTestCard("mastercard", "5555555555554444"), newTestCard("mastercard", "5105105105105100"),
		newTestCard("mastercard", "5200828282828210"), newTestCard("mastercard", "2223003122003222"),
		newTestCard("amex", "378282246310005"), newTestCard("amex", "371449635398431"),
		newTestCard("amex", "370000000000002"),
		newTestCard("diners", "30569309025904"), newTestCard("diners", "38520000023237"),
		newTestCard("diners", "36227206271667"), newTestCard("diners", "3056930009020004"),
	}
	var out []testCard
	fits := func(c testCard) bool {
		if !luhnPasses(c.Number) || strings.Contains("2030"+c.Stored+year, c.Tail) || strings.Contains("00"+year, c.Tail) {
			return false
		}
		for _, o := range out {
			if o.Tail == c.Tail || o.Number == c.Number ||
				strings.Contains("2030"+o.Stored+year, c.Tail) || strings.Contains("2030"+c.Stored+year, o.Tail) {
				return false
			}
		}
		return true
	}
	for _, c := range public {
		if len(out) < n && fits(c) {
			out = append(out, c)
		}
	}
	rng := rand.New(rand.NewPCG(20261123, 4))
	for tries := 0; len(out) < n; tries++ {
		if tries > 10000 {
			t.Fatalf("could only make %d distinct test cards", len(out))
		}
		prefix, brand := "4", "visa"
		if tries%2 == 1 {
			prefix, brand = fmt.Sprint(51+rng.IntN(5)), "mastercard"
		}
		b := []byte(prefix)
		for len(b) < 15 {
			b = append(b, byte('0'+rng.IntN(10)))
		}
		if c := newTestCard(brand, string(b)+string(luhnCheckDigit(string(b)))); fits(c) {
			out = append(out, c)
		}
	}
	return out
}

// tailLeaks lists where tail occurs in data, leaving out look-alikes: digits inside a
// random lowercase-hex value (tokens, visitor ids, claim tokens: a digit run touching
// a letter a–f) and fractions of seconds in timestamps ("hh:mm:ss.<digits>"). A leaked
// tail is written as digits among other text or next to the stored part, which both
// count.
func tailLeaks(data []byte, tail string) (leaks []string, lookalikes int) {
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	isHexLetter := func(c byte) bool { return c >= 'a' && c <= 'f' }
	fraction := regexp.MustCompile(`^\d\d:\d\d:\d\d\.$`)
	for off := 0; ; {
		i := bytes.Index(data[off:], []byte(tail))
		if i < 0 {
			return leaks, lookalikes
		}
		i += off
		off = i + 1
		l, r := i, i+len(tail)
		for l > 0 && isDigit(data[l-1]) {
			l--
		}
		for r < len(data) && isDigit(data[r]) {
			r++
		}
		if (l > 0 && isHexLetter(data[l-1])) || (r < len(data) && isHexLetter(data[r])) ||
			(l >= 9 && fraction.Match(data[l-9:l])) {
			lookalikes++
			continue
		}
		leaks = append(leaks, fmt.Sprintf("at byte %d: %q", i, data[max(0, l-24):min(len(data), r+24)]))
	}
}

// cardSearch searches what the shop wrote for the cards: every file under the data
// directory and the logs for each full number (plain, spaced and dashed), and the
// database files for each tail in clear.
type cardSearch struct {
	files      []string
	bytes      int64
	lookalikes int
}

func searchForCards(t *testing.T, ts *testShop, cards []testCard, when string) cardSearch {
	t.Helper()
	var s cardSearch
	dbFiles := map[string]bool{"shop.db": true, "shop.db-wal": true, "shop.db-shm": true}
	err := filepath.WalkDir(ts.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(ts.Dir, path)
		s.files = append(s.files, fmt.Sprintf("%s (%d bytes)", rel, len(data)))
		s.bytes += int64(len(data))
		for _, c := range cards {
			for _, spelling := range []string{c.Number, spaced(c.Number, " "), spaced(c.Number, "-")} {
				if n := bytes.Count(data, []byte(spelling)); n > 0 {
					t.Errorf("%s: %s holds the full card number %q %d times", when, rel, spelling, n)
				}
			}
			if dbFiles[rel] {
				leaks, lookalikes := tailLeaks(data, c.Tail)
				s.lookalikes += lookalikes
				for _, l := range leaks {
					t.Errorf("%s: %s holds the e-mailed digits %s of %s in clear %s", when, rel, c.Tail, c.Number, l)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk the data directory: %v", err)
	}
	for f := range dbFiles {
		if _, err := os.Stat(filepath.Join(ts.Dir, f)); err != nil && f == "shop.db" {
			t.Errorf("%s: the database file %s is missing: %v", when, f, err)
		}
	}
	checkLogsFreeOf(t, ts, numbersOf(cards))
	return s
}

func numbersOf(cards []testCard) []string {
	out := make([]string, len(cards))
	for i, c := range cards {
		out[i] = c.Number
	}
	return out
}

var (
	merchantSubjectRef = regexp.MustCompile(`New order ([2-9A-HJKMNP-Z]{10})`)
	missingDigitsLine  = regexp.MustCompile(`(?m)^Missing card digits \(last 6\): (\d+)$`)
)

// Twenty card orders with twenty different numbers: no full number in any file of the
// data directory or in the logs, no tail in clear in the database, the tails only in
// the merchant's mails, without the stored part (together they would be the whole
// number): the merchant rebuilds each number from the order's record and the mail.
func TestCardNumbers_NeverWholeOnDiskOrInLogs(t *testing.T) {
	cards := distinctTestCards(t, 20)
	key, err := card.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	sink := startSMTP(t)
	env := smtpEnv(t, sink.Addr)
	env["SHOP_CARD_KEY"] = key.String()
	ts := startShopWith(t, shopSetup{Env: env, App: []func(*app){withQuickMailPoll}})

	byRef := map[string]testCard{}
	for i, c := range cards {
		sh := ts.newShopper(t)
		o := placeOrder(t, ts, sh, "espresso-beans", 1)
		typed := c.Number
		if i%2 == 1 {
			typed = spaced(c.Number, " ")
		}
		p := payByCard(t, sh, o.Ref, c.Brand, typed, "12/30")
		if p.Status != http.StatusSeeOther {
			t.Fatalf("card %d (%s): status %d: %q", i, c.Brand, p.Status, textOf(p.Doc))
		}
		byRef[o.Ref] = c
	}
	msgs := sink.waitForMessages(t, 2*len(cards), 60*time.Second)
	waitForOutbox(t, ts, `SELECT count(*) FROM outbox WHERE status = 'sent'`, int64(2*len(cards)), 20*time.Second)
	if n := ts.queryInt(t, `SELECT count(*) FROM outbox WHERE secret IS NOT NULL`); n != 0 {
		t.Errorf("%d outbox rows still hold sealed digits after sending", n)
	}

	// The merchant's mails: one per order, the tail on its labelled line and never the
	// stored part; with the order's card record, the tail rebuilds the number.
	merchant := smtpTo(msgs, "merchant@example.com")
	if len(merchant) != len(cards) {
		t.Errorf("%d merchant mails, want %d", len(merchant), len(cards))
	}
	rebuilt := map[string]bool{}
	for _, m := range merchant {
		sm := merchantSubjectRef.FindStringSubmatch(m.Subject)
		if sm == nil {
			t.Errorf("merchant mail subject %q has no reference", m.Subject)
			continue
		}
		c, ok := byRef[sm[1]]
		if !ok {
			t.Errorf("merchant mail about unknown order %s", sm[1])
			continue
		}
		tails := missingDigitsLine.FindAllStringSubmatch(m.Text, -1)
		if len(tails) != 1 || len(tails[0][1]) != 6 {
			t.Errorf("order %s: merchant mail lacks one six-digit \"Missing card digits (last 6)\" line:\n%s", sm[1], m.Text)
			continue
		}
		if bytes.Contains(m.Raw, []byte(c.Stored)) || strings.Contains(m.Text+m.HTML, c.Stored) || bytes.Contains(m.Raw, []byte(c.Number)) {
			t.Errorf("order %s: the merchant's mail holds the stored part of the number (the whole number with the tail)", sm[1])
		}
		dbStored := ts.queryText(t, `SELECT stored FROM card_payments WHERE order_id = (SELECT id FROM orders WHERE reference = ?)`, sm[1])
		if dbStored+tails[0][1] != c.Number {
			t.Errorf("order %s: stored part %q + mailed digits %q do not rebuild the number paid with", sm[1], dbStored, tails[0][1])
		}
		if strings.Count(m.Text, c.Tail) != 1 {
			t.Errorf("order %s: the tail appears %d times in the merchant's text, want once", sm[1], strings.Count(m.Text, c.Tail))
		}
		rebuilt[sm[1]] = true
	}
	if len(rebuilt) != len(cards) {
		t.Errorf("rebuilt %d numbers from the merchant's mails, want %d", len(rebuilt), len(cards))
	}
	// The shoppers' mails carry no digits of any card.
	shopperMails := smtpTo(msgs, "ada@example.com")
	if len(shopperMails) != len(cards) {
		t.Errorf("%d shopper mails, want %d", len(shopperMails), len(cards))
	}
	for _, m := range shopperMails {
		for _, c := range cards {
			if bytes.Contains(m.Raw, []byte(c.Stored)) {
				t.Errorf("shopper mail %q holds the stored part of %s", m.Subject, c.Number)
			}
			if leaks, _ := tailLeaks(m.Raw, c.Tail); len(leaks) > 0 {
				t.Errorf("shopper mail %q holds the digits %s: %v", m.Subject, c.Tail, leaks)
			}
		}
	}

	running := searchForCards(t, ts, cards, "while serving")
	if err := ts.stop(); err != nil {
		t.Fatal(err)
	}
	stopped := searchForCards(t, ts, cards, "after shutdown")
	t.Logf("searched for %d full card numbers (plain, spaced and dashed: %d strings) in every file of the data directory "+
		"and in %d bytes of logs, and for their %d e-mailed tails in clear in the database files; while serving: %d files "+
		"(%d bytes) %v, %d tail look-alikes inside random hex values or timestamp fractions ignored; after shutdown: "+
		"%d files (%d bytes) %v, %d look-alikes ignored",
		len(cards), 3*len(cards), len(ts.logs.String()), len(cards), len(running.files), running.bytes, running.files,
		running.lookalikes, len(stopped.files), stopped.bytes, stopped.files, stopped.lookalikes)
}

// With the SMTP server down, the merchant's mail waits in the outbox with the six
// digits sealed (never in clear); once the server is back and the retry is due, the
// mail leaves with the digits and the sealed copy is erased.
func TestCardDigits_SealedInTheOutboxUntilTheMailLeaves(t *testing.T) {
	clock := newCheckoutClock()
	addr := unusedLoopbackAddr(t)
	key, err := card.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	env := smtpEnv(t, addr)
	env["SHOP_CARD_KEY"] = key.String()
	ts := startShopWith(t, shopSetup{Env: env, App: []func(*app){withCheckoutClock(clock), withQuickMailPoll}})
	c := newTestCard("visa", "4012888888881881")
	sh := ts.newShopper(t)
	o := placeOrder(t, ts, sh, "grinder", 1)
	if p := payByCard(t, sh, o.Ref, c.Brand, spaced(c.Number, " "), "12/30"); p.Status != http.StatusSeeOther {
		t.Fatalf("card payment with SMTP down: status %d: %q", p.Status, textOf(p.Doc))
	}
	if n := ts.app.orders.MailsRenderedEarly(); n != 2 {
		t.Errorf("%d of the payment's mails were rendered before its transaction, want both", n)
	}
	merchantKey := ts.mailKey(t, o.Ref, "merchant-completed")
	waitForOutbox(t, ts, `SELECT count(*) FROM outbox WHERE status = 'queued' AND attempts >= 1 AND key = '`+merchantKey+`'`, 1, 20*time.Second)

	var sealed []byte
	if err := ts.store().R.QueryRow(`SELECT secret FROM outbox WHERE key = ?`, merchantKey).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if len(sealed) == 0 || bytes.Contains(sealed, []byte(c.Tail)) {
		t.Fatalf("outbox secret = %d bytes, want the digits sealed, not in clear", len(sealed))
	}
	if got, err := key.Open(sealed, o.Ref); err != nil || got != c.Tail {
		t.Errorf("the sealed secret does not open to the card's last six digits with the card key (err %v)", err)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM outbox WHERE secret IS NOT NULL`); n != 1 {
		t.Errorf("%d outbox rows hold a secret, want only the merchant's mail", n)
	}
	searchForCards(t, ts, []testCard{c}, "while the SMTP server is down")

	sink := startSMTPAt(t, addr)
	clock.advance(2 * time.Minute)
	msgs := sink.waitForMessages(t, 2, 20*time.Second)
	merchant := smtpTo(msgs, "merchant@example.com")
	if len(merchant) != 1 || !strings.Contains(merchant[0].Text, "\nMissing card digits (last 6): "+c.Tail+"\n") {
		t.Fatalf("the merchant's mail did not arrive with the digits: %d mails", len(merchant))
	}
	waitForOutbox(t, ts, `SELECT count(*) FROM outbox WHERE status = 'sent'`, 2, 20*time.Second)
	if n := ts.queryInt(t, `SELECT count(*) FROM outbox WHERE secret IS NOT NULL`); n != 0 {
		t.Errorf("the outbox still holds %d sealed secrets after sending", n)
	}
	searchForCards(t, ts, []testCard{c}, "after the mail left")
}

// --- the merchant's decision ---

// Certifying makes the order paid and tells the shopper once; rejecting fails it and
// returns the stock. Either way the stored part shrinks to the first six digits, and a
// second decision changes nothing.
func TestCardPayment_CertifyOrRejectOnceAndReduceTheStoredPart(t *testing.T) {
	cases := []struct {
		name        string
		decide      func(*checkout.Service, context.Context, int64, checkout.Action) error
		state, mail string
		words       string
		stockAfter  int64
	}{
		{"certify", (*checkout.Service).Certify, "paid", "shopper-certified", "Paid", 40 - 2},
		{"reject", (*checkout.Service).Reject, "failed", "shopper-rejected", "Payment failed", 40},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts := startShop(t)
			sh := ts.newShopper(t)
			o := placeOrder(t, ts, sh, "espresso-beans", 2)
			if p := payByCard(t, sh, o.Ref, "mastercard", "5105 1051 0510 5100", "12/30"); p.Status != http.StatusSeeOther {
				t.Fatalf("card payment: status %d", p.Status)
			}
			stored := func() (string, int64) {
				return ts.queryText(t, `SELECT stored FROM card_payments WHERE order_id = ?`, o.ID),
					ts.queryInt(t, `SELECT reduced FROM card_payments WHERE order_id = ?`, o.ID)
			}
			if s, r := stored(); s != "5105105105" || r != 0 {
				t.Fatalf("stored part before the decision = %q (reduced %d), want 5105105105", s, r)
			}
			stock := func() int64 { return ts.queryInt(t, `SELECT stock FROM products WHERE slug = 'espresso-beans'`) }
			if stock() != 38 {
				t.Fatalf("stock = %d, want 38", stock())
			}

			ctx := context.Background()
			action := checkout.Action{Actor: "merchant@example.com", Reason: "checked with the bank"}
			if err := c.decide(ts.app.orders, ctx, o.ID, action); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			got := ts.order(t, o.Ref)
			if got.PaymentState != c.state || got.HasPaidAt != (c.state == "paid") {
				t.Errorf("order %s (paid_at set %v), want %s", got.PaymentState, got.HasPaidAt, c.state)
			}
			if s, r := stored(); s != "510510" || r != 1 {
				t.Errorf("stored part after the decision = %q (reduced %d), want the first six digits 510510", s, r)
			}
			if stock() != c.stockAfter {
				t.Errorf("stock = %d, want %d", stock(), c.stockAfter)
			}
			mails := func() int64 {
				return ts.queryInt(t, `SELECT count(*) FROM outbox WHERE key = ?`, ts.mailKey(t, o.Ref, c.mail))
			}
			if mails() != 1 {
				t.Errorf("%d %s mails, want 1", mails(), c.mail)
			}

			for _, again := range cases {
				err := again.decide(ts.app.orders, ctx, o.ID, action)
				if store.ErrorCode(err) != store.Conflict {
					t.Errorf("%s after %s: err %v, want a conflict", again.name, c.name, err)
				}
			}
			if mails() != 1 || stock() != c.stockAfter || ts.order(t, o.Ref).PaymentState != c.state {
				t.Errorf("a second decision changed something: %d mails, stock %d, state %s", mails(), stock(), ts.order(t, o.Ref).PaymentState)
			}
			if _, doc := sh.get("/orders/" + o.Ref); !strings.Contains(textOf(firstNode(byTestID(doc, "payment-state"))), c.words) {
				t.Errorf("order page payment state = %q, want %q", textOf(firstNode(byTestID(doc, "payment-state"))), c.words)
			}
		})
	}
}

// A second card for an order whose card was already taken (another tab, the back
// button) is not recorded, and the shopper is told so rather than sent back silently.
func TestCardPayment_SecondCardIsRefusedWithAMessage(t *testing.T) {
	ts := startShop(t)
	sh := ts.newShopper(t)
	o := placeOrder(t, ts, sh, "espresso-beans", 1)
	if p := payByCard(t, sh, o.Ref, "visa", "4012888888881881", "12/30"); p.Status != http.StatusSeeOther {
		t.Fatalf("first card: status %d", p.Status)
	}
	// The order page thanks the shopper once: its message, not a flash repeating it.
	if n := strings.Count(string(sh.getPage("/orders/"+o.Ref).Body), "Your card details were received"); n != 1 {
		t.Errorf("the order page after paying says %d times that the card was received, want once", n)
	}
	p := sh.submit("/orders/"+o.Ref+"/pay/card", url.Values{"brand": {"mastercard"}, "number": {"5555555555554444"}, "expiry": {"11/29"}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/orders/"+o.Ref {
		t.Fatalf("second card: status %d to %q, want 303 to the order", p.Status, p.Header.Get("Location"))
	}
	_, doc := sh.get("/orders/" + o.Ref)
	flash := adminFirst(byTestID(doc, "flash"))
	if !strings.Contains(textOf(flash), "already received") {
		t.Errorf("the order page says %q, want it to say the payment was already received", textOf(flash))
	}
	// A refusal reads as one: an alert, not a confirmation's status.
	if class, _ := attr(flash, "class"); !strings.Contains(class, "caution") || !attrIs(flash, "role", "alert") {
		t.Errorf("the refusal is shown with class %q: want an alert", class)
	}
	if strings.Contains(textOf(flash), "\x00") {
		t.Error("the warning's mark shows on the page")
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM card_payments`); n != 1 {
		t.Errorf("%d card records, want the first card's only", n)
	}
	if got := ts.queryText(t, `SELECT brand FROM card_payments`); got != "visa" {
		t.Errorf("recorded brand %q, want the first card's (visa)", got)
	}
}

// TestCardExpiry_OnTheMerchantsCalendar: a card is good through the last day of its
// month in SHOP_TIMEZONE, not in the server's zone: at 23:30 UTC on 30 November it is
// already 1 December in Paris, and a November card has expired there; an hour earlier
// it is still good.
func TestCardExpiry_OnTheMerchantsCalendar(t *testing.T) {
	clock := &checkoutClock{t: time.Date(2026, 11, 30, 22, 30, 0, 0, time.UTC)}
	ts := startShopWith(t, shopSetup{Env: map[string]string{"SHOP_TIMEZONE": "Europe/Paris", "SHOP_PAYMENT_MINUTES": "120"},
		App: []func(*app){withCheckoutClock(clock)}})

	sh := ts.newShopper(t)
	o := placeOrder(t, ts, sh, "grinder", 1)
	clock.advance(time.Hour) // 00:30 on 1 December in Paris
	p := payByCard(t, sh, o.Ref, "visa", "4012888888881881", "11/26")
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(textOf(p.Doc), "This card has expired.") {
		t.Errorf("a November card on 1 December in Paris: status %d, page says %q", p.Status, textOf(p.Doc))
	}

	clock.advance(-time.Hour) // 23:30 on 30 November in Paris
	sh = ts.newShopper(t)
	o = placeOrder(t, ts, sh, "grinder", 1)
	if p := payByCard(t, sh, o.Ref, "visa", "4012888888881881", "11/26"); p.Status != http.StatusSeeOther {
		t.Errorf("a November card on 30 November in Paris: status %d, page says %q", p.Status, textOf(p.Doc))
	}
}

// The card form reads the posted body alone: a number in the address, where logs,
// history and referrers keep it, pays nothing.
func TestCardForm_IgnoresANumberInTheAddress(t *testing.T) {
	ts := startShop(t)
	sh := ts.newShopper(t)
	o := placeOrder(t, ts, sh, "postcards", 1)
	sh.getPage("/orders/" + o.Ref + "/pay/card")
	p := sh.submit("/orders/"+o.Ref+"/pay/card?brand=visa&number=4012888888881881&expiry=12/30", url.Values{})
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422; page says %q", p.Status, textOf(p.Doc))
	}
	if msgs := byTestID(p.Doc, "number-error"); len(msgs) != 1 || !strings.Contains(textOf(msgs[0]), "Enter the card number.") {
		t.Errorf("want the number asked for; page says %q", textOf(p.Doc))
	}
}
