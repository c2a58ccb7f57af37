package main

import (
	"fmt"
	"net/mail"
	"path/filepath"

	"shop/checkout"
)

// newOutbox picks where mail goes: the configured SMTP server, or without one .eml files
// under the data directory (the log says where).
func (a *app) newOutbox() (*checkout.Outbox, error) {
	var sender checkout.Sender
	if a.cfg.SMTPHost != "" {
		s, err := checkout.NewSMTPSender(checkout.SMTPConfig{Host: a.cfg.SMTPHost, Port: a.cfg.SMTPPort,
			User: a.cfg.SMTPUser, Password: a.cfg.SMTPPassword, TLS: a.cfg.SMTPTLS, CAPEM: a.cfg.SMTPCA})
		if err != nil {
			return nil, fmt.Errorf("SMTP settings: %w", err)
		}
		sender = s
	} else {
		s, err := checkout.NewDirSender(filepath.Join(a.cfg.DataDir, "mail"), a.log)
		if err != nil {
			return nil, err
		}
		sender = s
	}
	// Mail clients show the shop's name rather than its bare address.
	from := (&mail.Address{Name: a.cfg.Name, Address: a.cfg.MailFrom}).String()
	return &checkout.Outbox{DB: a.db, Sender: sender, From: from, Now: a.now, Logger: a.log,
		Host: checkout.MailHost(a.cfg.BaseURL.String())}, nil
}
