package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/mail"
	"net/netip"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// AdminUser is a member of the merchant's staff who may use the admin area.
type AdminUser struct {
	ID        int64
	Email     string
	CreatedAt time.Time
}

// LoginLimits bound failed logins within Window: per account from one client address,
// per account from anywhere, per address whatever the account. A limit of 0 is none.
type LoginLimits struct {
	Window            time.Duration
	PerAccountAddress int
	PerAccount        int
	PerIP             int
}

// The two answers a login form may give; neither says whether the account exists.
var (
	ErrBadLogin       = &Error{Code: Unauthorized, Message: "The e-mail address or password is not correct."}
	ErrLoginThrottled = &Error{Code: Forbidden, Message: "Too many failed attempts. Please wait 15 minutes and try again."}
)

// DemoAdminEmail is the account `make run` creates in a demo shop.
const DemoAdminEmail = "admin@example.com"

// Staff manages admin accounts and checks their passwords.
type Staff struct {
	DB     *DB
	Cost   int         // bcrypt cost; 0 means bcrypt.DefaultCost (tests lower it for speed)
	Limits LoginLimits // zero: 5 per account and 20 per address in 15 minutes
	Now    func() time.Time

	dummyOnce sync.Once
	dummy     []byte
}

func (s *Staff) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Staff) cost() int {
	if s.Cost == 0 {
		return bcrypt.DefaultCost
	}
	return s.Cost
}

// limits defaults to, per quarter hour: 5 tries at one account from one address; 50 at
// one account from anywhere, which stops guessing spread over many machines; 20 from one
// address, so that a shared office IP does not lock everyone out after one person's
// typos. An account's own limit is per address first so that a stranger's five wrong
// passwords do not lock the merchant out of the shop.
func (s *Staff) limits() LoginLimits {
	if s.Limits.Window == 0 {
		return LoginLimits{Window: 15 * time.Minute, PerAccountAddress: 5, PerAccount: 50, PerIP: 20}
	}
	return s.Limits
}

// LoginRetryAfter is how long a throttled login should wait, for Retry-After.
func (s *Staff) LoginRetryAfter() time.Duration { return s.limits().Window }

// dummyHash is compared against when the account does not exist, so that an unknown
// e-mail costs as much time as a wrong password.
func (s *Staff) dummyHash() []byte {
	s.dummyOnce.Do(func() {
		s.dummy, _ = bcrypt.GenerateFromPassword([]byte(rand.Text()), s.cost())
	})
	return s.dummy
}

// NormalizeEmail trims and lower-cases an address and checks that it is a plain one.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if a, err := mail.ParseAddress(s); err != nil || a.Address != s || len(s) > 254 {
		return "", Errorf(Invalid, "Enter an e-mail address such as name@example.com.")
	}
	return s, nil
}

// CheckPassword applies the password rules: long enough to resist guessing, short enough
// for bcrypt, which ignores everything past 72 bytes.
func CheckPassword(pw string) error {
	switch {
	case utf8.RuneCountInString(pw) < 10:
		return Errorf(Invalid, "The password must be at least 10 characters long.")
	case len(pw) > 72:
		return Errorf(Invalid, "The password must be at most 72 bytes long.")
	}
	return nil
}

func (s *Staff) hash(pw string, cost int) ([]byte, error) {
	if err := CheckPassword(pw); err != nil {
		return nil, err
	}
	return bcrypt.GenerateFromPassword([]byte(pw), cost)
}

// Add creates an admin account. An existing e-mail is a Conflict.
func (s *Staff) Add(ctx context.Context, email, password string) (AdminUser, error) {
	u := AdminUser{CreatedAt: s.now()}
	var err error
	if u.Email, err = NormalizeEmail(email); err != nil {
		return u, err
	}
	h, err := s.hash(password, s.cost())
	if err != nil {
		return u, err
	}
	err = s.DB.Tx(ctx, func(tx *Tx) error {
		if exists, err := adminExists(ctx, tx, u.Email); err != nil || exists {
			if exists {
				return Errorf(Conflict, "An admin with the e-mail %s already exists.", u.Email)
			}
			return err
		}
		u.ID, err = insertAdmin(ctx, tx, u.Email, h, u.CreatedAt)
		return err
	})
	return u, err
}

