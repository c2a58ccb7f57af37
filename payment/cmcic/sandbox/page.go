package sandbox

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"strings"

	"shop/payment/cmcic"
)

//go:embed templates/*.html
var templateFS embed.FS

// Page names; each is its own template set with the shared layout.
const (
	pageIndex  = "index"
	pageCard   = "card"
	pageSecure = "secure"
	pageResult = "result"
	pageError  = "error"
)

type pages map[string]*template.Template

// parsePages parses the embedded templates once. They are part of the
// binary, so a parse error is a programming error.
func parsePages() pages {
	ps := pages{}
	for _, name := range []string{pageIndex, pageCard, pageSecure, pageResult, pageError} {
		ps[name] = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return ps
}

type cardView struct {
	ID, Action                          string
	Merchant, Amount, Reference         string
	Expiry                              string // kept on re-entry; the number never is
	NumberError, ExpiryError, CodeError string
	CancelURL                           string
	Cards                               []testCardView
}

type secureView struct {
	ID, Action, Merchant, Amount, Card string
}

type resultView struct {
	Accepted                    bool
	Merchant, Amount, Reference string
	AuthNumber, Reason          string
	Late                        bool
	ReturnURL                   string
}

type errorView struct{ Title, Message string }

type indexView struct {
	TPE, Format, NotifyURL string
	Cards                  []testCardView
}

type testCardView struct{ Display, Outcome string }

func testCardViews() []testCardView {
	vs := make([]testCardView, len(testCards))
	for i, c := range testCards {
		var groups []string
		for n := c.number; n != ""; {
			k := min(4, len(n))
			groups, n = append(groups, n[:k]), n[k:]
		}
		vs[i] = testCardView{Display: strings.Join(groups, " "), Outcome: c.outcome}
	}
	return vs
}

func (b *Bank) renderCard(w http.ResponseWriter, status int, p payment, errs cardErrors, expiry string) {
	b.render(w, status, pageCard, cardView{
		ID: p.id, Action: "card",
		Merchant: merchant(p), Amount: displayAmount(p), Reference: p.reference,
		Expiry:      expiry,
		NumberError: errs.Number, ExpiryError: errs.Expiry, CodeError: errs.Code,
		CancelURL: p.returnErr,
		Cards:     testCardViews(),
	})
}

func (b *Bank) errorPage(w http.ResponseWriter, status int, title, message string) {
	b.render(w, status, pageError, errorView{Title: title, Message: message})
}

// render executes a page into a buffer first, so that a failing template
// never sends half a page. Bank pages are never cached nor framed, and leak
// no referrer to the shop.
func (b *Bank) render(w http.ResponseWriter, status int, page string, data any) {
	var buf bytes.Buffer
	if err := b.pages[page].ExecuteTemplate(&buf, "layout", data); err != nil {
		b.log.Error("rendering a bank page", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// merchant names the shop as the bank knows it.
func merchant(p payment) string {
	if p.societe == "" {
		return "Terminal " + p.tpe
	}
	return p.societe + " (terminal " + p.tpe + ")"
}

// displayAmount writes 6273 EUR as "62.73 EUR".
func displayAmount(p payment) string {
	s := cmcic.FormatAmount(p.cents, p.currency)
	return s[:len(s)-3] + " " + p.currency
}
