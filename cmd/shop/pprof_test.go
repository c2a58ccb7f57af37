package main

import (
	"encoding/json"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestDebugServer_CountsTheWritersWork: on its loopback address, beside the profiler,
// the shop answers the database writer's counters, and a shopper's add to cart moves
// them.
func TestDebugServer_CountsTheWritersWork(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // free again for the shop's debug server
	ts := startShopWith(t, shopSetup{Env: map[string]string{"SHOP_PPROF_ADDR": addr}})

	type counters struct {
		BusySeconds float64 `json:"busy_seconds"`
		Batches     int64   `json:"batches"`
		Writes      int64   `json:"writes"`
	}
	get := func(path string) (*http.Response, error) {
		// The debug server starts with the shop's jobs, just after it serves pages.
		deadline := time.Now().Add(5 * time.Second)
		for {
			resp, err := http.Get("http://" + addr + path)
			if err == nil || time.Now().After(deadline) {
				return resp, err
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	read := func() counters {
		t.Helper()
		resp, err := get("/debug/writer")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "application/json" {
			t.Fatalf("/debug/writer: %s, %s", resp.Status, ct)
		}
		var c counters
		if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
			t.Fatalf("/debug/writer: %v", err)
		}
		return c
	}

	before := read()
	ts.newShopper(t).addToCart("teapot", 1)
	after := read()
	if after.Writes <= before.Writes || after.Batches <= before.Batches || after.BusySeconds <= before.BusySeconds {
		t.Errorf("an add to cart left the writer's counters at %+v (before: %+v)", after, before)
	}
	if after.Writes < after.Batches {
		t.Errorf("%d writes in %d batches: a batch holds at least one", after.Writes, after.Batches)
	}
	resp, err := get("/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/debug/pprof/: %s", resp.Status)
	}
}
