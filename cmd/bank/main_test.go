package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func noEnv(string) string { return "" }

func TestRun_RejectsBadConfiguration(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad key flag", []string{"-key", "not-a-key"}, nil, "key"},
		{"bad key in the environment", nil, map[string]string{"SHOP_CMCIC_KEY": "12345678901234567890123456789012345678ZZ"}, "SHOP_CMCIC_KEY"},
		{"bad seal flag", []string{"-seal", "sorted"}, nil, "seal"},
		{"bad seal in the environment", nil, map[string]string{"SHOP_CMCIC_SEAL": "positional"}, "SHOP_CMCIC_SEAL"},
		{"bad TPE", []string{"-tpe", "12"}, nil, "TPE"},
		{"relative notify URL", []string{"-notify", "/payment/cmcic/notify"}, nil, "notification URL"},
		{"unknown flag", []string{"-port", "1"}, nil, "port"},
		{"stray argument", []string{"serve"}, nil, "serve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			var out bytes.Buffer
			// The address would be taken if run got that far.
			args := append([]string{"-addr", "127.0.0.1:0"}, tt.args...)
			err := run(context.Background(), args, getenv, &out)
			if err == nil {
				t.Fatal("run accepted it")
			}
			if msg := err.Error(); !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line mentioning %q", msg, tt.want)
			}
			if strings.Contains(err.Error(), "not-a-key") || strings.Contains(err.Error(), "5678ZZ") {
				t.Errorf("error echoes the key: %v", err)
			}
		})
	}
}

// lockedBuffer is stdout shared by run's goroutines and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestRun_ServesAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-seal", "legacy"}, noEnv, out)
	}()

	addr := regexp.MustCompile(`http://([0-9.:]+)/paiement\.cgi`)
	var base string
	for deadline := time.Now().Add(5 * time.Second); base == ""; {
		if m := addr.FindStringSubmatch(out.String()); m != nil {
			base = "http://" + m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no listening line: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Sandbox bank") || !strings.Contains(string(body), "legacy") {
		t.Errorf("GET /: HTTP %d\n%s", resp.StatusCode, body)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancel")
	}
}

func TestRun_Help(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, noEnv, &out); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"BANK_ADDR", "SHOP_CMCIC_TPE", "SHOP_CMCIC_KEY", "SHOP_CMCIC_SEAL", "BANK_NOTIFY_URL"} {
		if !strings.Contains(out.String(), name) {
			t.Errorf("usage does not mention %s", name)
		}
	}
}
