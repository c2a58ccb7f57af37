package store

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"shop/payment/card"
	"shop/templates"
)

func (a *Admin) loginChrome(c echo.Context) templates.Chrome {
	ch := a.Site.Chrome(c, "Admin login")
	ch.Admin = true
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return ch
}

func (a *Admin) loginForm(c echo.Context) error {
	next := safeNext(c.QueryParam("next"))
	if _, ok, err := a.authenticated(c); err != nil {
		return err
	} else if ok {
		return c.Redirect(http.StatusSeeOther, next)
	}
	v := templates.AdminLoginView{Chrome: a.loginChrome(c), Next: next}
	if c.QueryParam("bye") == "1" {
		v.Notice = "You are logged out."
	}
	return a.Site.Render(c, http.StatusOK, templates.AdminLogin(v))
}

// login checks the form against the staff accounts. Every failure shows the same words
// whatever was wrong, and a throttled account or address is refused before its password
// is even looked at.
func (a *Admin) login(c echo.Context) error {
	// From the body only: a password in the address would be in logs and history.
	email, password := strings.TrimSpace(c.Request().PostFormValue("email")), c.Request().PostFormValue("password")
	if len(email) > 254 {
		email = email[:254]
	}
	v := templates.AdminLoginView{Chrome: a.loginChrome(c), Email: email, Next: safeNext(c.FormValue("next")),
		Resume: c.FormValue("resume") == "1"}
	if v.Resume {
		v.Kept = keptOfLogin(c)
	}
	if email == "" || password == "" {
		v.Errors = map[string]string{}
		if email == "" {
			v.Errors["email"] = "Enter your e-mail address."
		}
		if password == "" {
			v.Errors["password"] = "Enter your password."
		}
		return a.Site.Render(c, http.StatusUnprocessableEntity, templates.AdminLogin(v))
	}
	ctx := c.Request().Context()
	u, err := a.Staff.Authenticate(ctx, email, password, c.RealIP())
	switch {
	case errors.Is(err, ErrLoginThrottled):
		a.Site.Logger.WarnContext(ctx, "admin login throttled", "ip", c.RealIP())
		v.Error = ErrLoginThrottled.Message
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(a.Staff.LoginRetryAfter().Seconds())))
		return a.Site.Render(c, http.StatusTooManyRequests, templates.AdminLogin(v))
	case errors.Is(err, ErrBadLogin):
		a.Site.Logger.InfoContext(ctx, "admin login failed", "ip", c.RealIP())
		v.Error = ErrBadLogin.Message
		return a.Site.Render(c, http.StatusUnauthorized, templates.AdminLogin(v))
	case err != nil:
		return err
	}
	if err := a.startSession(c, u); err != nil {
		return err
	}
	a.Site.Logger.InfoContext(ctx, "admin logged in", "admin", u.Email, "ip", c.RealIP())
	if v.Resume { // the form the expired session refused: send it again on the admin's word
		c.Set(ctxAdmin, u)
		return a.Site.Render(c, http.StatusOK, templates.AdminResume(templates.AdminResumeView{
			Admin: a.Chrome(c, "Send your form again", ""), Action: v.Next, Fields: v.Kept}))
	}
	return c.Redirect(http.StatusSeeOther, v.Next)
}

// csrfField is the form field of the CSRF token (cmd/shop's TokenLookup, the layout's
// CSRFField).
const csrfField = "_csrf"

// keptForm is what a form sent without a live session held, but its CSRF token (the
// resumed form gets a fresh one). Only a form the CSRF check has read already is kept,
// so a visitor without a session never makes the shop read a body: an upload, whose
// file is too large to carry through the login page anyway, is refused unread.
func keptForm(c echo.Context) ([]templates.KeptField, bool) {
	r := c.Request()
	if !strings.HasPrefix(r.Header.Get(echo.HeaderContentType), echo.MIMEApplicationForm) || r.PostForm == nil {
		return nil, false
	}
	// The body only: the address's query is kept in the address.
	return keptFields(r.PostForm, ""), true
}

// keptFields are form's values whose names start with prefix, named without it, but
// the CSRF token. A card number in a value is redacted: the login page would show it,
// and no admin form asks for one.
func keptFields(form url.Values, prefix string) []templates.KeptField {
	var kept []templates.KeptField
	for _, name := range slices.Sorted(maps.Keys(form)) {
		if field, ok := strings.CutPrefix(name, prefix); ok && field != csrfField {
			for _, v := range form[name] {
				kept = append(kept, templates.KeptField{Name: card.Scrub(field), Value: card.Scrub(v)})
			}
		}
	}
	return kept
}

// loginToKeep answers a form sent after the admin's session expired with the login
// form, which carries the form's values so that nothing typed is lost.
func (a *Admin) loginToKeep(c echo.Context, kept []templates.KeptField) error {
	if c.Request().URL.Path == "/admin/logout" { // logged out already
		return c.Redirect(http.StatusSeeOther, "/admin/login?bye=1")
	}
	v := templates.AdminLoginView{Chrome: a.loginChrome(c), Next: safeNext(c.Request().URL.RequestURI()),
		Resume: true, Kept: kept}
	return a.Site.Render(c, http.StatusUnauthorized, templates.AdminLogin(v))
}

// keptOfLogin takes back the kept values the login form carries.
func keptOfLogin(c echo.Context) []templates.KeptField {
	r := c.Request()
	if err := r.ParseForm(); err != nil {
		return nil
	}
	return keptFields(r.PostForm, templates.KeptPrefix)
}

func (a *Admin) logout(c echo.Context) error {
	if err := a.endSession(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/login?bye=1")
}