// SetPassword replaces an admin's password and ends all of that admin's sessions.
func (s *Staff) SetPassword(ctx context.Context, email, password string) error {
	email, err := NormalizeEmail(email)
	if err != nil {
		return err
	}
	h, err := s.hash(password, s.cost())
	if err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM admin_users WHERE email = ?`, email).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return Errorf(NotFound, "There is no admin with the e-mail %s.", email)
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE admin_users SET password_hash = ? WHERE id = ?`, h, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM admin_sessions WHERE admin_id = ?`, id)
		return err
	})
}

// Bootstrap creates the first admin (SHOP_ADMIN_EMAIL/SHOP_ADMIN_PASSWORD) when there is
// none yet. Checking and inserting share one transaction, so two processes starting at
// once create one account.
func (s *Staff) Bootstrap(ctx context.Context, email, password string) (bool, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return false, err
	}
	if err := CheckPassword(password); err != nil {
		return false, err
	}
	// Hashing takes a while: skip it on the usual start, when admins exist already.
	if n, err := s.Count(ctx); err != nil || n > 0 {
		return false, err
	}
	h, err := s.hash(password, s.cost())
	if err != nil {
		return false, err
	}
	return s.createFirst(ctx, email, h)
}

func (s *Staff) createFirst(ctx context.Context, email string, hash []byte) (bool, error) {
	created := false
	err := s.DB.Tx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM admin_users`).Scan(&n); err != nil || n > 0 {
			return err
		}
		_, err := insertAdmin(ctx, tx, email, hash, s.now())
		created = err == nil
		return err
	})
	return created, err
}

// SeedDemo creates the demo admin when no admin exists, and returns its credentials on
// every start for as long as that account still has the demo password, so `make run`
// can print them. The password is kept in clear in the settings table, which is why
// its hash uses the lowest cost: a stronger one would protect nothing.
func (s *Staff) SeedDemo(ctx context.Context) (email, password string, created bool, err error) {
	var stored []byte
	err = s.DB.R.QueryRowContext(ctx, `SELECT password_hash FROM admin_users WHERE email = ?`, DemoAdminEmail).Scan(&stored)
	if errors.Is(err, sql.ErrNoRows) {
		if n, err := s.Count(ctx); err != nil || n > 0 {
			return "", "", false, err // the shop has admins of its own
		}
	} else if err != nil {
		return "", "", false, err
	}
	pw, err := s.DB.Setting(ctx, "demo_admin_password", func() ([]byte, error) {
		return []byte(rand.Text()[:16]), nil
	})
	if err != nil {
		return "", "", false, err
	}
	if stored != nil {
		if bcrypt.CompareHashAndPassword(stored, pw) != nil {
			return "", "", false, nil // the demo password was changed: nothing to print
		}
		return DemoAdminEmail, string(pw), false, nil
	}
	h, err := s.hash(string(pw), bcrypt.MinCost)
	if err != nil {
		return "", "", false, err
	}
	if created, err = s.createFirst(ctx, DemoAdminEmail, h); err != nil || !created {
		return "", "", false, err
	}
	return DemoAdminEmail, string(pw), true, nil
}

// Count is the number of admin accounts.
func (s *Staff) Count(ctx context.Context) (int, error) {
	var n int
	err := s.DB.R.QueryRowContext(ctx, `SELECT count(*) FROM admin_users`).Scan(&n)
	return n, err
}

