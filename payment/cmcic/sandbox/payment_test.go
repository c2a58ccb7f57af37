package sandbox

import (
	"errors"
	"testing"
	"time"
)

// TestPayments_SweepsExpiredAtMostOncePerInterval: expired payments are dropped by the
// first add once sweepEvery has passed since the last sweep, not by every add, and an
// expired payment not dropped yet is refused all the same.
func TestPayments_SweepsExpiredAtMostOncePerInterval(t *testing.T) {
	s := newPayments()
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	s.add(payment{reference: "p1"}, t0)
	p2 := s.add(payment{reference: "p2"}, t0.Add(30*time.Second))
	if n := s.len(); n != 2 {
		t.Fatalf("%d payments kept, want 2", n)
	}

	// A sweep is due: p1 (60 min 10 s old) goes, p2 (59 min 40 s) stays.
	s.add(payment{reference: "p3"}, t0.Add(paymentTTL+10*time.Second))
	if n := s.len(); n != 2 {
		t.Fatalf("after the first sweep %d payments kept, want 2 (p2, p3)", n)
	}

	// p2 has expired, but the last sweep was 30 s ago: it stays in the map, refused.
	now := t0.Add(paymentTTL + 40*time.Second)
	s.add(payment{reference: "p4"}, now)
	if n := s.len(); n != 3 {
		t.Fatalf("%d payments kept, want 3: a sweep ran 30 s after the last one", n)
	}
	if _, err := s.update(p2.id, now, nil); !errors.Is(err, errUnknownPayment) {
		t.Errorf("an expired payment not swept yet: err %v, want errUnknownPayment", err)
	}

	// A minute after the last sweep, the next add drops p2.
	s.add(payment{reference: "p5"}, t0.Add(paymentTTL+sweepEvery+10*time.Second))
	if n := s.len(); n != 3 {
		t.Fatalf("after the second sweep %d payments kept, want 3 (p3, p4, p5)", n)
	}
}

// len is how many payments are kept, expired ones not yet dropped included.
func (s *payments) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}
