package main

import (
	"runtime/debug"
	"testing"
)

// The driver runs with GOGC 400 unless its environment sets GOGC, which then stands.
func TestTuneDriverGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })

	if got := tuneDriverGC(); got != driverGCPercent {
		t.Errorf("without GOGC: %d, want %d", got, driverGCPercent)
	}
	if now := debug.SetGCPercent(100); now != driverGCPercent {
		t.Errorf("the runtime runs at GOGC %d, want %d", now, driverGCPercent)
	}

	for env, want := range map[string]int{"150": 150, "off": -1, "fast": 100} {
		t.Setenv("GOGC", env)
		if got := tuneDriverGC(); got != want {
			t.Errorf("GOGC=%s: %d, want %d", env, got, want)
		}
		if now := debug.SetGCPercent(100); now != 100 {
			t.Errorf("GOGC=%s: the driver changed the runtime's GOGC to %d", env, now)
		}
	}
}

func TestDriverGOGC(t *testing.T) {
	for n, want := range map[int]string{0: "", -1: ", driver GOGC off", 400: ", driver GOGC 400"} {
		if got := driverGOGC(n); got != want {
			t.Errorf("driverGOGC(%d) = %q, want %q", n, got, want)
		}
	}
}
