package main

import (
	"os"
	"path/filepath"
	"testing"
)

// The shop's GOMAXPROCS comes from the line it prints when it starts serving.
func TestShopProcs(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		log  string
		want int
	}{
		{"time=... level=INFO msg=\"demo catalogue seeded\"\nshop: serving Le Petit Comptoir on http://127.0.0.1:41234 (public URL http://127.0.0.1:41234, GOMAXPROCS 4)\n", 4},
		{"shop: serving Le Petit Comptoir on http://127.0.0.1:41234 (public URL http://127.0.0.1:41234)\n", 0}, // an older shop
		{"", 0},
	} {
		path := filepath.Join(dir, "shop.log")
		if err := os.WriteFile(path, []byte(tt.log), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := shopProcs(path); got != tt.want {
			t.Errorf("shopProcs(%q) = %d, want %d", tt.log, got, tt.want)
		}
	}
	if got := shopProcs(filepath.Join(dir, "missing.log")); got != 0 {
		t.Errorf("a missing log gave %d", got)
	}
	if got := procsChange(2, 4); got != ", shop GOMAXPROCS 2 → 4" {
		t.Errorf("procsChange(2, 4) = %q", got)
	}
	for _, c := range [][2]int{{4, 4}, {0, 4}, {4, 0}} {
		if got := procsChange(c[0], c[1]); got != "" {
			t.Errorf("procsChange(%d, %d) = %q, want nothing", c[0], c[1], got)
		}
	}
}
