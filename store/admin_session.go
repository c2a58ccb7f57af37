package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
)

const (
	adminCookie     = "shop_admin"
	adminSIDKey     = "sid"
	adminUIDKey     = "uid"
	adminFlashKey   = "admin_flash"
	ctxAdmin        = "shop.admin"
	ctxAdminSession = "shop.admin_session"
	// adminMaxLife ends a session however active it is: a stolen cookie is not good forever.
	adminMaxLife = 12 * time.Hour
	// adminTouchEvery spares a write per page: last-seen is kept to the minute.
	adminTouchEvery = time.Minute
)

// RequireAdmin lets a request through only with a live admin session: the cookie's random
// id must name a row of admin_sessions for the same admin, seen within the inactivity
// timeout. Otherwise a page (GET) redirects to the login form and an action answers 403.
func (a *Admin) RequireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u, ok, err := a.authenticated(c)
		if err != nil {
			return err
		}
		if !ok {
			r := c.Request()
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				return c.Redirect(http.StatusSeeOther, "/admin/login?next="+url.QueryEscape(r.URL.RequestURI()))
			}
			// Not for an address no route takes (the group's catch-all): sent again after
			// the login, the form would only find that out then.
			if kept, ok := keptForm(c); ok && !strings.HasSuffix(c.Path(), "*") {
				return a.loginToKeep(c, kept)
			}
			return Errorf(Forbidden, "Please log in to the admin area first; your session may have expired.")
		}
		c.Set(ctxAdmin, u)
		// Admin pages hold customers' data: no shared or back-button cache keeps them.
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		return next(c)
	}
}

// CurrentAdmin is the logged-in admin of a request that passed RequireAdmin: the actor
// recorded in audit entries.
func CurrentAdmin(c echo.Context) (AdminUser, bool) {
	u, ok := c.Get(ctxAdmin).(AdminUser)
	return u, ok
}

func (a *Admin) idle() time.Duration {
	if a.Idle <= 0 {
		return 30 * time.Minute
	}
	return a.Idle
}

func (a *Admin) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

// cookie is the request's admin cookie session (an empty one when missing or forged),
// scoped to /admin and living at most adminMaxLife.
func (a *Admin) cookie(c echo.Context) *sessions.Session {
	if s, ok := c.Get(ctxAdminSession).(*sessions.Session); ok {
		return s
	}
	// A cookie that does not decode yields an empty new session, which is what we want.
	sess, _ := a.Site.Sessions.Cookies().Get(c.Request(), adminCookie)
	sess.Options.Path = "/admin"
	sess.Options.MaxAge = int(adminMaxLife / time.Second)
	c.Set(ctxAdminSession, sess)
	return sess
}

func hashSID(sid string) string {
	sum := sha256.Sum256([]byte(sid))
	return hex.EncodeToString(sum[:])
}

// authenticated finds the admin behind the request's cookie and keeps the session alive.
func (a *Admin) authenticated(c echo.Context) (AdminUser, bool, error) {
	sess := a.cookie(c)
	sid, _ := sess.Values[adminSIDKey].(string)
	uid, _ := sess.Values[adminUIDKey].(int64)
	if len(sid) != 64 || uid == 0 {
		return AdminUser{}, false, nil
	}
	ctx, id, now := c.Request().Context(), hashSID(sid), a.now()
	s, err := a.DB.adminSession(ctx, id)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && s.user.ID != uid) {
		return AdminUser{}, false, nil
	} else if err != nil {
		return AdminUser{}, false, err
	}
	if now.Sub(s.lastSeen) > a.idle() || now.Sub(s.created) > adminMaxLife {
		return AdminUser{}, false, a.DB.deleteAdminSession(ctx, id)
	}
	if now.Sub(s.lastSeen) > adminTouchEvery {
		if err := a.DB.LightTx(ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE admin_sessions SET last_seen_at = ? WHERE id = ?`, now, id)
			return err
		}); err != nil {
			return AdminUser{}, false, err
		}
	}
	return s.user, true, nil
}

// startSession logs u in with a new random session id, ending the session the request
// came with, if any: an id planted before login is worth nothing after it.
func (a *Admin) startSession(c echo.Context, u AdminUser) error {
	sess := a.cookie(c)
	old, _ := sess.Values[adminSIDKey].(string)
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	sid := hex.EncodeToString(b)
	now := a.now()
	err := a.DB.Tx(c.Request().Context(), func(tx *Tx) error {
		ctx := c.Request().Context()
		if _, err := tx.ExecContext(ctx, `DELETE FROM admin_sessions WHERE id = ? OR last_seen_at < ? OR created_at < ?`,
			hashSID(old), now.Add(-a.idle()), now.Add(-adminMaxLife)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO admin_sessions (id, admin_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)`,
			hashSID(sid), u.ID, now, now)
		return err
	})
	if err != nil {
		return err
	}
	sess.Values = map[any]any{adminSIDKey: sid, adminUIDKey: u.ID}
	return save(c, sess)
}

// endSession deletes the session row, so the cookie is dead even if someone kept a copy,
// and tells the browser to drop it.
func (a *Admin) endSession(c echo.Context) error {
	sess := a.cookie(c)
	if sid, _ := sess.Values[adminSIDKey].(string); sid != "" {
		if err := a.DB.deleteAdminSession(c.Request().Context(), hashSID(sid)); err != nil {
			return err
		}
	}
	sess.Values = map[any]any{}
	sess.Options.MaxAge = -1
	return save(c, sess)
}

// Flash keeps a one-time message for the admin's next page.
func (a *Admin) Flash(c echo.Context, msg string) {
	sess := a.cookie(c)
	sess.AddFlash(msg, adminFlashKey)
	_ = save(c, sess)
}

func (a *Admin) flashes(c echo.Context) []string {
	return takeFlashes(c, a.cookie(c), adminFlashKey)
}

type adminSessionRow struct {
	user              AdminUser
	created, lastSeen time.Time
}

func (db *DB) adminSession(ctx context.Context, id string) (adminSessionRow, error) {
	var s adminSessionRow
	err := db.R.QueryRowContext(ctx, `SELECT u.id, u.email, u.created_at, s.created_at, s.last_seen_at
		FROM admin_sessions s JOIN admin_users u ON u.id = s.admin_id WHERE s.id = ?`, id).
		Scan(&s.user.ID, &s.user.Email, &s.user.CreatedAt, &s.created, &s.lastSeen)
	return s, err
}

func (db *DB) deleteAdminSession(ctx context.Context, id string) error {
	return db.LightTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM admin_sessions WHERE id = ?`, id)
		return err
	})
}
