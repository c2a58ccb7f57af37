package main

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// writeCounter counts the writes that reach it.
type writeCounter struct {
	syncBuffer
	writes int
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.writes++
	w.mu.Unlock()
	return w.syncBuffer.Write(p)
}

func (w *writeCounter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writes
}

func TestLogBuffer_InfoLinesShareAWriteAndArriveWithoutAFlush(t *testing.T) {
	out := &writeCounter{}
	b := newLogBuffer(out)
	logger := slog.New(flushingHandler{slog.NewTextHandler(b, nil), b})
	for i := range 50 {
		logger.Info("request", "n", i)
	}
	if got := out.count(); got != 0 {
		t.Fatalf("%d writes before the delay: info lines should wait", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for out.count() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := out.count(); got != 1 {
		t.Fatalf("%d writes, want the 50 lines in 1", got)
	}
	if n := strings.Count(out.String(), "msg=request"); n != 50 {
		t.Errorf("%d lines arrived, want 50", n)
	}
}

func TestLogBuffer_WarningGoesOutAtOnceWithWhatCameBefore(t *testing.T) {
	out := &writeCounter{}
	b := newLogBuffer(out)
	logger := slog.New(flushingHandler{slog.NewTextHandler(b, nil), b}).With("app", "shop")
	logger.Info("before")
	logger.Warn("careful")
	got := out.String()
	if !strings.Contains(got, "msg=before") || !strings.Contains(got, "msg=careful") || !strings.Contains(got, "app=shop") {
		t.Fatalf("after a warning the output is %q", got)
	}
}

func TestLogBuffer_CloseWritesTheRestAndLargeBuffersGoAtOnce(t *testing.T) {
	out := &writeCounter{}
	b := newLogBuffer(out)
	b.Write([]byte(strings.Repeat("x", logBufferSize)))
	if out.count() != 1 {
		t.Fatalf("a full buffer was not written at once (%d writes)", out.count())
	}
	b.Write([]byte("last line\n"))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "last line\n") {
		t.Errorf("Close left the last line behind")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestLogBuffer_AFailingWriteIsReportedByClose(t *testing.T) {
	b := newLogBuffer(failingWriter{})
	if _, err := b.Write([]byte("line\n")); err != nil {
		t.Fatalf("Write returned %v: logging must not fail a request", err)
	}
	if err := b.Close(); err == nil {
		t.Error("Close hid the failed write")
	}
}

func TestLogBuffer_LinesAfterCloseAreWrittenAtOnce(t *testing.T) {
	out := &writeCounter{}
	b := newLogBuffer(out)
	b.Close()
	b.Write([]byte("late request line\n"))
	if got := out.String(); got != "late request line\n" {
		t.Errorf("after Close the output is %q", got)
	}
}
