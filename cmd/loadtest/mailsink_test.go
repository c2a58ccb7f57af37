package main

import (
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
)

func TestMailSink_CountsWhatItReceives(t *testing.T) {
	sink, err := startMailSink()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.close()
	addr := "127.0.0.1:" + strconv.Itoa(sink.port())
	for range 2 {
		msg := "From: shop@example.com\r\nTo: a@example.com\r\nSubject: hi\r\n\r\nHello\r\n"
		if err := smtp.SendMail(addr, nil, "shop@example.com", []string{"a@example.com"}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	if n := sink.received.Load(); n != 2 {
		t.Errorf("the sink counted %d mails, want 2", n)
	}
}

// A message ends at its lone "." line only: not at a dot-stuffed line, nor at a dot that
// starts the second piece of a line longer than the sink's buffer. A DATA without a
// recipient is refused and not counted; the session goes on.
func TestMailSink_FramesMessagesLikeSMTP(t *testing.T) {
	sink, err := startMailSink()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.close()
	c, err := textproto.Dial("tcp", "127.0.0.1:"+strconv.Itoa(sink.port()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	expect := func(code int, cmd string) {
		t.Helper()
		if cmd != "" {
			if err := c.PrintfLine("%s", cmd); err != nil {
				t.Fatal(err)
			}
		}
		if _, msg, err := c.ReadResponse(code); err != nil {
			t.Fatalf("%q: %v (%s)", cmd, err, msg)
		}
	}
	expect(220, "")
	expect(250, "EHLO shop.localhost")
	expect(250, "MAIL FROM:<shop@example.com>")
	expect(503, "DATA")
	long := strings.Repeat("x", 4096) + ".\r\n" // the sink's buffer holds 4096: "." begins the second piece
	for i, body := range []string{"..stuffed\r\n" + long + ".\r\n", "plain\r\n.\r\n"} {
		expect(250, "MAIL FROM:<shop@example.com>")
		expect(250, "RCPT TO:<a@example.com>")
		expect(354, "DATA")
		if _, err := c.W.WriteString("Subject: " + strconv.Itoa(i) + "\r\n\r\n" + body); err != nil {
			t.Fatal(err)
		}
		if err := c.W.Flush(); err != nil {
			t.Fatal(err)
		}
		expect(250, "")
	}
	expect(221, "QUIT")
	if n := sink.received.Load(); n != 2 {
		t.Errorf("the sink counted %d mails, want 2", n)
	}
}
