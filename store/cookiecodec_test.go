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
