package main

import (
	"html"
	"net/url"
	"regexp"
	"strings"
)

// htmlForm is one <form> of a page, read the way a browser would submit it untouched:
// hidden and text inputs with their values, checked boxes and radios, each select's
// selected (or first) option, textareas. Field names are read from the page, so a
// flow adapts to a form whose fields it does not know in advance.
type htmlForm struct {
	method, action string
	testID         string
	values         url.Values
	names          map[string]bool     // every field the form has, filled or not
	options        map[string][]string // the values a select or radio group offers
}

var (
	formRe   = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	fieldRe  = regexp.MustCompile(`(?is)<input\b([^>]*)>|<select\b([^>]*)>(.*?)</select>|<textarea\b([^>]*)>(.*?)</textarea>`)
	optionRe = regexp.MustCompile(`(?is)<option\b([^>]*)>`)
	attrRe   = regexp.MustCompile(`([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?`)
	linkRe   = regexp.MustCompile(`(?is)<a\b([^>]*)>`)
	stateRe  = regexp.MustCompile(`class="state state-([a-z_]+)"`)
)

// attrs reads a tag's attributes; a bare attribute (checked, selected) maps to "".
func attrs(s string) map[string]string {
	out := map[string]string{}
	for _, m := range attrRe.FindAllStringSubmatch(s, -1) {
		out[strings.ToLower(m[1])] = html.UnescapeString(m[2] + m[3] + m[4])
	}
	return out
}

func has(a map[string]string, name string) bool {
	_, ok := a[name]
	return ok
}

// forms reads every form of a page.
func forms(body []byte) []htmlForm {
	var out []htmlForm
	for _, m := range formRe.FindAllSubmatch(body, -1) {
		fa := attrs(string(m[1]))
		f := htmlForm{method: strings.ToUpper(fa["method"]), action: fa["action"], testID: fa["data-testid"],
			values: url.Values{}, names: map[string]bool{}, options: map[string][]string{}}
		if f.method == "" {
			f.method = "GET"
		}
		for _, fm := range fieldRe.FindAllSubmatch(m[2], -1) {
			switch {
			case fm[1] != nil:
				f.input(attrs(string(fm[1])))
			case fm[2] != nil:
				f.selectField(attrs(string(fm[2])), string(fm[3]))
			case fm[4] != nil:
				if a := attrs(string(fm[4])); a["name"] != "" {
					f.names[a["name"]] = true
					f.values.Set(a["name"], html.UnescapeString(string(fm[5])))
				}
			}
		}
		out = append(out, f)
	}
	return out
}

func (f *htmlForm) input(a map[string]string) {
	name := a["name"]
	if name == "" {
		return
	}
	f.names[name] = true
	switch strings.ToLower(a["type"]) {
	case "submit", "button", "image", "reset", "file":
	case "checkbox", "radio":
		f.options[name] = append(f.options[name], a["value"])
		if has(a, "checked") {
			f.values.Add(name, valueOr(a, "on"))
		}
	default:
		f.values.Set(name, a["value"])
	}
}

func (f *htmlForm) selectField(a map[string]string, inner string) {
	name := a["name"]
	if name == "" {
		return
	}
	f.names[name] = true
	chosen, first := "", true
	for _, om := range optionRe.FindAllStringSubmatch(inner, -1) {
		oa := attrs(om[1])
		f.options[name] = append(f.options[name], oa["value"])
		if first || has(oa, "selected") {
			chosen, first = oa["value"], false
		}
		if has(oa, "selected") {
			break
		}
	}
	f.values.Set(name, chosen)
}

func valueOr(a map[string]string, def string) string {
	if v, ok := a["value"]; ok {
		return v
	}
	return def
}

// fill sets the fields the form has, from want; a name the form lacks is skipped, so
// one list of candidate names fits forms that differ in naming.
func (f *htmlForm) fill(want map[string]string) {
	for name, v := range want {
		if f.names[name] {
			f.values.Set(name, v)
		}
	}
}

// findForm picks the first form of the page whose method is POST and whose action or
// data-testid contains hint ("" takes the first POST form). Its action comes back
// resolved against the page's address, as a browser would post it.
func findForm(p page, hint string) (htmlForm, bool) {
	for _, f := range forms(p.body) {
		if f.method == "POST" && (hint == "" || strings.Contains(f.action, hint) || strings.Contains(f.testID, hint)) {
			if p.url != nil {
				if u, err := p.url.Parse(f.action); err == nil {
					f.action = u.String()
				}
			}
			return f, true
		}
	}
	return htmlForm{}, false
}

// linkByTestID is the href of the first link with that data-testid.
func linkByTestID(body []byte, id string) string {
	for _, m := range linkRe.FindAllSubmatch(body, -1) {
		a := attrs(string(m[1]))
		if a["data-testid"] == id {
			return a["href"]
		}
	}
	return ""
}

// paymentState reads the order page's payment state (the state-… class), "" if absent.
func paymentState(body []byte) string {
	if m := stateRe.FindSubmatch(body); m != nil {
		return string(m[1])
	}
	return ""
}
