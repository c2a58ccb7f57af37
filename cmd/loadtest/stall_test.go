package main

import (
	"strings"
	"testing"
	"time"
)

func TestStallMeter_KeepsTheLongestStandStill(t *testing.T) {
	m := startStallMeter()
	for _, d := range []time.Duration{3 * time.Millisecond, 250 * time.Millisecond, 40 * time.Millisecond} {
		m.note(d)
	}
	if got := m.stop(); got < 250*time.Millisecond {
		t.Errorf("longest stand-still %v, want at least 250ms", got)
	}
}

func TestStallNote_OnlyPastTheThreshold(t *testing.T) {
	if n := stallNote(stallNoted - time.Millisecond); n != "" {
		t.Errorf("a short stand-still is noted: %q", n)
	}
	if n := stallNote(1234 * time.Millisecond); !strings.Contains(n, "1.234s") {
		t.Errorf("the note does not say how long: %q", n)
	}
}
