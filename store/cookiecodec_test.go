package store

import (
	"reflect"
	"testing"
)

func TestValuesCodec_RoundTripsWhatSessionsHold(t *testing.T) {
	in := map[any]any{"vid": "0123456789abcdef0123456789abcdef", "uid": int64(42), "flash": []any{"Added", "Updated"}}
	b, err := ValuesCodec{}.Serialize(in)
	if err != nil {
		t.Fatal(err)
	}
	var out map[any]any
	if err := (ValuesCodec{}).Deserialize(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip: %#v, want %#v", out, in)
	}
}

func TestValuesCodec_RefusesWhatItCannotKeepExactly(t *testing.T) {
	for _, in := range []map[any]any{
		{1: "int key"},
		{"f": 1.5},
		{"n": 7}, // a plain int would come back as int64
		{"l": []any{"ok", 3}},
	} {
		if _, err := (ValuesCodec{}).Serialize(in); err == nil {
			t.Errorf("Serialize(%#v) accepted", in)
		}
	}
	var out map[any]any
	if err := (ValuesCodec{}).Deserialize([]byte("not json"), &out); err == nil {
		t.Error("Deserialize accepted garbage")
	}
}

// TestValuesCodec_ReadsTheJSONFormOfEarlierVersions: a cookie written before the binary
// form still decodes, so an upgrade keeps every visitor's cart.
func TestValuesCodec_ReadsTheJSONFormOfEarlierVersions(t *testing.T) {
	old := []byte(`{"vid":{"s":"0123456789abcdef0123456789abcdef"},"cart":{"i":1},"flash":{"l":["Added"]}}`)
	var out map[any]any
	if err := (ValuesCodec{}).Deserialize(old, &out); err != nil {
		t.Fatal(err)
	}
	want := map[any]any{"vid": "0123456789abcdef0123456789abcdef", "cart": int64(1), "flash": []any{"Added"}}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("JSON form: %#v, want %#v", out, want)
	}
}

// TestValuesCodec_NeverPanicsOnDamagedInput: every truncation and every single-byte
// change of a valid value either decodes or is an error.
func TestValuesCodec_NeverPanicsOnDamagedInput(t *testing.T) {
	b, err := ValuesCodec{}.Serialize(map[any]any{"vid": "0123456789abcdef", "cart": int64(-3), "flash": []any{"a", "bc"}, "e": []any{}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(b) {
		var out map[any]any
		if err := (ValuesCodec{}).Deserialize(b[:i], &out); err == nil {
			t.Errorf("truncated to %d bytes: accepted as %v", i, out)
		}
		for _, c := range []byte{0x00, 0x7f, 0x80, 0xff, 's', 'i', 'l'} {
			d := append([]byte(nil), b...)
			d[i] = c
			_ = (ValuesCodec{}).Deserialize(d, &out)
		}
	}
	if err := (ValuesCodec{}).Deserialize(append(b, 0), new(map[any]any)); err == nil {
		t.Error("trailing bytes accepted")
	}
}
