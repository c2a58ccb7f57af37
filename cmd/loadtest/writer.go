package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// writerCounters is the shop's /debug/writer: its database writer's work since it
// started (store.WriterStats).
type writerCounters struct {
	BusySeconds   float64 `json:"busy_seconds"`
	Batches       int64   `json:"batches"`
	Writes        int64   `json:"writes"`
	CommitSeconds float64 `json:"commit_seconds"`
	Slow          int64   `json:"slow_batches"`
	SlowCommits   int64   `json:"slow_commits"`
	at            time.Time
}

// WriterUse is what the shop's one database writer did during a row. Busy near 1 says
// the writer, through which every write goes, is what limits the row: more CPU for the
// rest of the shop would not raise it.
type WriterUse struct {
	Busy            float64 `json:"busy"` // share of the row's time spent on batches
	Commits         int64   `json:"commits"`
	Writes          int64   `json:"writes"`
	WritesPerCommit float64 `json:"writes_per_commit"`
	Committing      float64 `json:"committing"`             // share of the row's time spent in COMMIT (sync, checkpoints)
	Slow            int64   `json:"slow_batches,omitempty"` // batches of 50 ms or more: every write waiting meanwhile waited that long
	SlowCommits     int64   `json:"slow_commits,omitempty"` // of those, the ones whose commit alone took 50 ms
}

// readWriter asks the shop's debug server (SHOP_PPROF_ADDR) for the writer's counters.
func readWriter(ctx context.Context, addr string) (writerCounters, error) {
	var c writerCounters
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/debug/writer", nil)
	if err != nil {
		return c, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return c, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return c, fmt.Errorf("/debug/writer: %s", resp.Status)
	}
	c.at = time.Now()
	return c, json.NewDecoder(resp.Body).Decode(&c)
}

// writerBetween is the writer's use between two readings; nil when it took no write.
func writerBetween(a, b writerCounters) *WriterUse {
	wall := b.at.Sub(a.at).Seconds()
	if b.Batches <= a.Batches || wall <= 0 {
		return nil
	}
	u := &WriterUse{Busy: (b.BusySeconds - a.BusySeconds) / wall, Commits: b.Batches - a.Batches, Writes: b.Writes - a.Writes,
		Committing: (b.CommitSeconds - a.CommitSeconds) / wall, Slow: b.Slow - a.Slow, SlowCommits: b.SlowCommits - a.SlowCommits}
	u.WritesPerCommit = float64(u.Writes) / float64(u.Commits)
	return u
}

// writerNote says how busy the writer was, for the rows made of writes.
func writerNote(u *WriterUse) string {
	if u == nil {
		return ""
	}
	return fmt.Sprintf("The database writer was busy %.0f %% of the row, %.1f writes per commit.", 100*u.Busy, u.WritesPerCommit)
}

// slowWriterNote names the writer's stalls during a row, for every row: one batch of
// 50 ms holds up every write behind it, and a page that writes is late by as much.
func slowWriterNote(u *WriterUse) string {
	if u == nil || u.Slow == 0 {
		return ""
	}
	return fmt.Sprintf("%d of the writer's batches took 50 ms or more (%d of them in their commit alone).", u.Slow, u.SlowCommits)
}

// joinNotes adds sentence b to a row's note a, ending a's last sentence first.
func joinNotes(a, b string) string {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	switch {
	case a == "":
		return b
	case b == "":
		return a
	case !strings.HasSuffix(a, "."):
		a += "."
	}
	return a + " " + b
}
