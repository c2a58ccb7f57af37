package main

import (
	"crypto/tls"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"testing"
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
