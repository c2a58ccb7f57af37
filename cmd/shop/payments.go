package main

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"shop/checkout"
	"shop/payment/card"
	"shop/payment/cmcic"
	"shop/payment/cmcic/sandbox"
)

// The sandbox bank's terminal in demo mode: the bank kits' demo key and a fixed TPE.
const (
	sandboxTPE     = "1234567"
	sandboxKey     = "12345678901234567890123456789012345678P0"
	sandboxSociete = "demoshop"
)

// bankSetup is the bank redirect as configured: a real bank, the sandbox, or nothing.
type bankSetup struct {
	config  cmcic.Config
	sandbox *sandbox.Bank // mounted under /_bank/ in demo mode
	offered bool
}

func (a *app) bank() (bankSetup, error) {
	var b bankSetup
	seal, err := cmcic.ParseFormat(a.cfg.CMCICSeal)
	if err != nil {
		return b, err
	}
	switch {
	case a.cfg.CMCICURL != "":
		key, err := cmcic.ParseKey(a.cfg.CMCICKey)
		if err != nil {
			return b, fmt.Errorf("SHOP_CMCIC_KEY: %w", err)
		}
		b.config = cmcic.Config{URL: a.cfg.CMCICURL, TPE: a.cfg.CMCICTPE, Key: key, Societe: a.cfg.CMCICSociete, Format: seal}
	case a.cfg.Demo:
		// The sandbox's terminal: the one configured, or the bank kits' demo values.
		tpe, rawKey, societe := cmp.Or(a.cfg.CMCICTPE, sandboxTPE), cmp.Or(a.cfg.CMCICKey, sandboxKey),
			cmp.Or(a.cfg.CMCICSociete, sandboxSociete)
		key, err := cmcic.ParseKey(rawKey)
		if err != nil {
			return b, err
		}
		b.config = cmcic.Config{URL: a.cfg.BaseURL.String() + "/_bank/paiement.cgi", TPE: tpe, Key: key,
			Societe: societe, Format: seal, Test: true}
		b.sandbox = sandbox.New(sandbox.Config{Bank: b.config,
			NotifyURL: a.cfg.BaseURL.String() + checkout.NotifyPath, Logger: a.log,
			Now: a.now})
	default:
		return b, nil
	}
	if err := b.config.Validate(); err != nil {
		return b, fmt.Errorf("bank settings: %w", err)
	}
	b.offered = true
	return b, nil
}

// origin is the scheme://host of the bank's page, for the Content-Security-Policy.
func (b bankSetup) origin() string {
	u, err := url.Parse(b.config.URL)
	if err != nil || !b.offered {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// cardKey is the key that seals the e-mailed card digits: configured, or in demo mode a
// development key generated once into the data directory.
func (a *app) cardKey() (card.Key, error) {
	if a.cfg.CardKey != "" {
		k, err := card.ParseKey(a.cfg.CardKey)
		if err != nil {
			return k, fmt.Errorf("SHOP_CARD_KEY: %w", err)
		}
		return k, nil
	}
	path := filepath.Join(a.cfg.DataDir, "dev-card.key")
	if b, err := os.ReadFile(path); err == nil {
		k, err := card.ParseKey(strings.TrimSpace(string(b)))
		if err != nil {
			// The development key is a file of the data directory: name it, and the way out.
			return k, fmt.Errorf("%s (the demo's card key, made by the shop): %w; delete the file to get a new one, or set SHOP_CARD_KEY", path, err)
		}
		return k, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return card.Key{}, fmt.Errorf("%s (the demo's card key): %w", path, err)
	}
	k, err := card.NewKey()
	if err != nil {
		return k, err
	}
	// String writes the key on purpose here: this file is the development key.
	if err := os.WriteFile(path, []byte(k.String()+"\n"), 0o600); err != nil {
		return k, err
	}
	a.log.Warn("generated a development card key; set SHOP_CARD_KEY in production", "file", path)
	return k, nil
}

// secureRequest tells whether card numbers may be typed on this request: it came over
// TLS, through a trusted proxy that says https, or straight from this machine to
// localhost. A plain-HTTP proxy on the same machine also connects from loopback, so a
// request carrying proxy headers from an untrusted peer is never taken as local.
func (a *app) secureRequest(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range a.cfg.TrustedProxies {
		if p.Contains(ip) {
			return r.Header.Get("X-Forwarded-Proto") == "https"
		}
	}
	if r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("X-Forwarded-Proto") != "" || r.Header.Get("Forwarded") != "" {
		return false
	}
	name := r.Host
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		name = h
	}
	return ip.IsLoopback() && isLoopbackName(name)
}

func isLoopbackName(name string) bool {
	if name == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(name)
	return err == nil && ip.IsLoopback()
}
