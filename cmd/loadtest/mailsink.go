package main

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// The shop under load sends its mails to an SMTP server the driver runs on 127.0.0.1,
// as a shop in production sends them to its mail relay. Without SMTP settings the shop
// writes each mail to a new .eml file instead: a developer's convenience whose cost is
// the file system's, and on some machines creating a file costs more CPU than the rest
// of a purchase (-mail folder measures it anyway). The sink's own work is the driver's
// CPU, like every other part of the load.

// mailSink accepts every message and keeps only their count.
type mailSink struct {
	ln       net.Listener
	srv      *smtp.Server
	received atomic.Int64
	done     chan struct{}
}

func startMailSink() (*mailSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	m := &mailSink{ln: ln, done: make(chan struct{})}
	m.srv = smtp.NewServer(sinkBackend{m})
	m.srv.Domain = "sink.localhost"
	m.srv.ReadTimeout = 30 * time.Second
	m.srv.WriteTimeout = 30 * time.Second
	m.srv.MaxMessageBytes = 1 << 20
	go func() {
		defer close(m.done)
		m.srv.Serve(ln)
	}()
	return m, nil
}

func (m *mailSink) port() int { return m.ln.Addr().(*net.TCPAddr).Port }

func (m *mailSink) close() {
	m.srv.Close()
	<-m.done
}

type sinkBackend struct{ m *mailSink }

func (b sinkBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{m: b.m}, nil }

type sinkSession struct {
	m     *mailSink
	rcpts int
}

func (s *sinkSession) Mail(string, *smtp.MailOptions) error { s.rcpts = 0; return nil }

func (s *sinkSession) Rcpt(string, *smtp.RcptOptions) error { s.rcpts++; return nil }

func (s *sinkSession) Data(r io.Reader) error {
	if s.rcpts == 0 {
		return errors.New("no recipient")
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	s.m.received.Add(1)
	return nil
}

func (s *sinkSession) Reset()        { s.rcpts = 0 }
func (s *sinkSession) Logout() error { return nil }
