package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// testClock is a clock tests move by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock { return &testClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// mustStaff is a Staff on a fresh database, hashing at the lowest cost for speed.
func mustStaff(t *testing.T) (*Staff, *testClock) {
	t.Helper()
	clock := newTestClock()
	return &Staff{DB: mustOpenStore(t), Cost: bcrypt.MinCost, Now: clock.Now}, clock
}

func mustAddAdmin(t *testing.T, s *Staff, email, password string) AdminUser {
	t.Helper()
	u, err := s.Add(context.Background(), email, password)
	if err != nil {
		t.Fatalf("Add(%s): %v", email, err)
	}
	return u
}

func TestStaff_AddNormalizesAndRefusesDuplicates(t *testing.T) {
	s, _ := mustStaff(t)
	ctx := context.Background()
	u := mustAddAdmin(t, s, "  Boss@Example.COM ", "correct horse battery")
	if u.Email != "boss@example.com" || u.ID == 0 {
		t.Fatalf("Add = %+v, want a lower-case e-mail and an id", u)
	}
	var hash string
	if err := s.DB.R.QueryRow(`SELECT password_hash FROM admin_users WHERE id = ?`, u.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(hash, "correct horse") || bcrypt.CompareHashAndPassword([]byte(hash), []byte("correct horse battery")) != nil {
		t.Errorf("stored %q is not a bcrypt hash of the password", hash)
	}
	if _, err := s.Add(ctx, "BOSS@example.com", "another password"); ErrorCode(err) != Conflict {
		t.Errorf("second Add of the same address: %v, want Conflict", err)
	}
}

func TestStaff_AddRejectsBadInput(t *testing.T) {
	s, _ := mustStaff(t)
	tests := []struct{ name, email, password string }{
		{"not an address", "boss", "long enough password"},
		{"display name", "Boss <boss@example.com>", "long enough password"},
		{"short password", "boss@example.com", "short"},
		{"password past bcrypt's 72 bytes", "boss@example.com", strings.Repeat("x", 73)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Add(context.Background(), tt.email, tt.password); ErrorCode(err) != Invalid {
				t.Errorf("Add(%q, %q) = %v, want Invalid", tt.email, tt.password, err)
			}
		})
	}
	if n, _ := s.Count(context.Background()); n != 0 {
		t.Errorf("%d admins stored, want 0", n)
	}
}

func TestStaff_AuthenticateWrongPasswordAndUnknownAccountAlike(t *testing.T) {
	s, _ := mustStaff(t)
	ctx := context.Background()
	want := mustAddAdmin(t, s, "boss@example.com", "correct horse battery")
	u, err := s.Authenticate(ctx, " Boss@example.com", "correct horse battery", "192.0.2.1")
	if err != nil || u.ID != want.ID || u.Email != want.Email {
		t.Fatalf("Authenticate with the right password = %+v, %v", u, err)
	}
	_, wrong := s.Authenticate(ctx, "boss@example.com", "wrong password!", "192.0.2.1")
	_, unknown := s.Authenticate(ctx, "nobody@example.com", "wrong password!", "192.0.2.1")
	if !errors.Is(wrong, ErrBadLogin) || !errors.Is(unknown, ErrBadLogin) || ErrorMessage(wrong) != ErrorMessage(unknown) {
		t.Errorf("wrong password: %v; unknown account: %v; want the same ErrBadLogin", wrong, unknown)
	}
}

// An unknown account is checked against a dummy hash of the same cost, so it takes about
// as long as a wrong password: timing does not tell which accounts exist.
func TestStaff_UnknownAccountTakesAsLongAsWrongPassword(t *testing.T) {
	s, _ := mustStaff(t)
	s.Cost = 8
	ctx := context.Background()
	mustAddAdmin(t, s, "boss@example.com", "correct horse battery")
	s.Authenticate(ctx, "warm@example.com", "x", "192.0.2.9") // builds the dummy hash once
	timeOf := func(email string) time.Duration {
		start := time.Now()
		s.Authenticate(ctx, email, "wrong password!", "192.0.2.1")
		return time.Since(start)
	}
	wrong, unknown := timeOf("boss@example.com"), timeOf("nobody@example.com")
	if unknown < wrong/3 {
		t.Errorf("unknown account took %v, wrong password %v: an attacker can tell them apart", unknown, wrong)
	}
}

func TestStaff_ThrottlesAnAccountAfterFailures(t *testing.T) {
	s, clock := mustStaff(t)
	s.Limits = LoginLimits{Window: 15 * time.Minute, PerAccount: 3, PerIP: 100}
	ctx := context.Background()
	mustAddAdmin(t, s, "boss@example.com", "correct horse battery")
	mustAddAdmin(t, s, "clerk@example.com", "correct horse battery")
	for i := range 3 {
		ip := fmt.Sprintf("192.0.2.%d", i+1) // changing address does not help
		if _, err := s.Authenticate(ctx, "boss@example.com", "guess", ip); !errors.Is(err, ErrBadLogin) {
			t.Fatalf("failure %d: %v, want ErrBadLogin", i+1, err)
		}
	}
	if _, err := s.Authenticate(ctx, "boss@example.com", "correct horse battery", "198.51.100.7"); !errors.Is(err, ErrLoginThrottled) {
		t.Fatalf("after 3 failures the right password gives %v, want ErrLoginThrottled", err)
	}
	if _, err := s.Authenticate(ctx, "clerk@example.com", "correct horse battery", "192.0.2.1"); err != nil {
		t.Errorf("another account is throttled too: %v", err)
	}
	clock.Add(16 * time.Minute)
	if _, err := s.Authenticate(ctx, "boss@example.com", "correct horse battery", "192.0.2.1"); err != nil {
		t.Errorf("after the window the right password gives %v", err)
	}
}

