package main

import (
	"fmt"
	"sync/atomic"
	"time"
)

// A latency row's slowest requests can come from the machine rather than the shop: a
// virtual machine whose CPUs the host takes away for a moment stops the driver and the
// shop alike, and every request in flight then looks slow. The stall meter tells the
// two apart the way jHiccup does: a goroutine of the driver asks to sleep stallTick
// again and again and keeps the longest time it was away beyond that. When the driver
// itself stood still that long, the row's tail latency is suspect.
const (
	stallTick = time.Millisecond
	// stallNoted is the longest stand-still a row is reported without a note: under the
	// closed loops' full CPUs the sleeper waits its turn for a few milliseconds anyway.
	stallNoted = 100 * time.Millisecond
)

type stallMeter struct {
	longest atomic.Int64 // nanoseconds beyond the tick
	done    chan struct{}
	stopped chan struct{}
}

func startStallMeter() *stallMeter {
	m := &stallMeter{done: make(chan struct{}), stopped: make(chan struct{})}
	go m.run()
	return m
}

func (m *stallMeter) run() {
	defer close(m.stopped)
	t := time.NewTicker(stallTick)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-m.done:
			return
		case <-t.C:
			// The time of waking, not the tick's: a late wake-up is what is measured.
			now := time.Now()
			m.note(now.Sub(last) - stallTick)
			last = now
		}
	}
}

func (m *stallMeter) note(late time.Duration) {
	for {
		old := m.longest.Load()
		if int64(late) <= old || m.longest.CompareAndSwap(old, int64(late)) {
			return
		}
	}
}

// stop ends the meter and returns the longest stand-still it saw.
func (m *stallMeter) stop() time.Duration {
	close(m.done)
	<-m.stopped
	return time.Duration(m.longest.Load())
}

// stallNote is the row's note about a stand-still of the driver, if it was long
// enough to matter.
func stallNote(longest time.Duration) string {
	if longest < stallNoted {
		return ""
	}
	return fmt.Sprintf("The driver itself stood still for %s once during this row: the machine paused, "+
		"so latencies spanning that moment are not the shop's alone.", longest.Round(time.Millisecond))
}
