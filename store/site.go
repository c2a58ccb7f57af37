package store

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"shop/templates"
)

// CartCounter tells the header how many items a visitor's cart holds. The cart package
// implements it; store only needs this much.
type CartCounter interface {
	Count(ctx context.Context, visitor string) (int, error)
}

// AssetURLs turns an embedded file's name into its versioned URL.
type AssetURLs interface {
	URL(name string) string
}

// Site is what every page handler shares: sessions, the layout's data, rendering and
// the one error page.
type Site struct {
	DB       *DB
	Sessions *Sessions
	Assets   AssetURLs
	Cart     CartCounter
	Name     string
	Zone     Zone // the merchant's time zone
	Logger   *slog.Logger
}

// Chrome fills the layout's data for this request.
func (s *Site) Chrome(c echo.Context, title string) templates.Chrome {
	return s.chrome(c, title, -1)
}

// ChromeWithCount is Chrome for a page that has just read the visitor's cart (the cart
// page, the order form): the header shows items, the sum of its lines' quantities,
// without counting them again in the database.
func (s *Site) ChromeWithCount(c echo.Context, title string, items int) templates.Chrome {
	return s.chrome(c, title, items)
}

// chrome counts the cart for the header when items is negative.
func (s *Site) chrome(c echo.Context, title string, items int) templates.Chrome {
	ch := templates.Chrome{
		Title:    title,
		ShopName: s.Name,
		CSS:      s.Assets.URL("css/shop.css"),
		JS:       s.Assets.URL("js/shop.js"),
	}
	if tok, ok := c.Get(middleware.DefaultCSRFConfig.ContextKey).(string); ok {
		ch.CSRF = tok
	}
	if v := VisitorID(c); v != "" {
		ch.Flashes = s.Sessions.Flashes(c)
		if items >= 0 {
			ch.CartCount = items
		} else if s.Cart != nil && MayHaveCart(c) {
			n, err := s.Cart.Count(c.Request().Context(), v)
			if err != nil {
				s.Logger.WarnContext(c.Request().Context(), "cart count", "err", err)
			}
			ch.CartCount = n
		}
	}
	return ch
}

// ImageURL is where a product's image is served: embedded demo images from static/,
// uploaded ones from the data directory under /media/.
func (s *Site) ImageURL(image string) string {
	switch {
	case image == "":
		return s.Assets.URL("img/placeholder.svg")
	case strings.HasPrefix(image, "media/"):
		return "/" + image
	default:
		return s.Assets.URL(image)
	}
}

var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Render renders a component into a pooled buffer first, so that a failing component
// never sends half a page, then writes it with the status.
func (s *Site) Render(c echo.Context, status int, comp templ.Component) error {
	buf := buffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer buffers.Put(buf)
	if err := comp.Render(c.Request().Context(), buf); err != nil {
		return err
	}
	// The length is known: the page goes in one piece instead of chunked.
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(buf.Len()))
	return c.HTMLBlob(status, buf.Bytes())
}

var statusOf = map[Code]int{
	Invalid:      http.StatusUnprocessableEntity,
	NotFound:     http.StatusNotFound,
	Conflict:     http.StatusConflict,
	Unauthorized: http.StatusUnauthorized,
	Forbidden:    http.StatusForbidden,
	Internal:     http.StatusInternalServerError,
}

// HandleError is echo's one error handler: it maps an error's code to a status, logs
// internal errors in full with the request id, and shows only the safe message.
func (s *Site) HandleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, heading, msg := http.StatusInternalServerError, "Something went wrong", ErrorMessage(err)
	var he *echo.HTTPError
	var se *Error
	switch {
	case errors.As(err, &se):
		status = statusOf[se.Code]
	case errors.As(err, &he):
		status = he.Code
		msg = http.StatusText(status)
		if status == http.StatusForbidden || status == http.StatusBadRequest {
			// echo's CSRF middleware answers 403 or 400 for a missing or wrong token.
			msg = "This form has expired or was not sent by this shop. Please go back, reload the page and try again."
		}
	}
	switch status {
	case http.StatusNotFound:
		heading, msg = "Page not found", ifEmpty(se, msg, "We could not find this page.")
	case http.StatusForbidden:
		heading = "Not allowed"
	case http.StatusMethodNotAllowed:
		heading, msg = "Not allowed", "This address does not take this kind of request."
	case http.StatusTooManyRequests:
		heading, msg = "Too many requests", "Please wait a moment and try again."
	case http.StatusRequestEntityTooLarge:
		heading, msg = "Too large", "What you sent is too large."
	}
	rid := c.Response().Header().Get(echo.HeaderXRequestID)
	if status >= 500 {
		s.Logger.ErrorContext(c.Request().Context(), "request failed", "err", err, "request_id", rid,
			"method", RequestMethod(c.Request()), "path", c.Path())
	}
	view := templates.ErrorView{Chrome: s.Chrome(c, heading), Status: status, Heading: heading, Message: msg}
	if rerr := s.Render(c, status, templates.ErrorPage(view)); rerr != nil {
		s.Logger.ErrorContext(c.Request().Context(), "error page failed", "err", rerr, "request_id", rid)
		_ = c.String(status, msg)
	}
}

func ifEmpty(se *Error, msg, fallback string) string {
	if se != nil {
		return msg
	}
	return fallback
}
