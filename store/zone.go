package store

import "time"

// Zone is the merchant's time zone (SHOP_TIMEZONE): pages, mails and the admin's days
// show and count time in it. The database keeps UTC, and every time compared in SQL
// is converted back to UTC first: times are stored as text with their offset. The
// zero Zone is UTC.
type Zone struct{ loc *time.Location }

// NewZone makes a Zone of loc; nil means UTC.
func NewZone(loc *time.Location) Zone { return Zone{loc} }

// Location is the zone's location.
func (z Zone) Location() *time.Location {
	if z.loc == nil {
		return time.UTC
	}
	return z.loc
}

// Time writes t for shoppers and merchants, naming the zone: "2 Jan 2006 at 15:04 CET".
func (z Zone) Time(t time.Time) string { return t.In(z.Location()).Format("2 Jan 2006 at 15:04 MST") }

// Stamp writes t in the admin's tables, where the zone is the same on every row. In the
// hour the clocks go back, whose times happen twice, it names the zone ("CEST", "CET"),
// or gives the offset where both sides share a name: two orders a few minutes apart
// would otherwise seem an hour apart, or out of order.
func (z Zone) Stamp(t time.Time) string {
	local := t.In(z.Location())
	other, ok := z.twin(t)
	switch {
	case !ok:
		return local.Format("2006-01-02 15:04")
	case zoneName(local) == zoneName(other):
		return local.Format("2006-01-02 15:04 -07:00")
	}
	return local.Format("2006-01-02 15:04 MST")
}

func zoneName(t time.Time) string { name, _ := t.Zone(); return name }

// twin is the other instant that shows t's wall clock time, in the hour the clocks go
// back; it would have the offset in force a few hours before or after t.
func (z Zone) twin(t time.Time) (time.Time, bool) {
	loc := z.Location()
	_, off := t.In(loc).Zone()
	for _, d := range []time.Duration{-3 * time.Hour, 3 * time.Hour} {
		_, o := t.Add(d).In(loc).Zone()
		if o == off {
			continue
		}
		// The same wall clock under offset o: t + off = u + o.
		u := t.Add(time.Duration(off-o) * time.Second).In(loc)
		if _, uo := u.Zone(); uo == o {
			return u, true
		}
	}
	return time.Time{}, false
}

// Midnight is the start of t's day in the zone.
func (z Zone) Midnight(t time.Time) time.Time {
	t = t.In(z.Location())
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, z.Location())
}

// Day reads a date written YYYY-MM-DD as the start of that day in the zone.
func (z Zone) Day(s string) (time.Time, bool) {
	t, err := time.ParseInLocation(time.DateOnly, s, z.Location())
	return t, err == nil
}
