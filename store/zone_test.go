package store

import (
	"testing"
	"time"
	_ "time/tzdata" // the zones, on a machine without a zone database
)

// TestZone_StampNamesTheZoneOnlyInTheRepeatedHour: in Paris the clocks went back from
// 03:00 CEST to 02:00 CET on 25 October 2026, so 02:00–02:59 happened twice; a stamp in
// that hour names its zone, any other stamp (the spring's skipped hour too) does not.
// Where both sides share a name, the stamp gives the offset.
func TestZone_StampNamesTheZoneOnlyInTheRepeatedHour(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	z := NewZone(paris)
	for utc, want := range map[string]string{
		"2026-10-24T23:59:00Z": "2026-10-25 01:59",
		"2026-10-25T00:00:00Z": "2026-10-25 02:00 CEST",
		"2026-10-25T00:30:00Z": "2026-10-25 02:30 CEST",
		"2026-10-25T00:59:00Z": "2026-10-25 02:59 CEST",
		"2026-10-25T01:00:00Z": "2026-10-25 02:00 CET",
		"2026-10-25T01:30:00Z": "2026-10-25 02:30 CET",
		"2026-10-25T01:59:00Z": "2026-10-25 02:59 CET",
		"2026-10-25T02:00:00Z": "2026-10-25 03:00",
		"2026-03-29T00:59:00Z": "2026-03-29 01:59",
		"2026-03-29T01:00:00Z": "2026-03-29 03:00",
		"2026-07-14T10:00:00Z": "2026-07-14 12:00",
	} {
		at, err := time.Parse(time.RFC3339, utc)
		if err != nil {
			t.Fatal(err)
		}
		if got := z.Stamp(at); got != want {
			t.Errorf("Stamp(%s) = %q, want %q", utc, got, want)
		}
	}
	// Moscow went back from +04 to +03 on 26 October 2014, both called MSK.
	moscow, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	for utc, want := range map[string]string{
		"2014-10-25T21:30:00Z": "2014-10-26 01:30 +04:00",
		"2014-10-25T22:30:00Z": "2014-10-26 01:30 +03:00",
		"2014-10-25T23:30:00Z": "2014-10-26 02:30",
	} {
		at, _ := time.Parse(time.RFC3339, utc)
		if got := NewZone(moscow).Stamp(at); got != want {
			t.Errorf("Moscow Stamp(%s) = %q, want %q", utc, got, want)
		}
	}
	if got := NewZone(nil).Stamp(time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC)); got != "2026-10-25 01:30" {
		t.Errorf("UTC stamp = %q", got)
	}
}
