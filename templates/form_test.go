package templates_test

import (
	"context"
	"strings"
	"testing"

	"shop/templates"
)

// A field's hint and error are both named by aria-describedby, the error first, and
// each id it names is on the page.
func TestField_DescribedByItsErrorAndHint(t *testing.T) {
	for _, tt := range []struct {
		errMsg, hint, want string
	}{
		{"", "", ""},
		{"", "As printed on the card", "expiry-hint"},
		{"This card has expired.", "", "expiry-error"},
		{"This card has expired.", "As printed on the card", "expiry-error expiry-hint"},
	} {
		var b strings.Builder
		p := templates.FieldProps{ID: "expiry", Name: "expiry", Label: "Expiry date", Type: "text", Error: tt.errMsg, Hint: tt.hint}
		if err := templates.Field(p).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		html := b.String()
		got := ""
		if _, rest, ok := strings.Cut(html, `aria-describedby="`); ok {
			got, _, _ = strings.Cut(rest, `"`)
		}
		if got != tt.want {
			t.Errorf("error %q, hint %q: aria-describedby %q, want %q", tt.errMsg, tt.hint, got, tt.want)
		}
		for _, id := range strings.Fields(got) {
			if !strings.Contains(html, `id="`+id+`"`) {
				t.Errorf("aria-describedby names %q, which is not on the page", id)
			}
		}
	}
}
