package checkout

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Messages sent one after the other share one connection, and each arrives once.
func TestSMTPSender_ReusesItsConnection(t *testing.T) {
	be := &testSMTPBackend{}
	addr, _ := startTestSMTP(t, be, "127.0.0.1:0", nil)
	sender := plainSMTPSender(t, addr)
	for i := range 5 {
		if err := sender.Send(context.Background(), mustBuildTestMsg(t)); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if n := len(be.Received()); n != 5 {
		t.Fatalf("received %d messages, want 5", n)
	}
	if taken, _ := be.Connections(); taken != 1 {
		t.Fatalf("%d connections for 5 messages in a row, want 1", taken)
	}
	if err := sender.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	waitConnections(t, be, 1, 1)
	// A Send after Close still delivers, and keeps nothing open.
	if err := sender.Send(context.Background(), mustBuildTestMsg(t)); err != nil {
		t.Fatalf("send after close: %v", err)
	}
	waitConnections(t, be, 2, 2)
}

// Parallel sends each use a connection of their own: never more connections than
// sends at once, every message once.
func TestSMTPSender_ParallelSendsShareFewConnections(t *testing.T) {
	be := &testSMTPBackend{}
	addr, _ := startTestSMTP(t, be, "127.0.0.1:0", nil)
	sender := plainSMTPSender(t, addr)
	const workers, each = mailParallel, 6
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for range workers {
		wg.Go(func() {
			for range each {
				errs <- sender.Send(context.Background(), mustBuildTestMsg(t))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(be.Received()); n != workers*each {
		t.Fatalf("received %d messages, want %d", n, workers*each)
	}
	if taken, _ := be.Connections(); taken > workers {
		t.Fatalf("%d connections for %d parallel senders", taken, workers)
	}
	if n := sender.unused(); n < 1 || n > smtpMaxIdle {
		t.Fatalf("%d connections kept, want 1 to %d", n, smtpMaxIdle)
	}
}

// A kept connection the server dropped meanwhile (a restart here) is replaced at the
// next message, which arrives exactly once.
func TestSMTPSender_RedialsWhenTheServerDroppedTheConnection(t *testing.T) {
	be := &testSMTPBackend{}
	addr, stop := startTestSMTP(t, be, "127.0.0.1:0", nil)
	sender := plainSMTPSender(t, addr)
	if err := sender.Send(context.Background(), mustBuildTestMsg(t)); err != nil {
		t.Fatal(err)
	}
	stop()
	waitConnections(t, be, 1, 1)
	startTestSMTP(t, be, addr, nil)
	if err := sender.Send(context.Background(), mustBuildTestMsg(t)); err != nil {
		t.Fatalf("send over a dropped connection: %v", err)
	}
	if n := len(be.Received()); n != 2 {
		t.Fatalf("received %d messages, want 2", n)
	}
	if taken, _ := be.Connections(); taken != 2 {
		t.Fatalf("%d connections, want 2 (the first, then one new)", taken)
	}
}

// A refused message leaves no connection behind for the next one, which still goes.
func TestSMTPSender_RefusalDoesNotKeepTheConnection(t *testing.T) {
	be := &testSMTPBackend{}
	addr, _ := startTestSMTP(t, be, "127.0.0.1:0", nil)
	sender := plainSMTPSender(t, addr)
	be.SetRejectRcpt(&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"})
	err := sender.Send(context.Background(), mustBuildTestMsg(t))
	if err == nil || temporaryMailError(err) {
		t.Fatalf("Send = %v, want a permanent refusal", err)
	}
	if n := sender.unused(); n != 0 {
		t.Fatalf("%d connections kept after a refusal", n)
	}
	be.SetRejectRcpt(nil)
	if err := sender.Send(context.Background(), mustBuildTestMsg(t)); err != nil {
		t.Fatal(err)
	}
	if taken, _ := be.Connections(); taken != 2 {
		t.Fatalf("%d connections, want 2", taken)
	}
}

// A connection left unused for the idle timeout is closed with a QUIT.
func TestSMTPSender_ClosesUnusedConnections(t *testing.T) {
	be := &testSMTPBackend{}
	addr, _ := startTestSMTP(t, be, "127.0.0.1:0", nil)
	host, port := splitTestAddr(t, addr)
	// Long enough that the three sends share one connection on a busy machine (under
	// -race, beside the browser tests), short enough to wait for.
	sender, err := NewSMTPSender(SMTPConfig{Host: host, Port: port, TLS: "none", Timeout: 5 * time.Second,
		IdleTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := sender.Send(context.Background(), mustBuildTestMsg(t)); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	waitConnections(t, be, 1, 1)
	if n := sender.unused(); n != 0 {
		t.Fatalf("%d connections still kept", n)
	}
}

// waitConnections waits until the server counts taken connections, ended of them.
func waitConnections(t *testing.T, be *testSMTPBackend, taken, ended int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		gotTaken, gotEnded := be.Connections()
		if gotTaken == taken && gotEnded == ended {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server connections: %d taken, %d ended; want %d, %d", gotTaken, gotEnded, taken, ended)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// unused reports how many connections the sender keeps unused.
func (s *SMTPSender) unused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.idle)
}
