package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// profiler captures a CPU profile of the shop (its SHOP_PPROF_ADDR) for the length of
// each scenario, so a slow row comes with the profile that explains it.
type profiler struct {
	addr   string // host:port of the shop's profiler, on 127.0.0.1
	dir    string
	prefix string // file names start with it: the run's time and the catalogue size
}

// capture starts profiling for d; wait takes the name of the scenario that ran, once
// it is known, and returns the file written under that name.
func (p *profiler) capture(ctx context.Context, d time.Duration) (wait func(scenario string) (string, error)) {
	secs := int(math.Ceil(d.Seconds()))
	done := make(chan error, 1)
	path := filepath.Join(p.dir, p.prefix+"-running.pprof")
	go func() {
		// The profile's headers come only once it is taken: no per-request header timeout.
		tr := newTransport()
		tr.ResponseHeaderTimeout = 0
		c := &http.Client{Timeout: time.Duration(secs)*time.Second + 30*time.Second, Transport: tr}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet,
			fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", p.addr, secs), nil)
		if err != nil {
			done <- err
			return
		}
		resp, err := c.Do(req)
		if err != nil {
			done <- err
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			done <- fmt.Errorf("profiler answered %s", resp.Status)
			return
		}
		f, err := os.Create(path)
		if err != nil {
			done <- err
			return
		}
		_, err = io.Copy(f, resp.Body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		done <- err
	}()
	return func(scenario string) (string, error) {
		if err := <-done; err != nil {
			return "", err
		}
		final := filepath.Join(p.dir, p.prefix+"-"+strings.NewReplacer("/", "-", "@", "-", " ", "-").Replace(scenario)+".pprof")
		return final, os.Rename(path, final)
	}
}
