package checkout

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/wneessen/go-mail"

	"shop/store"
)

// BenchmarkOutbox_Worker is the worker's own cost per mail: claim, build and write the
// message, mark it sent, with a backlog of b.N mails. The mail is a real order
// confirmation; the message goes nowhere, since how much a mail folder or an SMTP
// server costs depends on the machine, not the shop.
func BenchmarkOutbox_Worker(b *testing.B) {
	f := newPlaceFixture(b)
	ctx := context.Background()
	tea := f.product(b, "tea", 950, 550, 10)
	o, _, err := f.svc.Place(ctx, f.fill(b, "v1", map[int64]int{tea: 1}))
	if err != nil {
		b.Fatal(err)
	}
	m := f.svc.Mails.OrderConfirmationToShopper(o)
	err = f.db.Tx(ctx, func(tx *store.Tx) error {
		for i := range b.N {
			m.Key = "bench/" + strconv.Itoa(i)
			if err := enqueueMail(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	box := &Outbox{DB: f.db, Sender: discardSender{}, From: "Shop <shop@example.com>",
		Now: time.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Host: "shop.test"}
	cpu := processCPU()
	b.ResetTimer()
	for sent := 0; sent < b.N; {
		n, err := box.SendDue(ctx)
		if err != nil || n == 0 {
			b.Fatalf("sent %d of %d: %v", sent, b.N, err)
		}
		sent += n
	}
	b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
}

// processCPU is the CPU time (user and system) this process has used: a worker mostly
// waits on the disk, so its wall time says little of its cost.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// discardSender writes each message into nothing.
type discardSender struct{}

func (discardSender) Send(_ context.Context, msg *mail.Msg) error {
	_, err := msg.WriteTo(io.Discard)
	return err
}
