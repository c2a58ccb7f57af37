package store

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

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
	email, password := strings.TrimSpace(c.FormValue("email")), c.FormValue("password")
	if len(email) > 254 {
		email = email[:254]
	}
	v := templates.AdminLoginView{Chrome: a.loginChrome(c), Email: email, Next: safeNext(c.FormValue("next"))}
	if email == "" || password == "" {
		v.Error = "Enter your e-mail address and your password."
		return a.Site.Render(c, http.StatusUnprocessableEntity, templates.AdminLogin(v))
	}
	ctx := c.Request().Context()
	u, err := a.Staff.Authenticate(ctx, email, password, c.RealIP())
	switch {
	case errors.Is(err, ErrLoginThrottled):
		a.Site.Logger.WarnContext(ctx, "admin login throttled", "ip", c.RealIP())
		v.Error = ErrLoginThrottled.Message
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
	return c.Redirect(http.StatusSeeOther, v.Next)
}

func (a *Admin) logout(c echo.Context) error {
	if err := a.endSession(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/login?bye=1")
}
