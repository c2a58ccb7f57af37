package sandbox_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// page is a bank page as the shopper's browser gets it, parsed. The pages
// are written as well-formed markup, so the standard library's XML decoder
// in its lenient HTML mode can read them.
type page struct {
	t      *testing.T
	url    *url.URL
	status int
	body   string
	nodes  []*node
}

type node struct {
	name   string
	attrs  map[string]string
	parent *node
	text   strings.Builder
}

// Text is the node's text with white space collapsed.
func (n *node) Text() string { return strings.Join(strings.Fields(n.text.String()), " ") }

func (n *node) within(ancestor *node) bool {
	for p := n.parent; p != nil; p = p.parent {
		if p == ancestor {
			return true
		}
	}
	return false
}

func readPage(t *testing.T, resp *http.Response) *page {
	t.Helper()
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	p := &page{t: t, url: resp.Request.URL, status: resp.StatusCode, body: string(raw)}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Fatalf("Content-Type = %q; body %s", ct, raw)
	}
	d := xml.NewDecoder(bytes.NewReader(raw))
	d.Strict, d.AutoClose, d.Entity = false, xml.HTMLAutoClose, xml.HTMLEntity
	var stack []*node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("page does not parse: %v\n%s", err, raw)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			if len(stack) > 0 {
				n.parent = stack[len(stack)-1]
			}
			p.nodes = append(p.nodes, n)
			stack = append(stack, n)
		case xml.EndElement:
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i].name == tok.Name.Local {
					stack = stack[:i]
					break
				}
			}
		case xml.CharData:
			for _, n := range stack {
				n.text.Write(tok)
			}
		}
	}
	return p
}

// byTestID finds the element with that data-testid, or nil.
func (p *page) byTestID(id string) *node {
	for _, n := range p.nodes {
		if n.attrs["data-testid"] == id {
			return n
		}
	}
	return nil
}

// must finds the element with that data-testid or fails the test.
func (p *page) must(id string) *node {
	p.t.Helper()
	n := p.byTestID(id)
	if n == nil {
		p.t.Fatalf("no data-testid=%q on the page (HTTP %d):\n%s", id, p.status, p.body)
	}
	return n
}

// label returns the text of the label of the input with that data-testid.
func (p *page) label(id string) string {
	p.t.Helper()
	in := p.must(id)
	for _, n := range p.nodes {
		if n.name == "label" && n.attrs["for"] != "" && n.attrs["for"] == in.attrs["id"] {
			return n.Text()
		}
	}
	p.t.Fatalf("input %q has no label", id)
	return ""
}

// submit posts the form with that data-testid as a browser would: its
// inputs with their values, overridden by set, to its action resolved
// against the page's URL.
func (p *page) submit(client *http.Client, formID string, set map[string]string) *page {
	p.t.Helper()
	form := p.must(formID)
	v := url.Values{}
	for _, n := range p.nodes {
		if n.name == "input" && n.within(form) && n.attrs["name"] != "" {
			v.Set(n.attrs["name"], n.attrs["value"])
		}
	}
	for k, val := range set {
		v.Set(k, val)
	}
	action, err := p.url.Parse(form.attrs["action"])
	if err != nil {
		p.t.Fatal(err)
	}
	if m := form.attrs["method"]; m != "post" {
		p.t.Fatalf("form %s method = %q", formID, m)
	}
	resp, err := client.PostForm(action.String(), v)
	if err != nil {
		p.t.Fatal(err)
	}
	return readPage(p.t, resp)
}
