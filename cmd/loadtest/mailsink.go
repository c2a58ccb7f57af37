package main

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The shop under load sends its mails to an SMTP server the driver runs on 127.0.0.1,
// as a shop in production sends them to its mail relay. Without SMTP settings the shop
// writes each mail to a new .eml file instead: a developer's convenience whose cost is
// the file system's, and on some machines creating a file costs more CPU than the rest
// of a purchase (-mail folder measures it anyway). The sink's own work is the driver's
// CPU, like every other part of the load.
//
// The sink speaks just enough SMTP for a client that sends mail: greeting, EHLO/HELO,
// MAIL, RCPT, DATA, RSET, NOOP, QUIT. It stands in for a relay on another machine, so it
// costs as little as it can: it reads a message a line at a time, where go-smtp (which
// the tests use as a real server) reads it a byte at a time to undo dot-stuffing that
// a sink throws away. That byte loop was half the sink's CPU, about 40 µs per mail, on
// the same two cores as the shop.

const sinkMaxMessage = 1 << 20

// mailSink accepts every message and keeps only their count.
type mailSink struct {
	ln       net.Listener
	received atomic.Int64
	mu       sync.Mutex
	conns    map[net.Conn]bool
	closed   bool
	wg       sync.WaitGroup
}

func startMailSink() (*mailSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	m := &mailSink{ln: ln, conns: map[net.Conn]bool{}}
	m.wg.Add(1)
	go m.accept()
	return m, nil
}

func (m *mailSink) port() int { return m.ln.Addr().(*net.TCPAddr).Port }

func (m *mailSink) accept() {
	defer m.wg.Done()
	for {
		c, err := m.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil { // out of file descriptors, a connection reset while queued: wait
			time.Sleep(5 * time.Millisecond)
			continue
		}
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			c.Close()
			return
		}
		m.conns[c] = true
		m.wg.Add(1)
		m.mu.Unlock()
		go func() {
			defer m.wg.Done()
			m.serve(c)
			m.mu.Lock()
			delete(m.conns, c)
			m.mu.Unlock()
			c.Close()
		}()
	}
}

// close stops listening, drops the open connections and waits for their goroutines.
func (m *mailSink) close() {
	m.mu.Lock()
	m.closed = true
	m.ln.Close()
	for c := range m.conns {
		c.Close()
	}
	m.mu.Unlock()
	m.wg.Wait()
}

// serve runs one SMTP session until QUIT, an error or a silent minute.
func (m *mailSink) serve(c net.Conn) {
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	reply := func(s string) bool {
		c.SetWriteDeadline(time.Now().Add(time.Minute))
		w.WriteString(s)
		w.WriteString("\r\n")
		return w.Flush() == nil
	}
	if !reply("220 sink.localhost ESMTP") {
		return
	}
	rcpts := 0
	for {
		c.SetReadDeadline(time.Now().Add(time.Minute))
		line, err := r.ReadSlice('\n')
		if err != nil {
			return
		}
		verb, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(" "))
		ok := true
		switch string(bytes.ToUpper(verb)) {
		case "EHLO":
			ok = reply("250-sink.localhost\r\n250-8BITMIME\r\n250 SIZE " + strconv.Itoa(sinkMaxMessage))
		case "HELO":
			ok = reply("250 sink.localhost")
		case "MAIL":
			rcpts = 0
			ok = reply("250 2.1.0 OK")
		case "RCPT":
			rcpts++
			ok = reply("250 2.1.5 OK")
		case "DATA":
			if rcpts == 0 {
				ok = reply("503 5.5.1 no recipient")
				break
			}
			if !reply("354 end data with <CR><LF>.<CR><LF>") {
				return
			}
			size, err := skipMessage(r)
			switch {
			case err != nil:
				return
			case size > sinkMaxMessage:
				ok = reply("552 5.3.4 message too big")
			default:
				m.received.Add(1)
				ok = reply("250 2.0.0 queued")
			}
			rcpts = 0
		case "RSET":
			rcpts = 0
			ok = reply("250 2.0.0 OK")
		case "NOOP":
			ok = reply("250 2.0.0 OK")
		case "QUIT":
			reply("221 2.0.0 bye")
			return
		default:
			ok = reply("502 5.5.2 command not implemented")
		}
		if !ok {
			return
		}
	}
}

// skipMessage reads a message up to its lone "." line and returns its size. A line
// longer than the reader's buffer comes in pieces; only a piece that starts a line can
// end the message.
func skipMessage(r *bufio.Reader) (int, error) {
	size, atStart := 0, true
	for {
		piece, err := r.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return size, err
		}
		if atStart && (string(piece) == ".\r\n" || string(piece) == ".\n") {
			return size, nil
		}
		size += len(piece)
		atStart = err == nil
	}
}
