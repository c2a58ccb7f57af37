package store

import (
	"encoding/json"
	"fmt"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
)

// ValuesCodec serialises session values as small JSON instead of gob. gob builds a new
// decoder for every cookie it reads, which cost a fifth of a product page's CPU; the
// shop's sessions only ever hold strings (ids), int64s and lists of strings (flashes).
type ValuesCodec struct{}

type cookieValue struct {
	S *string  `json:"s,omitempty"`
	I *int64   `json:"i,omitempty"`
	L []string `json:"l,omitempty"`
}

func (ValuesCodec) Serialize(src any) ([]byte, error) {
	m, ok := src.(map[any]any)
	if !ok {
		return nil, fmt.Errorf("session values: unexpected %T", src)
	}
	out := make(map[string]cookieValue, len(m))
	for k, v := range m {
		key, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("session values: key of type %T", k)
		}
		switch v := v.(type) {
		case string:
			out[key] = cookieValue{S: &v}
		case int64:
			out[key] = cookieValue{I: &v}
		case []any:
			list := make([]string, 0, len(v))
			for _, e := range v {
				s, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("session values: %q holds a %T", key, e)
				}
				list = append(list, s)
			}
			out[key] = cookieValue{L: list}
		default:
			return nil, fmt.Errorf("session values: %q holds a %T", key, v)
		}
	}
	return json.Marshal(out)
}

func (ValuesCodec) Deserialize(src []byte, dst any) error {
	p, ok := dst.(*map[any]any)
	if !ok {
		return fmt.Errorf("session values: cannot decode into %T", dst)
	}
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
