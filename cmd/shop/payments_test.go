package main

import (
	"crypto/tls"
	"io"
	"log/slog"
	"maps"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"testing"
	"time"

	"shop/payment/cmcic"
)

func TestSecureRequest_WhoMayTypeACardNumber(t *testing.T) {
	local, _ := url.Parse("http://127.0.0.1:8080")
	public, _ := url.Parse("https://shop.example")
	proxy := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name    string
		base    *url.URL
		proxies []netip.Prefix
		remote  string
		host    string
		header  map[string]string
		tls     bool
		want    bool
	}{
		{"local shop, local browser", local, nil, "127.0.0.1:5000", "localhost:8080", nil, false, true},
		{"local shop, another machine", local, nil, "192.0.2.7:5000", "localhost:8080", nil, false, false},
		{"public shop behind a plain proxy on this machine", public, nil, "127.0.0.1:5000", "localhost:8080",
			map[string]string{"X-Forwarded-For": "198.51.100.4"}, false, false},
		{"public shop, a browser on the server itself", public, nil, "127.0.0.1:5000", "localhost:8080", nil, false, true},
		{"proxy headers from an untrusted peer", local, nil, "127.0.0.1:5000", "localhost:8080",
			map[string]string{"X-Forwarded-Proto": "https"}, false, false},
		{"trusted proxy saying https", public, proxy, "10.1.2.3:5000", "shop.example", map[string]string{"X-Forwarded-Proto": "https"}, false, true},
		{"trusted proxy saying http", public, proxy, "10.1.2.3:5000", "shop.example", map[string]string{"X-Forwarded-Proto": "http"}, false, false},
		{"direct TLS", public, nil, "192.0.2.7:5000", "shop.example", nil, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &app{cfg: &config{BaseURL: tt.base, TrustedProxies: tt.proxies}}
			r := httptest.NewRequest("POST", "http://"+tt.host+"/orders/X/pay/card", nil)
			r.RemoteAddr, r.Host = tt.remote, tt.host
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if got := a.secureRequest(r); got != tt.want {
				t.Errorf("secure = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestBank_SandboxTerminal: in demo mode without a bank URL, the sandbox bank is a test
// terminal even at an https address (its "payetest" pays, as the README says), and it is
// the terminal configured by SHOP_CMCIC_TPE, _KEY and _SOCIETE when they are set.
func TestBank_SandboxTerminal(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef012345aM"
	for _, tt := range []struct {
		name                 string
		env                  map[string]string
		wantTPE, wantSociete string
		wantKey              string
	}{
		{"demo values", nil, sandboxTPE, sandboxSociete, sandboxKey},
		{"configured terminal", map[string]string{"SHOP_CMCIC_TPE": "ABC1234", "SHOP_CMCIC_KEY": key,
			"SHOP_CMCIC_SOCIETE": "mysite"}, "ABC1234", "mysite", key},
	} {
		env := map[string]string{"SHOP_DEMO": "1", "SHOP_BASE_URL": "https://shop.example.com"}
		maps.Copy(env, tt.env)
		cfg, err := parseConfig(nil, func(k string) string { return env[k] }, io.Discard)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		a := &app{cfg: cfg, log: slog.New(slog.DiscardHandler), now: time.Now}
		b, err := a.bank()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		defer b.sandbox.Close()
		if b.config.Production() {
			t.Errorf("%s: the sandbox at %s counts as a live bank: its payetest would not pay", tt.name, b.config.URL)
		}
		wantKey, _ := cmcic.ParseKey(tt.wantKey)
		if b.config.TPE != tt.wantTPE || b.config.Societe != tt.wantSociete || b.config.Key != wantKey {
			t.Errorf("%s: terminal %s / %s, want %s / %s and its key", tt.name, b.config.TPE, b.config.Societe,
				tt.wantTPE, tt.wantSociete)
		}
	}
}
