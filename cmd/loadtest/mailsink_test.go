package main

import (
	"net/smtp"
	"strconv"
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
