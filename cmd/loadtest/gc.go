package main

import (
	"os"
	"runtime/debug"
	"strconv"
)

// driverGCPercent is the driver's GOGC unless its environment sets one. The driver
// measures latency on its own goroutines, so its collections' pauses and assists landed
// in the figures as if the server had been slow: with Go's default (100), hello's p99
// at 5,000 requests/s read 2.3–3.0 ms; at 400, 1.5–2.1 ms (4 alternated pairs of the
// open rows, 100,000 products), and the shop's product page's 3.0–3.6 ms against
// 2.7–3.1 ms (and one 11.7 ms, the machine). The servers are started without GOGC and
// keep their own: the shop sets its collector itself (cmd/shop's tuneGC), hello runs
// at Go's default.
const driverGCPercent = 400

// tuneDriverGC applies driverGCPercent unless GOGC is set, and returns the GOGC the
// driver runs with (-1: off).
func tuneDriverGC() int {
	if v, ok := os.LookupEnv("GOGC"); ok {
		if v == "off" {
			return -1
		}
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
		return 100 // the runtime ignores a value it cannot read
	}
	debug.SetGCPercent(driverGCPercent)
	return driverGCPercent
}

// driverGOGC is how the report's header names the driver's GOGC; nothing for a run that
// did not record it.
func driverGOGC(n int) string {
	switch n {
	case 0:
		return ""
	case -1:
		return ", driver GOGC off"
	}
	return ", driver GOGC " + strconv.Itoa(n)
}