// What was typed in the e-mail field of a failed login (sometimes a password, or a card
// number) is not stored in clear: the throttle keeps a digest of it.
func TestStaff_FailuresDoNotKeepWhatWasTyped(t *testing.T) {
	s, _ := mustStaff(t)
	s.Limits = LoginLimits{Window: 15 * time.Minute, PerAccount: 2, PerIP: 100}
	ctx := context.Background()
	const typed = "4111111111111111@example.com"
	for range 2 {
		if _, err := s.Authenticate(ctx, typed, "guess", "192.0.2.1"); !errors.Is(err, ErrBadLogin) {
			t.Fatalf("Authenticate: %v, want ErrBadLogin", err)
		}
	}
	rows, err := s.DB.R.Query(`SELECT key FROM login_failures`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var key string
		if err := rows.Scan(&key); err != nil {
			t.Fatal(err)
		}
		n++
		if strings.Contains(key, "4111") || strings.Contains(key, "example.com") {
			t.Errorf("login_failures keeps %q", key)
		}
	}
	if n != 6 {
		t.Errorf("%d failures recorded, want 6 (2 by account, 2 by address, 2 by both)", n)
	}
	if _, err := s.Authenticate(ctx, " "+strings.ToUpper(typed), "guess", "198.51.100.7"); !errors.Is(err, ErrLoginThrottled) {
		t.Errorf("the same account typed again (other case, spaces): %v, want ErrLoginThrottled", err)
	}
}

// A stranger's wrong passwords from one address throttle that account from that
// address only: the merchant, elsewhere, still logs in.
func TestStaff_AStrangersFailuresDoNotLockTheMerchantOut(t *testing.T) {
	s, _ := mustStaff(t)
	s.Limits = LoginLimits{Window: 15 * time.Minute, PerAccountAddress: 3, PerAccount: 10, PerIP: 100}
	ctx := context.Background()
	mustAddAdmin(t, s, "boss@example.com", "correct horse battery")
	for i := range 3 {
		if _, err := s.Authenticate(ctx, "boss@example.com", "guess", "203.0.113.9"); !errors.Is(err, ErrBadLogin) {
			t.Fatalf("failure %d: %v, want ErrBadLogin", i+1, err)
		}
	}
	if _, err := s.Authenticate(ctx, "boss@example.com", "correct horse battery", "203.0.113.9"); !errors.Is(err, ErrLoginThrottled) {
		t.Errorf("from the guessing address: %v, want ErrLoginThrottled", err)
	}
	if _, err := s.Authenticate(ctx, "boss@example.com", "correct horse battery", "192.0.2.1"); err != nil {
		t.Errorf("the merchant from another address: %v, want a login", err)
	}
}

