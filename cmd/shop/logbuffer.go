package main

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// logBuffer gathers log lines into fewer writes. The shop logs a line per request, and
// writing each at once was a system call per request: 4 % of a product page's CPU under
// load. A line waits at most logFlushDelay; a line at Warn or above goes out at once with
// everything before it (see flushingHandler), and so does everything when the shop stops.
// A crash that skips the deferred Close (a panic outside a request) can lose the Info
// lines of its last 100 ms; its own message goes to standard error unbuffered.
type logBuffer struct {
	mu     sync.Mutex
	w      io.Writer
	buf    []byte
	timer  *time.Timer // armed while buf holds lines
	err    error       // the last write's failure, reported by Close
	closed bool        // lines now go out at once: nothing would flush them later
}

const (
	logFlushDelay = 100 * time.Millisecond
	logBufferSize = 32 << 10 // written at once past this
)

func newLogBuffer(w io.Writer) *logBuffer { return &logBuffer{w: w} }

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed { // a request still running when shutdown gave up waiting for it
		return b.w.Write(p)
	}
	b.buf = append(b.buf, p...)
	switch {
	case len(b.buf) >= logBufferSize:
		b.flushLocked()
	case b.timer == nil:
		b.timer = time.AfterFunc(logFlushDelay, func() { b.Flush() })
	}
	return len(p), nil
}

// Flush writes what the buffer holds.
func (b *logBuffer) Flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
}

func (b *logBuffer) flushLocked() {
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	if len(b.buf) == 0 {
		return
	}
	if _, err := b.w.Write(b.buf); err != nil {
		b.err = err // a log that cannot be written must not stop the shop
	}
	b.buf = b.buf[:0]
}

// Close writes what is left and says whether any write failed; later lines are written
// as they come.
func (b *logBuffer) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
	b.closed = true
	return b.err
}

// flushingHandler sends a record at Warn or above to the writer at once: a warning or
// an error is read when something goes wrong, perhaps just before the process dies.
type flushingHandler struct {
	slog.Handler
	buf *logBuffer
}

func (h flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		h.buf.Flush()
	}
	return err
}

func (h flushingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushingHandler{h.Handler.WithAttrs(attrs), h.buf}
}

func (h flushingHandler) WithGroup(name string) slog.Handler {
	return flushingHandler{h.Handler.WithGroup(name), h.buf}
}
