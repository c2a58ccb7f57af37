package main

import (
	"bytes"
	"iter"
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

var stateRe = regexp.MustCompile(`class="state state-([a-z_]+)"`)

// forms yields the forms of a page in order. It stops reading the page when the caller
// stops: a flow wants one form, usually near the top, and the rest of a long page was
// a tenth of the driver's own work per purchase.
func forms(body []byte) iter.Seq[htmlForm] {
	return func(yield func(htmlForm) bool) {
		var f *htmlForm
		for i := 0; ; {
			t, ok := nextTag(body, i)
			if !ok {
				return
			}
			i = t.to
			switch {
			case t.name == "form" && t.end:
				if f != nil {
					if !yield(*f) {
						return
					}
					f = nil
				}
			case t.name == "form":
				a := parseAttrs(t.attrs)
				f = &htmlForm{method: strings.ToUpper(a.get("method")), action: a.get("action"), testID: a.get("data-testid"),
					values: url.Values{}, names: map[string]bool{}, options: map[string][]string{}}
				if f.method == "" {
					f.method = "GET"
				}
			case t.end:
			case t.name == "script" || t.name == "style" || t.name == "textarea" || t.name == "select":
				end := rawEnd(body, t)
				if end < 0 {
					return // unclosed: the page is cut short, and so is its form
				}
				i = end
				if f == nil {
					continue
				}
				if t.name == "textarea" {
					if a := parseAttrs(t.attrs); a.get("name") != "" {
						f.names[a.get("name")] = true
						f.values.Set(a.get("name"), unescape(body[t.to:end]))
					}
				} else if t.name == "select" {
					f.selectField(parseAttrs(t.attrs), body[t.to:end])
				}
			case t.name == "input" && f != nil:
				f.input(parseAttrs(t.attrs))
			}
		}
	}
}

func (f *htmlForm) input(a attrList) {
	name := a.get("name")
	if name == "" {
		return
	}
	f.names[name] = true
	switch strings.ToLower(a.get("type")) {
	case "submit", "button", "image", "reset", "file":
	case "checkbox", "radio":
		f.options[name] = append(f.options[name], a.get("value"))
		if a.has("checked") {
			f.values.Add(name, valueOr(a, "on"))
		}
	default:
		f.values.Set(name, a.get("value"))
	}
}

// selectField reads a select's options: the selected one is submitted, else the first.
func (f *htmlForm) selectField(a attrList, inner []byte) {
	name := a.get("name")
	if name == "" {
		return
	}
	f.names[name] = true
	chosen, first := "", true
	for i := 0; ; {
		t, ok := nextTag(inner, i)
		if !ok {
			break
		}
		i = t.to
		if t.name != "option" || t.end {
			continue
		}
		oa := parseAttrs(t.attrs)
		f.options[name] = append(f.options[name], oa.get("value"))
		if first || oa.has("selected") {
			chosen, first = oa.get("value"), false
		}
		if oa.has("selected") {
			break
		}
	}
	f.values.Set(name, chosen)
}

func valueOr(a attrList, def string) string {
	if v, ok := a.lookup("value"); ok {
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
	for f := range forms(p.body) {
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
	for i := 0; ; {
		t, ok := nextTag(body, i)
		if !ok {
			return ""
		}
		i = t.to
		if t.name == "a" && !t.end && bytes.Contains(t.attrs, []byte(id)) {
			if a := parseAttrs(t.attrs); a.get("data-testid") == id {
				return a.get("href")
			}
		}
	}
}

// paymentState reads the order page's payment state (the state-… class), "" if absent.
func paymentState(body []byte) string {
	if m := stateRe.FindSubmatch(body); m != nil {
		return string(m[1])
	}
	return ""
}
