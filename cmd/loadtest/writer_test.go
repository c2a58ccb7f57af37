package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestWriter_ReadsTheShopsCountersAndTheirChange: the counters are read from the shop's
// debug server, and two readings give the share of time busy and the writes per commit.
func TestWriter_ReadsTheShopsCountersAndTheirChange(t *testing.T) {
	busy, batches, writes := "1", "100", "400"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/debug/writer" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"busy_seconds":` + busy + `,"batches":` + batches + `,"writes":` + writes + `}`))
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")

	a, err := readWriter(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	if a.BusySeconds != 1 || a.Batches != 100 || a.Writes != 400 || a.at.IsZero() {
		t.Fatalf("read %+v", a)
	}
	busy, batches, writes = "3", "300", "1600"
	b, err := readWriter(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	b.at = a.at.Add(4 * time.Second)
	u := writerBetween(a, b)
	if u == nil || u.Busy != 0.5 || u.Commits != 200 || u.Writes != 1200 || u.WritesPerCommit != 6 {
		t.Fatalf("between: %+v", u)
	}
	if got, want := writerNote(u), "The database writer was busy 50 % of the row, 6.0 writes per commit."; got != want {
		t.Errorf("note %q, want %q", got, want)
	}
	if u := writerBetween(b, b); u != nil || writerNote(u) != "" {
		t.Errorf("no batch in between gave %+v", u)
	}
	if _, err := readWriter(context.Background(), strings.TrimPrefix(srv.URL, "http://")+"/nowhere"); err == nil {
		t.Error("a missing debug server gave counters")
	}
}

func TestJoinNotes_EndsTheFirstSentence(t *testing.T) {
	for _, c := range [][3]string{
		{"", "Busy.", "Busy."},
		{"Sold out", "", "Sold out"},
		{`then says "Sold out"`, "Busy 50 %.", `then says "Sold out". Busy 50 %.`},
		{"Mails took 1 s more. ", "Busy.", "Mails took 1 s more. Busy."},
	} {
		if got := joinNotes(c[0], c[1]); got != c[2] {
			t.Errorf("joinNotes(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}
