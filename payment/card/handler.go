package card

import (
	"context"
	"encoding"
	"fmt"
	"log/slog"
	"strconv"
)

// ScrubHandler wraps h so that every record passes through Scrub before h
// sees it: the message, attribute keys and values, attributes inside groups
// and those given to WithAttrs. Values that a handler would turn into text
// (errors, fmt.Stringers, text marshalers, integers, any other value printed
// with %+v) are checked in that text form; when Scrub changes it, the
// scrubbed text replaces the value, otherwise the value is passed on as is.
func ScrubHandler(h slog.Handler) slog.Handler { return scrubHandler{next: h} }

type scrubHandler struct{ next slog.Handler }

func (h scrubHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h scrubHandler) Handle(ctx context.Context, r slog.Record) error {
	if plain(r) {
		return h.next.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, Scrub(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(scrubAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

// plain reports a record that cannot show a card number, which then goes on as it
// is, uncopied: the request log line (a method, a path, a status, a latency, an id) is
// written for every request. It tells the same as the full scrub would: a string with
// fewer digits than a card number and an integer below 10^12 come out of Scrub
// unchanged, and booleans, floats, durations and times are passed on as they are
// anyway. Anything else (an error, a LogValuer, a group, any other value) takes the
// full scrub.
func plain(r slog.Record) bool {
	if countDigits(r.Message) >= minScrubDigits {
		return false
	}
	ok := true
	r.Attrs(func(a slog.Attr) bool {
		ok = countDigits(a.Key) < minScrubDigits && plainValue(a.Value)
		return ok
	})
	return ok
}

func plainValue(v slog.Value) bool {
	const below = 1_000_000_000_000 // 10^12: at most 12 digits
	switch v.Kind() {
	case slog.KindString:
		return countDigits(v.String()) < minScrubDigits
	case slog.KindInt64:
		return v.Int64() > -below && v.Int64() < below
	case slog.KindUint64:
		return v.Uint64() < below
	case slog.KindBool, slog.KindFloat64, slog.KindDuration, slog.KindTime:
		return true
	}
	return false
}

func (h scrubHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return scrubHandler{next: h.next.WithAttrs(scrubAttrs(attrs))}
}

func (h scrubHandler) WithGroup(name string) slog.Handler {
	return scrubHandler{next: h.next.WithGroup(Scrub(name))}
}

func scrubAttrs(attrs []slog.Attr) []slog.Attr {
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i] = scrubAttr(a)
	}
	return out
}

func scrubAttr(a slog.Attr) slog.Attr {
	return slog.Attr{Key: Scrub(a.Key), Value: scrubValue(a.Value)}
}

func scrubValue(v slog.Value) slog.Value {
	// Resolve first: a LogValuer may return a string or a group holding a
	// number (a Number's LogValue returns its mask).
	v = v.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.StringValue(Scrub(v.String()))
	case slog.KindInt64:
		return scrubText(strconv.FormatInt(v.Int64(), 10), v)
	case slog.KindUint64:
		return scrubText(strconv.FormatUint(v.Uint64(), 10), v)
	case slog.KindGroup:
		return slog.GroupValue(scrubAttrs(v.Group())...)
	case slog.KindAny:
		return scrubAny(v)
	}
	return v
}

// scrubAny turns errors and Stringers into their scrubbed text, as handlers
// print them as text anyway, and checks any other value in the text form a
// handler would print.
func scrubAny(v slog.Value) (out slog.Value) {
	// MarshalText on a nil pointer may panic; a log call must not.
	defer func() {
		if recover() != nil {
			out = slog.StringValue("!PANIC while rendering a log value")
		}
	}()
	switch x := v.Any().(type) {
	case error, fmt.Stringer:
		// fmt.Sprint, not x.Error(): it survives nil receivers and panics.
		return slog.StringValue(Scrub(fmt.Sprint(x)))
	case []byte:
		return scrubText(string(x), v)
	case encoding.TextMarshaler:
		text, err := x.MarshalText()
		if err != nil {
			return v
		}
		return scrubText(string(text), v)
	default:
		return scrubText(fmt.Sprintf("%+v", x), v)
	}
}

// scrubText returns v unchanged unless its text form holds a card number, in
// which case the scrubbed text replaces it.
func scrubText(text string, v slog.Value) slog.Value {
	if scrubbed := Scrub(text); scrubbed != text {
		return slog.StringValue(scrubbed)
	}
	return v
}
