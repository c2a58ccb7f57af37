package main

import (
	"net/http"
	"testing"
	"time"
)

func TestJar_KeepsReplacesExpiresAndMatchesPaths(t *testing.T) {
	var j jar
	set := func(lines ...string) {
		t.Helper()
		j.store(http.Header{"Set-Cookie": lines})
	}
	future := time.Now().Add(24 * time.Hour).UTC().Format(http.TimeFormat)
	set("shop_visitor=v1; Path=/; Expires="+future+"; Max-Age=7776000; HttpOnly; SameSite=Lax",
		"shop_csrf=t1; Expires="+future+"; HttpOnly", // no path: the whole site
		`shop_admin="a1"; Path=/admin; HttpOnly`)
	if got := j.header("/products/mug"); got != "shop_visitor=v1; shop_csrf=t1" {
		t.Errorf("Cookie for /products/mug: %q", got)
	}
	if got := j.header("/admin/orders"); got != "shop_visitor=v1; shop_csrf=t1; shop_admin=a1" {
		t.Errorf("Cookie for /admin/orders: %q", got)
	}
	if got := j.header("/administrators"); got != "shop_visitor=v1; shop_csrf=t1" {
		t.Errorf("Cookie for /administrators: %q", got)
	}
	set("shop_visitor=v2; Path=/")
	if got := j.header("/"); got != "shop_csrf=t1; shop_visitor=v2" {
		t.Errorf("after a new value: %q", got)
	}
	set("shop_csrf=; Path=/; Max-Age=-1",
		"shop_admin=; Path=/admin; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
		"shop_visitor=v3; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=600") // Max-Age wins
	if got := j.header("/admin"); got != "shop_visitor=v3" {
		t.Errorf("after two deletions: %q", got)
	}
	set("garbage", "=novalue", "x=1; Expires=not a date")
	if got := j.header("/"); got != "shop_visitor=v3; x=1" {
		t.Errorf("after malformed lines: %q", got)
	}
}
