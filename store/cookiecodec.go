package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
)

// ValuesCodec serialises session values in a small binary form instead of gob. gob built
// a new decoder for every cookie it read (a fifth of a product page's CPU), and the JSON
// that replaced it still cost a twentieth; the shop's sessions only ever hold strings
// (ids), int64s and lists of strings (flashes). Cookies written as JSON by earlier
// versions still decode, so an upgrade keeps every visitor's cart.
//
// The form: 'b', the number of values, then per value its key, a kind ('s', 'i' or 'l')
// and the value; strings and lists are preceded by their length, numbers are varints.
// The cookie's MAC is checked before this runs, but a decoder must still never panic.
type ValuesCodec struct{}

const binaryValues = 'b'

func (ValuesCodec) Serialize(src any) ([]byte, error) {
	m, ok := src.(map[any]any)
	if !ok {
		return nil, fmt.Errorf("session values: unexpected %T", src)
	}
	b := make([]byte, 0, 64)
	b = append(b, binaryValues)
	b = binary.AppendUvarint(b, uint64(len(m)))
	for k, v := range m {
		key, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("session values: key of type %T", k)
		}
		b = appendString(b, key)
		switch v := v.(type) {
		case string:
			b = appendString(append(b, 's'), v)
		case int64:
			b = binary.AppendVarint(append(b, 'i'), v)
		case []any:
			b = binary.AppendUvarint(append(b, 'l'), uint64(len(v)))
			for _, e := range v {
				s, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("session values: %q holds a %T", key, e)
				}
				b = appendString(b, s)
			}
		default:
			return nil, fmt.Errorf("session values: %q holds a %T", key, v)
		}
	}
	return b, nil
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func (ValuesCodec) Deserialize(src []byte, dst any) error {
	p, ok := dst.(*map[any]any)
	if !ok {
		return fmt.Errorf("session values: cannot decode into %T", dst)
	}
	if len(src) > 0 && src[0] == '{' {
		return deserializeJSON(src, p)
	}
	if len(src) == 0 || src[0] != binaryValues {
		return errors.New("session values: unknown form")
	}
	r := valuesReader{b: src[1:]}
	n := r.uvarint()
	if n > uint64(len(r.b)) { // every value takes at least a byte
		return errors.New("session values: truncated")
	}
	m := make(map[any]any, n)
	for range n {
		key := r.string()
		switch r.byte() {
		case 's':
			m[key] = r.string()
		case 'i':
			m[key] = r.varint()
		case 'l':
			count := r.uvarint()
			if count > uint64(len(r.b)) {
				return errors.New("session values: truncated")
			}
			list := make([]any, count)
			for i := range list {
				list[i] = r.string()
			}
			m[key] = list
		default:
			r.err = true
		}
		if r.err {
			return errors.New("session values: malformed")
		}
	}
	if r.err || len(r.b) != 0 {
		return errors.New("session values: malformed")
	}
	*p = m
	return nil
}

// valuesReader reads the binary form; a read past the end sets err and yields zeros.
type valuesReader struct {
	b   []byte
	err bool
}

func (r *valuesReader) byte() byte {
	if len(r.b) == 0 {
		r.err = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *valuesReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *valuesReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *valuesReader) string() string {
	n := r.uvarint()
	if r.err || n > uint64(len(r.b)) {
		r.err = true
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// cookieValue is one value of the JSON form earlier versions wrote.
type cookieValue struct {
	S *string  `json:"s,omitempty"`
	I *int64   `json:"i,omitempty"`
	L []string `json:"l,omitempty"`
}

func deserializeJSON(src []byte, p *map[any]any) error {
	var in map[string]cookieValue
	if err := json.Unmarshal(src, &in); err != nil {
		return err
	}
	m := make(map[any]any, len(in))
	for k, v := range in {
		switch {
		case v.S != nil:
			m[k] = *v.S
		case v.I != nil:
			m[k] = *v.I
		default:
			list := make([]any, len(v.L))
			for i, s := range v.L {
				list[i] = s
			}
			m[k] = list
		}
	}
	*p = m
	return nil
}

func useValuesCodec(cs *sessions.CookieStore) {
	for _, c := range cs.Codecs {
		if sc, ok := c.(*securecookie.SecureCookie); ok {
			sc.SetSerializer(ValuesCodec{})
		}
	}
}
