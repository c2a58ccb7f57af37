package card

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

type stringerValue struct{ s string }

func (v stringerValue) String() string { return v.s }

// nilMarshaler panics in MarshalText when nil, as careless ones do.
type nilMarshaler struct{ s string }

func (m *nilMarshaler) MarshalText() ([]byte, error) { return []byte(m.s), nil }

type payload struct {
	Ref string
	PAN string
}

func TestScrubHandler(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(ScrubHandler(slog.NewTextHandler(&buf, nil)))

	l.Info("charge 4242424242424242 failed",
		"card", "4242 4242 4242 4242",
		slog.Group("payment", "pan", "5555-5555-5555-4444", slog.Group("inner", "amex", "378282246310005")),
		"err", fmt.Errorf("bank said no to %s", "4012888888881881"),
		"stringer", stringerValue{"visa13 4007000000027"},
		"int", int64(4111111111111111),
		"uint", uint64(5105105105105100),
		"struct", payload{Ref: "AB12", PAN: "30569309025904"},
		"bytes", []byte("2223003122003222"),
		"order", "20261123123456",
		"marshaler", &nilMarshaler{"4242424242424242"},
		"nil marshaler", (*nilMarshaler)(nil),
	)
	l.With("with", "38520000023237", slog.Group("g", "x", "36227206271667")).
		WithGroup("grp").
		Info("grouped", "pan", "5200828282828210", "err", errors.New("3056930009020004 declined"))

	out := buf.String()
	for _, ns := range testNumbers {
		for _, s := range ns {
			if strings.Contains(out, s) || strings.Contains(out, groupBy4(s, " ")) || strings.Contains(out, groupBy4(s, "-")) {
				t.Errorf("log shows %s:\n%s", s, out)
			}
		}
	}
	for _, want := range []string{
		`msg="charge [redacted card number] failed"`,
		`card="[redacted card number]"`,
		`payment.pan="[redacted card number]"`,
		`payment.inner.amex="[redacted card number]"`,
		`err="bank said no to [redacted card number]"`,
		`stringer="visa13 [redacted card number]"`,
		`int="[redacted card number]"`,
		`uint="[redacted card number]"`,
		`struct="{Ref:AB12 PAN:[redacted card number]}"`,
		`bytes="[redacted card number]"`,
		`order=20261123123456`, // fails Luhn: kept
		`marshaler="[redacted card number]"`,
		`"nil marshaler"="!PANIC while rendering a log value"`,
		`with="[redacted card number]"`,
		`g.x="[redacted card number]"`,
		`grp.pan="[redacted card number]"`,
		`grp.err="[redacted card number] declined"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}

func TestScrubHandler_KeepsOtherValues(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(ScrubHandler(slog.NewJSONHandler(&buf, nil)))
	l.Info("order placed", "total", 4999, "ok", true, "struct", payload{Ref: "AB12"}, "n", mustParseNumber(t, "4012888888881881"))
	out := buf.String()
	for _, want := range []string{`"total":4999`, `"ok":true`, `"struct":{"Ref":"AB12","PAN":""}`, `"n":"401288…"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}

func TestScrubHandler_Level(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(ScrubHandler(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})))
	l.Info("dropped 4242424242424242")
	if buf.Len() != 0 || l.Enabled(t.Context(), slog.LevelInfo) {
		t.Errorf("level not passed through: %q", buf.String())
	}
}

// TestPlainRecords: the records the handler passes on uncopied are those the full scrub
// would leave as they are.
func TestPlainRecords(t *testing.T) {
	record := func(msg string, args ...any) slog.Record {
		r := slog.NewRecord(time.Time{}, slog.LevelInfo, msg, 0)
		r.Add(args...)
		return r
	}
	for _, tc := range []struct {
		name string
		r    slog.Record
		want bool
	}{
		{"request line", record("request", "method", "GET", "path", "/products/teapot-2", "status", 200,
			"latency", 1500*time.Microsecond, "request_id", "2A3PUR5MUJ4EHEZE-1", "ok", true, "at", time.Now(), "f", 1.5), true},
		{"twelve-digit numbers", record("m", "n", int64(999_999_999_999), "u", uint64(999_999_999_999),
			"neg", int64(-999_999_999_999)), true},
		{"card in the message", record("paid with 4242424242424242"), false},
		{"card in a string", record("m", "path", "/pay/4242 4242 4242 4242"), false},
		{"thirteen digits that fail Luhn", record("m", "order", "20261123123456"), false}, // Scrub decides
		{"card as an int", record("m", "n", int64(4111111111111111)), false},
		{"card as a negative int", record("m", "n", int64(-4111111111111111)), false},
		{"card as a uint", record("m", "n", uint64(5105105105105100)), false},
		{"card in a key", record("m", "4242424242424242", 1), false},
		{"error", record("m", "err", errors.New("no")), false},
		{"group", record("m", slog.Group("g", "a", 1)), false},
		{"struct", record("m", "s", payload{Ref: "AB12"}), false},
	} {
		if got := plain(tc.r); got != tc.want {
			t.Errorf("%s: plain = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestScrubHandler_PlainRecordAsIs: a plain record reaches the next handler whole.
func TestScrubHandler_PlainRecordAsIs(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(ScrubHandler(slog.NewTextHandler(&buf, nil)))
	l.Info("request", "method", "GET", "path", "/products/teapot", "status", 200, "latency", 1500*time.Microsecond)
	if want := `msg=request method=GET path=/products/teapot status=200 latency=1.5ms`; !strings.Contains(buf.String(), want) {
		t.Errorf("log = %q, want it to hold %q", buf.String(), want)
	}
}
