package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// servePprof serves Go's profiler on a loopback address only, apart from the shop's own
// server, so profiling a slow page never exposes it to visitors. Beside it,
// /debug/writer gives the database writer's counters (see store.WriterStats): a
// profile shows where the CPU goes, not that every write waits for one goroutine.
func (a *app) servePprof(ctx context.Context) {
	if a.cfg.PprofAddr == "" {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/writer", a.writerStats)
	// run binds it before anything else, so that a port in use stops the shop with a
	// one-line reason like any bad setting; an app built without run binds it here.
	ln := a.pprofLn
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", a.cfg.PprofAddr); err != nil {
			a.log.Error("profiler not started", "addr", a.cfg.PprofAddr, "err", err)
			return
		}
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	a.jobs.Add(1)
	go func() {
		defer a.jobs.Done()
		<-ctx.Done()
		srv.Close()
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
			a.log.Error("pprof server", "err", err)
		}
	}()
	a.log.Info("profiler listening", "addr", ln.Addr().String())
}

// writerStats answers the writer's counters as JSON, for make bench to read around
// each of its rows.
func (a *app) writerStats(w http.ResponseWriter, _ *http.Request) {
	s := a.db.WriterStats()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(struct {
		BusySeconds   float64 `json:"busy_seconds"`
		Batches       int64   `json:"batches"`
		Writes        int64   `json:"writes"`
		CommitSeconds float64 `json:"commit_seconds"`
		Slow          int64   `json:"slow_batches"`
		SlowCommits   int64   `json:"slow_commits"`
	}{s.Busy.Seconds(), s.Batches, s.Writes, s.Commit.Seconds(), s.Slow, s.SlowCommit})
}
