package templates_test

import (
	"context"
	"io"
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

// Field and SelectField mark their wrapper invalid, and their control aria-invalid, only
// with an error, whose text is escaped; a select submits the option matching its value.
func TestField_AndSelectField_States(t *testing.T) {
	render := func(c interface {
		Render(context.Context, io.Writer) error
	}) string {
		t.Helper()
		var b strings.Builder
		if err := c.Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	options := []templates.Option{{Value: "FR", Label: "France"}, {Value: "BE", Label: "Belgium & <Co>"}}
	for _, errMsg := range []string{"", "Say <where> & how"} {
		field := render(templates.Field(templates.FieldProps{ID: "city", Name: "city", Label: "City <town>", Type: "text",
			Value: `Lyon "2"`, Error: errMsg}))
		sel := render(templates.SelectField("country", "country", "Country", "BE", errMsg, options))
		for what, html := range map[string]string{"Field": field, "SelectField": sel} {
			wrapper := `<div class="field">`
			if errMsg != "" {
				wrapper = `<div class="field invalid">`
			}
			if !strings.HasPrefix(html, wrapper) {
				t.Errorf("%s with error %q starts %.40q, want %q", what, errMsg, html, wrapper)
			}
			if got := strings.Contains(html, `aria-invalid="true"`); got != (errMsg != "") {
				t.Errorf("%s with error %q: aria-invalid %v", what, errMsg, got)
			}
			if errMsg != "" && !strings.Contains(html, ">Say &lt;where&gt; &amp; how</p>") {
				t.Errorf("%s: error text not escaped beside it: %s", what, html)
			}
		}
		if !strings.Contains(field, `<label for="city">City &lt;town&gt;</label>`) || !strings.Contains(field, `value="Lyon &#34;2&#34;"`) {
			t.Errorf("Field's label or value not escaped: %s", field)
		}
		if strings.Count(sel, " selected") != 1 || !strings.Contains(sel, `<option value="BE" selected>Belgium &amp; &lt;Co&gt;</option>`) {
			t.Errorf("SelectField does not select BE alone, escaped: %s", sel)
		}
	}
}