func TestStaff_ThrottlesAnAddressAfterFailures(t *testing.T) {
	s, _ := mustStaff(t)
	s.Limits = LoginLimits{Window: 15 * time.Minute, PerAccount: 100, PerIP: 4}
	ctx := context.Background()
	mustAddAdmin(t, s, "boss@example.com", "correct horse battery")
	for i := range 4 {
		email := fmt.Sprintf("guess%d@example.com", i) // a new account each time does not help
		if _, err := s.Authenticate(ctx, email, "guess", "192.0.2.1"); !errors.Is(err, ErrBadLogin) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	if _, err := s.Authenticate(ctx, "boss@example.com", "correct horse battery", "192.0.2.1"); !errors.Is(err, ErrLoginThrottled) {
		t.Errorf("from the throttled address: %v, want ErrLoginThrottled", err)
	}
	if _, err := s.Authenticate(ctx, "boss@example.com", "correct horse battery", "192.0.2.2"); err != nil {
		t.Errorf("from another address: %v", err)
	}
}

// An IPv6 subscriber holds a whole /64: failures from its addresses count together.
func TestStaff_ThrottlesAnIPv6NetworkAsOneAddress(t *testing.T) {
	s, _ := mustStaff(t)
	s.Limits = LoginLimits{Window: 15 * time.Minute, PerAccount: 100, PerIP: 4}
	ctx := context.Background()
	mustAddAdmin(t, s, "boss@example.com", "correct horse battery")
	for i := range 4 {
		ip := fmt.Sprintf("2001:db8:1:2::%x", i+1)
		if _, err := s.Authenticate(ctx, fmt.Sprintf("guess%d@example.com", i), "guess", ip); !errors.Is(err, ErrBadLogin) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	if _, err := s.Authenticate(ctx, "boss@example.com", "correct horse battery", "2001:db8:1:2:ffff::9"); !errors.Is(err, ErrLoginThrottled) {
		t.Errorf("from another address of the same /64: %v, want ErrLoginThrottled", err)
	}
	if _, err := s.Authenticate(ctx, "boss@example.com", "correct horse battery", "2001:db8:1:3::1"); err != nil {
		t.Errorf("from another /64: %v", err)
	}
	for ip, want := range map[string]string{"": "unknown", "192.0.2.1": "192.0.2.1", "::ffff:192.0.2.1": "192.0.2.1",
		"2001:db8::1": "2001:db8::/64", "garbage": "garbage"} {
		if got := addressKey(ip); got != want {
			t.Errorf("addressKey(%q) = %q, want %q", ip, got, want)
		}
	}
}

func TestStaff_SuccessForgivesTheAccountsFailures(t *testing.T) {
	s, _ := mustStaff(t)
	s.Limits = LoginLimits{Window: time.Hour, PerAccount: 3, PerIP: 100}
	ctx := context.Background()
	mustAddAdmin(t, s, "boss@example.com", "correct horse battery")
	for round := range 3 {
		for range 2 {
			s.Authenticate(ctx, "boss@example.com", "typo", "192.0.2.1")
		}
		if _, err := s.Authenticate(ctx, "boss@example.com", "correct horse battery", "192.0.2.1"); err != nil {
			t.Fatalf("round %d: two typos then the right password: %v", round, err)
		}
	}
}

func TestStaff_BootstrapOnlyWhenNoAdminExists(t *testing.T) {
	s, _ := mustStaff(t)
	ctx := context.Background()
	if _, err := s.Bootstrap(ctx, "first@example.com", "short"); ErrorCode(err) != Invalid {
		t.Errorf("weak password: %v, want Invalid", err)
	}
	created, err := s.Bootstrap(ctx, "first@example.com", "correct horse battery")
	if err != nil || !created {
		t.Fatalf("Bootstrap on an empty table = %v, %v", created, err)
	}
	created, err = s.Bootstrap(ctx, "second@example.com", "correct horse battery")
	if err != nil || created {
		t.Errorf("Bootstrap with an admin present = %v, %v; want false, nil", created, err)
	}
	if n, _ := s.Count(ctx); n != 1 {
		t.Errorf("%d admins, want 1", n)
	}
}

func TestStaff_SeedDemoCreatesOnceAndRemembersThePassword(t *testing.T) {
	s, _ := mustStaff(t)
	ctx := context.Background()
	email, pw, created, err := s.SeedDemo(ctx)
	if err != nil || !created || email != DemoAdminEmail || len(pw) < 10 {
		t.Fatalf("SeedDemo = %q, %q, %v, %v", email, pw, created, err)
	}
	if _, err := s.Authenticate(ctx, email, pw, "192.0.2.1"); err != nil {
		t.Fatalf("the printed credentials do not log in: %v", err)
	}
	email2, pw2, created, err := s.SeedDemo(ctx)
	if err != nil || created || email2 != email || pw2 != pw {
		t.Errorf("second SeedDemo = %q, %q, %v, %v; want the same credentials, not created", email2, pw2, created, err)
	}
	if err := s.SetPassword(ctx, email, "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if email3, pw3, _, err := s.SeedDemo(ctx); err != nil || email3 != "" || pw3 != "" {
		t.Errorf("after a password change SeedDemo = %q, %q, %v; want nothing to print", email3, pw3, err)
	}
}

func TestStaff_SeedDemoLeavesRealAdminsAlone(t *testing.T) {
	s, _ := mustStaff(t)
	ctx := context.Background()
	mustAddAdmin(t, s, "boss@example.com", "correct horse battery")
	if email, _, created, err := s.SeedDemo(ctx); err != nil || created || email != "" {
		t.Errorf("SeedDemo with an admin present = %q, %v, %v", email, created, err)
	}
	if n, _ := s.Count(ctx); n != 1 {
		t.Errorf("%d admins, want 1", n)
	}
}

func TestStaff_SetPassword(t *testing.T) {
	s, _ := mustStaff(t)
	ctx := context.Background()
	u := mustAddAdmin(t, s, "boss@example.com", "correct horse battery")
	if _, err := s.DB.W.Exec(`INSERT INTO admin_sessions (id, admin_id, created_at, last_seen_at) VALUES ('x', ?, ?, ?)`,
		u.ID, time.Now().UTC(), time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, "nobody@example.com", "a brand new password"); ErrorCode(err) != NotFound {
		t.Errorf("SetPassword of an unknown admin: %v, want NotFound", err)
	}
	if err := s.SetPassword(ctx, "boss@example.com", "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "boss@example.com", "a brand new password", "192.0.2.1"); err != nil {
		t.Errorf("new password: %v", err)
	}
	var n int
	s.DB.R.QueryRow(`SELECT count(*) FROM admin_sessions`).Scan(&n)
	if n != 0 {
		t.Errorf("%d sessions left after a password change, want 0", n)
	}
}
