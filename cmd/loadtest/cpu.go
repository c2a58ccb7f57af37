package main

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// cpuTimes is CPU time in clock ticks, read from /proc: the machine's busy and total
// time (all CPUs), the server's and this driver's own.
type cpuTimes struct{ busy, total, server, driver uint64 }

// CPUUse is how the machine's CPUs were shared during a scenario, in cores: the server
// under load, this driver, and every other process. Other is the noise indicator: on a
// quiet machine it stays near zero, and any figure measured beside a busy neighbour is
// suspect.
type CPUUse struct {
	Server float64 `json:"server_cores"`
	Driver float64 `json:"driver_cores"`
	Other  float64 `json:"other_cores"`
}

func readCPU(pid int) (cpuTimes, error) {
	var c cpuTimes
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return c, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return c, errors.New("unexpected /proc/stat")
	}
	// user nice system idle iowait irq softirq steal (guest time is inside user)
	for i := 1; i <= 8; i++ {
		v, _ := strconv.ParseUint(f[i], 10, 64)
		c.total += v
		if i != 4 && i != 5 {
			c.busy += v
		}
	}
	if c.server, err = procTicks(pid); err != nil {
		return c, err
	}
	c.driver, err = procTicks(os.Getpid())
	return c, err
}

// procTicks is a process's user and system time (fields 14 and 15 of /proc/<pid>/stat).
func procTicks(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("unexpected /proc/<pid>/stat")
	}
	u, _ := strconv.ParseUint(f[11], 10, 64)
	s, _ := strconv.ParseUint(f[12], 10, 64)
	return u + s, nil
}

// plus adds the time between two readings to c: a window made of several intervals.
func (c cpuTimes) plus(a, b cpuTimes) cpuTimes {
	return cpuTimes{busy: c.busy + b.busy - a.busy, total: c.total + b.total - a.total,
		server: c.server + b.server - a.server, driver: c.driver + b.driver - a.driver}
}

// cpuBetween turns two readings into cores used on average in between.
func cpuBetween(a, b cpuTimes) *CPUUse {
	total := float64(b.total - a.total)
	if total <= 0 {
		return nil
	}
	cores := func(ticks uint64) float64 { return float64(ticks) / total * float64(runtime.NumCPU()) }
	server, driver := b.server-a.server, b.driver-a.driver
	busy := b.busy - a.busy
	other := 0.0
	if busy > server+driver {
		other = cores(busy - server - driver)
	}
	return &CPUUse{Server: cores(server), Driver: cores(driver), Other: other}
}

// cpuMeter measures the CPU split around one scenario; a reading that fails leaves
// the scenario without figures rather than failing it.
type cpuMeter struct {
	pid   int
	start cpuTimes
	ok    bool
}

func startCPU(pid int) cpuMeter {
	c, err := readCPU(pid)
	return cpuMeter{pid: pid, start: c, ok: err == nil}
}

func (m cpuMeter) stop() *CPUUse {
	if !m.ok {
		return nil
	}
	c, err := readCPU(m.pid)
	if err != nil {
		return nil
	}
	return cpuBetween(m.start, c)
}

// Waiting for a quiet shop: a scenario can leave work behind it (the checkout rows
// leave thousands of order mails to send), and a row measured while the shop still
// does it measures both. Before each row the driver waits until the shop uses less than
// idleCores over idleWindow, for at most idleMaxWait.
const (
	idleCores   = 0.1
	idleWindow  = 250 * time.Millisecond
	idleMaxWait = 60 * time.Second
)

// waitIdle returns how long the shop took to become idle, and false if it never did
// within idleMaxWait (or its CPU cannot be read).
func waitIdle(ctx context.Context, pid int) (time.Duration, bool) {
	start := time.Now()
	for time.Since(start) < idleMaxWait {
		a, err := readCPU(pid)
		if err != nil {
			return time.Since(start), false
		}
		select {
		case <-ctx.Done():
			return time.Since(start), false
		case <-time.After(idleWindow):
		}
		b, err := readCPU(pid)
		if err != nil {
			return time.Since(start), false
		}
		if use := cpuBetween(a, b); use != nil && use.Server < idleCores {
			return time.Since(start), true
		}
	}
	return time.Since(start), false
}
