package checkout

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"shop/store"
)

func TestMaskDigitRuns(t *testing.T) {
	tests := []struct {
		in, want string
		masked   bool
	}{
		{"Missing card digits (last 6): 881881", "Missing card digits (last 6): ••••••", true},
		{"Stored part of the number: 4012888888", "Stored part of the number: ••••••••••", true},
		{"note: 4242 4242 4242 4242 thanks", "note: •••• •••• •••• •••• thanks", true},
		{"4242-4242-4242-4242", "••••-••••-••••-••••", true},
		{"69001 Lyon, 2 x €12.90 = €25.80, 18:38", "69001 Lyon, 2 x €12.90 = €25.80, 18:38", false},
		{"12345", "12345", false},
		{"123 456", "••• •••", true},
		{"ends with 123456", "ends with ••••••", true},
		{"12  3456", "12  3456", false}, // two spaces: two numbers
		{"", "", false},
	}
	for _, tt := range tests {
		got, masked := maskDigitRuns(tt.in, 6)
		if got != tt.want || masked != tt.masked {
			t.Errorf("maskDigitRuns(%q) = %q, %v; want %q, %v", tt.in, got, masked, tt.want, tt.masked)
		}
	}
	if got, _ := maskDigitRuns("call 0612345678 or pay 4012888888881881", 13); got != "call 0612345678 or pay ••••••••••••••••" {
		t.Errorf("with 13: %q", got)
	}
}

// The merchant's card-order mail, written to the folder as the development sender does,
// holds the six digits; the viewer's reading of it shows the whole mail but no digit of
// the card.
func TestReadEml_MerchantCardMailShownWithoutCardDigits(t *testing.T) {
	f := newPlaceFixture(t)
	ctx := context.Background()
	key := newTestDigitsKey(t)
	tea := f.product(t, "tea", 950, 550, 10)
	o, _, err := f.svc.Place(ctx, f.fill(t, "v1", map[int64]int{tea: 1}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CompletePayment(ctx, o.ID, Completion{Method: "card", To: AwaitingCertification,
		Card:   &CardDetails{Brand: "Visa", Expiry: "12/2030"},
		Secret: key.Seal("881881", o.Reference),
		Record: func(ctx context.Context, tx *store.Tx, o Order) error { return nil }}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "mail")
	sender, err := NewDirSender(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	box := newTestOutbox(f.db, sender, f.clock, &lockedBuffer{})
	box.Digits = key
	if n, err := box.SendDue(ctx); err != nil || n != 2 {
		t.Fatalf("SendDue = %d, %v", n, err)
	}
	id := int64(f.count(t, `SELECT id FROM outbox WHERE key LIKE '%merchant-completed'`))
	name, err := emlFileOf(dir, id)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "881881") {
		t.Fatal("the file lacks the digits: the test proves nothing")
	}
	m, err := readEml(data, store.Zone{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Subject, o.Reference) || m.To != "merchant@example.com" || m.Date == "" {
		t.Errorf("headers: subject %q to %q date %q", m.Subject, m.To, m.Date)
	}
	if !strings.Contains(m.Text, "Missing card digits (last 6): 881881") {
		t.Fatalf("the plain-text part was not decoded:\n%s", m.Text)
	}
	body, masked := maskDigitRuns(m.Text, 6)
	ref, _ := maskDigitRuns(o.Reference, 6) // a random reference may hold six digits in a row too
	if !masked || strings.Contains(body, "881881") || strings.Contains(body, "401288") ||
		!strings.Contains(body, "Missing card digits (last 6): ••••••") || !strings.Contains(body, "ORDER "+ref) {
		t.Errorf("masked body:\n%s", body)
	}
	if _, err := emlFileOf(dir, id+100); err == nil {
		t.Error("found a file for a mail that has none")
	}
}
