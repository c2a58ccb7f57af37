package templates

import (
	"context"
	"io"
	"strconv"

	"github.com/a-h/templ"
)

// text writes s escaped, as { s } does. templ passes every { s } through fmt.Sprint,
// which copies the string and boxes it: in a listing, where each card shows a few
// strings, that was a tenth of the page's CPU. The hot templates (listings, the product
// page, the layout, the order summary) use @text(s) for a text
// alone in its element; within a run of words templ does not read @text as a call, so
// those keep { s }, as do the texts only an error shows.
func text(s string) templ.Component { return textComponent(s) }

type textComponent string

func (t textComponent) Render(_ context.Context, w io.Writer) error {
	_, err := io.WriteString(w, templ.EscapeString(string(t)))
	return err
}

// count is "1 order", "3 orders": n and the noun, singular for one.
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
