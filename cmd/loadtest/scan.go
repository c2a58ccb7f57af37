package main

import (
	"bytes"
	"html"
)

// The flows read forms and links off every page of a purchase, on the machine the shop
// runs on: regular expressions made that reading two thirds of the driver's cost per
// order, so this is a small scanner over tags instead. It knows what a browser needs
// to submit a form untouched: tags, quoted and bare attributes, character references,
// comments, and raw text (script, style, textarea) that holds no tags.

// tag is one start or end tag of a page; from and to frame it, '<' to past '>'.
type tag struct {
	name     string // lower case
	end      bool
	attrs    []byte // the bytes between the name and '>'
	from, to int
}

// nextTag finds the first tag at or after i.
func nextTag(body []byte, i int) (tag, bool) {
	for {
		j := bytes.IndexByte(body[i:], '<')
		if j < 0 {
			return tag{}, false
		}
		i += j
		if bytes.HasPrefix(body[i:], []byte("<!--")) {
			k := bytes.Index(body[i+4:], []byte("-->"))
			if k < 0 {
				return tag{}, false
			}
			i += 4 + k + 3
			continue
		}
		t := tag{from: i}
		p := i + 1
		if p < len(body) && body[p] == '/' {
			t.end = true
			p++
		}
		n := p
		for n < len(body) && isNameByte(body[n]) {
			n++
		}
		if n == p || !isLetter(body[p]) {
			i++ // "<" that opens no tag: text, a doctype or a processing instruction
			continue
		}
		t.name = lowerASCII(body[p:n])
		q, end := n, -1
		for k := n; k < len(body); k++ {
			switch c := body[k]; c {
			case '"', '\'':
				close := bytes.IndexByte(body[k+1:], c)
				if close < 0 {
					return tag{}, false
				}
				k += 1 + close
			case '>':
				end = k
			}
			if end >= 0 {
				break
			}
		}
		if end < 0 {
			return tag{}, false
		}
		t.attrs, t.to = body[q:end], end+1
		return t, true
	}
}

// rawEnd is where the raw text after t ends (at its "</name"), for the elements whose
// content holds no tags; -1 when the page ends first.
func rawEnd(body []byte, t tag) int {
	closing := []byte("</" + t.name)
	for i := t.to; ; {
		j := bytes.IndexByte(body[i:], '<')
		if j < 0 {
			return -1
		}
		i += j
		if len(body)-i >= len(closing) && lowerASCII(body[i:i+len(closing)]) == string(closing) {
			return i
		}
		i++
	}
}

func isLetter(c byte) bool   { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isNameByte(c byte) bool { return isLetter(c) || c >= '0' && c <= '9' || c == '-' }

func lowerASCII(b []byte) string {
	for _, c := range b {
		if c >= 'A' && c <= 'Z' {
			return string(bytes.ToLower(b))
		}
	}
	return string(b)
}

// attr is one attribute; a bare one (checked, selected) has the value "".
type attr struct{ name, value string }

type attrList []attr

func (l attrList) get(name string) string {
	v, _ := l.lookup(name)
	return v
}

func (l attrList) has(name string) bool {
	_, ok := l.lookup(name)
	return ok
}

func (l attrList) lookup(name string) (string, bool) {
	for _, a := range l {
		if a.name == name {
			return a.value, true
		}
	}
	return "", false
}

// parseAttrs reads a tag's attributes, names in lower case, values unescaped.
func parseAttrs(b []byte) attrList {
	var out attrList
	for i := 0; i < len(b); {
		for i < len(b) && (isSpace(b[i]) || b[i] == '/') {
			i++
		}
		n := i
		for i < len(b) && !isSpace(b[i]) && b[i] != '=' && b[i] != '/' {
			i++
		}
		if n == i {
			i++
			continue
		}
		a := attr{name: lowerASCII(b[n:i])}
		k := i
		for k < len(b) && isSpace(b[k]) {
			k++
		}
		if k < len(b) && b[k] == '=' {
			k++
			for k < len(b) && isSpace(b[k]) {
				k++
			}
			var v []byte
			if k < len(b) && (b[k] == '"' || b[k] == '\'') {
				close := bytes.IndexByte(b[k+1:], b[k])
				if close < 0 {
					close = len(b) - k - 1
				}
				v, i = b[k+1:k+1+close], k+2+close
			} else {
				s := k
				for k < len(b) && !isSpace(b[k]) {
					k++
				}
				v, i = b[s:k], k
			}
			a.value = unescape(v)
		}
		out = append(out, a)
	}
	return out
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

func unescape(b []byte) string {
	if bytes.IndexByte(b, '&') < 0 {
		return string(b)
	}
	return html.UnescapeString(string(b))
}
