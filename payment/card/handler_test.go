package card

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
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
