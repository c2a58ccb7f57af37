package main

// The admin's mail outbox through the real router (issue #6): every mail with its
// status and last error, a failed one sent again, and without SMTP a viewer for the .eml
// files that never shows a card digit, though the merchant's file holds them.

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// mailRow is the outbox list's row of the mail with this key, or nil.
func mailRow(t *testing.T, ts *testShop, doc *html.Node, key string) *html.Node {
	t.Helper()
	id := ts.queryText(t, `SELECT CAST(id AS TEXT) FROM outbox WHERE key = ?`, key)
	return adminFirst(findAll(doc, func(n *html.Node) bool { return attrIs(n, "data-mail-id", id) }))
}

func TestAdminMail_ListResendAndViewerWithoutCardDigits(t *testing.T) {
	ts := startShopWith(t, shopSetup{App: []func(*app){withQuickMailPoll}})
	addAdmin(t, ts, adminEmail)
	o := cardOrder(t, ts, "french-press", 1)
	waitForOutbox(t, ts, `SELECT count(*) FROM outbox WHERE status = 'sent'`, 2, 20*time.Second)
	merchantKey, shopperKey := ts.mailKey(t, o.Ref, "merchant-completed"), ts.mailKey(t, o.Ref, "shopper-confirmation")

	// The merchant's file holds the digits, by design: it stands in for the real mail.
	files, err := filepath.Glob(filepath.Join(ts.Dir, "mail", "*.eml"))
	if err != nil || len(files) != 2 {
		t.Fatalf("mail folder holds %d files (%v), want 2", len(files), err)
	}
	withDigits := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), adminTestTail) {
			withDigits++
		}
		// Never the stored part: with the six digits it would be the whole number on disk.
		if strings.Contains(string(b), adminTestStored) {
			t.Errorf("%s holds the stored part of the number %s", filepath.Base(f), adminTestStored)
		}
	}
	if withDigits != 1 {
		t.Fatalf("%d mail files hold the six digits, want the merchant's one", withDigits)
	}

	admin := adminSession(t, ts, adminEmail)
	_, doc := admin.get("/admin/mail")
	if len(byTestID(doc, "mail-folder")) != 1 {
		t.Error("the page does not say mails go to a folder")
	}
	merchant := mailRow(t, ts, doc, merchantKey)
	if merchant == nil || testIDText(merchant, "mail-status") != "sent" || testIDText(merchant, "mail-to") != ts.cfg.Merchant {
		t.Fatalf("the merchant's mail is not listed as sent: %q", textOf(merchant))
	}
	// The row links to its order's page, which opens.
	links := findAll(merchant, func(n *html.Node) bool { return n.Data == "a" && strings.HasPrefix(textOf(n), "Order ") })
	if len(links) != 1 || textOf(links[0]) != "Order "+o.Ref {
		t.Fatalf("the merchant's mail row links to %d orders, want one named %s", len(links), o.Ref)
	}
	if href, _ := attr(links[0], "href"); admin.getPage(href).Status != http.StatusOK {
		t.Errorf("the mail's order link %q does not open the order", href)
	}
	view, _ := attr(adminFirst(byTestID(merchant, "view-eml")), "href")
	p := admin.getPage(view)
	if p.Status != http.StatusOK {
		t.Fatalf("GET %s: %d", view, p.Status)
	}
	body := testIDText(p.Doc, "eml-body")
	for _, want := range []string{"ORDER " + o.Ref, "CARD TO CHARGE", "Brand: Visa", "Missing card digits (last 6): ••••••",
		"Other digits: kept with the order.", "Total incl. VAT"} {
		if !strings.Contains(body, want) {
			t.Errorf("the viewer's body lacks %q:\n%s", want, body)
		}
	}
	for _, secret := range []string{adminTestTail, adminTestStored[:7], adminTestStored[:6]} {
		if strings.Contains(string(p.Body), secret) {
			t.Errorf("the viewer shows %q", secret)
		}
	}
	if len(byTestID(p.Doc, "eml-masked")) != 1 || !strings.Contains(testIDText(p.Doc, "eml-to"), ts.cfg.Merchant) {
		t.Errorf("the viewer does not say it masked digits, or lost the recipient")
	}

	// A mail that failed shows its last error and can be sent again, once.
	ts.exec(t, `UPDATE outbox SET status = 'failed', attempts = 30, sent_at = NULL,
		last_error = 'gave up after 30 attempts: 550 5.1.1 mailbox unavailable' WHERE key = ?`, shopperKey)
	_, doc = admin.get("/admin/mail?status=failed")
	rows := byTestID(doc, "mail-row")
	if len(rows) != 1 || !strings.Contains(testIDText(rows[0], "mail-error"), "550 5.1.1 mailbox unavailable") {
		t.Fatalf("failed mails listed: %d, error %q", len(rows), testIDText(adminFirst(rows), "mail-error"))
	}
	action, _ := attr(adminFirst(byTestID(rows[0], "resend-form")), "action")
	if p := admin.submit(action, nil); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/mail" {
		t.Fatalf("resend: %d to %q", p.Status, p.Header.Get("Location"))
	}
	if got := testIDText(admin.getPage("/admin/mail").Doc, "flash"); !strings.Contains(got, "queued again") {
		t.Errorf("flash after resending: %q", got)
	}
	waitForOutbox(t, ts, `SELECT count(*) FROM outbox WHERE status = 'sent' AND last_error = '' AND key = '`+shopperKey+`'`, 1, 20*time.Second)
	p = admin.submit(action, nil) // the same button, from the page before
	if p.Status != http.StatusConflict || !strings.Contains(testIDText(p.Doc, "refusal"), "Only a mail that failed") {
		t.Errorf("resending a sent mail: %d %q", p.Status, testIDText(p.Doc, "refusal"))
	}
	if p := admin.getPage("/admin/mail/999/eml"); p.Status != http.StatusNotFound {
		t.Errorf("the viewer for a mail with no file: %d", p.Status)
	}
	checkNoServerErrorsLogged(t, ts)
}

// With an SMTP server, mails are not kept as files: the page offers no viewer and its
// address finds nothing.
func TestAdminMail_NoViewerWithSMTP(t *testing.T) {
	sink := startSMTP(t)
	ts := startShopWith(t, shopSetup{Env: smtpEnv(t, sink.Addr), App: []func(*app){withQuickMailPoll}})
	addAdmin(t, ts, adminEmail)
	cardOrder(t, ts, "mug", 1)
	sink.waitForMessages(t, 2, 20*time.Second)
	waitForOutbox(t, ts, `SELECT count(*) FROM outbox WHERE status = 'sent'`, 2, 20*time.Second)
	admin := adminSession(t, ts, adminEmail)
	_, doc := admin.get("/admin/mail")
	if n := len(byTestID(doc, "mail-row")); n != 2 {
		t.Errorf("%d mails listed, want 2", n)
	}
	if len(byTestID(doc, "view-eml")) != 0 || len(byTestID(doc, "mail-folder")) != 0 {
		t.Error("the page offers the file viewer with SMTP configured")
	}
	if p := admin.getPage("/admin/mail/1/eml"); p.Status != http.StatusNotFound {
		t.Errorf("GET /admin/mail/1/eml with SMTP: %d, want 404", p.Status)
	}
	if p := admin.getPage("/admin/mail?status=" + url.QueryEscape("bogus")); p.Status != http.StatusOK {
		t.Errorf("an unknown status filter: %d", p.Status)
	}
}