// failureKey names an account in login_failures by a digest of what was typed: the
// table keeps every failed attempt, and what people type in the e-mail field of a
// login form is sometimes a password or a card number.
func failureKey(account string) string {
	sum := sha256.Sum256([]byte(account))
	return hex.EncodeToString(sum[:16])
}

// Authenticate checks an e-mail and password typed into the login form from address ip.
// It answers ErrLoginThrottled once the account or the address has failed too often
// (before looking at the password, so guessing on stops helping), ErrBadLogin for a
// wrong password and an unknown account alike, in the same time.
func (s *Staff) Authenticate(ctx context.Context, email, password, ip string) (AdminUser, error) {
	now, lim := s.now(), s.limits()
	account := strings.ToLower(strings.TrimSpace(email))
	if len(account) > 254 {
		account = account[:254]
	}
	ip = addressKey(ip)
	keys := []string{"account:" + failureKey(account), "ip:" + ip, "account-ip:" + failureKey(account+"\x00"+ip)}
	throttled, err := s.throttled(ctx, keys, now.Add(-lim.Window), []int{lim.PerAccount, lim.PerIP, lim.PerAccountAddress})
	if err != nil {
		return AdminUser{}, err
	}
	if throttled {
		return AdminUser{}, ErrLoginThrottled
	}
	dummy := s.dummyHash()
	u := AdminUser{Email: account}
	var hash []byte
	err = s.DB.R.QueryRowContext(ctx, `SELECT id, created_at, password_hash FROM admin_users WHERE email = ?`,
		account).Scan(&u.ID, &u.CreatedAt, &hash)
	found := err == nil
	if !found && !errors.Is(err, sql.ErrNoRows) {
		return AdminUser{}, err
	}
	if !found {
		hash = dummy
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || !found {
		if err := s.recordFailure(ctx, keys, now, lim.Window); err != nil {
			return AdminUser{}, err
		}
		return AdminUser{}, ErrBadLogin
	}
	err = s.DB.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE key IN (?, ?)`, keys[0], keys[2]); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE admin_users SET last_login_at = ? WHERE id = ?`, now, u.ID)
		return err
	})
	return u, err
}

// throttled counts recent failures under each key against its limit. Two attempts at
// the same instant may both pass the check: the limit is a brake, not an exact count.
// Times compare as text: Go writes them all in UTC in one format, which sorts in order.
func (s *Staff) throttled(ctx context.Context, keys []string, since time.Time, limits []int) (bool, error) {
	for i, key := range keys {
		if limits[i] <= 0 {
			continue
		}
		var n int
		if err := s.DB.R.QueryRowContext(ctx, `SELECT count(*) FROM login_failures WHERE key = ? AND at > ?`,
			key, since).Scan(&n); err != nil {
			return false, err
		}
		if n >= limits[i] {
			return true, nil
		}
	}
	return false, nil
}

func (s *Staff) recordFailure(ctx context.Context, keys []string, now time.Time, window time.Duration) error {
	return s.DB.Tx(ctx, func(tx *Tx) error {
		for _, key := range keys {
			if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (key, at) VALUES (?, ?)`, key, now); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE at < ?`, now.Add(-window))
		return err
	})
}

func adminExists(ctx context.Context, tx *Tx, email string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM admin_users WHERE email = ?`, email).Scan(&n)
	return n > 0, err
}

func insertAdmin(ctx context.Context, tx *Tx, email string, hash []byte, at time.Time) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO admin_users (email, password_hash, created_at) VALUES (?, ?, ?)`,
		email, string(hash), at)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// addressKey is the address a login failure counts against: an IPv6 address's /64,
// which one subscriber holds whole and can draw fresh addresses from at will.
func addressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	switch {
	case ip == "":
		return "unknown"
	case err != nil:
		return ip
	case a.Is4In6() || a.Is4():
		return a.Unmap().String() // ::ffff:192.0.2.1 is 192.0.2.1
	}
	p, _ := a.Prefix(64)
	return p.String()
}
