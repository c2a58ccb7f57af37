package main

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestJar_KeepsReplacesExpiresAndMatchesPaths(t *testing.T) {
	j := &jar{}
	at := func(p string) map[string]string {
		out := map[string]string{}
		for _, c := range j.Cookies(&url.URL{Path: p}) {
			out[c.Name] = c.Value
		}
		return out
	}
	base, _ := url.Parse("http://127.0.0.1:8080/")
	j.SetCookies(base, []*http.Cookie{
		{Name: "shop_visitor", Value: "v1", Path: "/"},
		{Name: "shop_csrf", Value: "t1"}, // no path: the whole site
		{Name: "shop_admin", Value: "a1", Path: "/admin"},
	})
	if got := at("/products/mug"); len(got) != 2 || got["shop_visitor"] != "v1" || got["shop_csrf"] != "t1" {
		t.Errorf("cookies sent to /products/mug: %v", got)
	}
	if got := at("/admin/orders"); got["shop_admin"] != "a1" || len(got) != 3 {
		t.Errorf("cookies sent to /admin/orders: %v", got)
	}
	if got := at("/administrators"); got["shop_admin"] != "" {
		t.Errorf("the /admin cookie went to /administrators: %v", got)
	}
	j.SetCookies(base, []*http.Cookie{{Name: "shop_visitor", Value: "v2", Path: "/"}})
	if got := at("/"); got["shop_visitor"] != "v2" || len(j.cookies) != 3 {
		t.Errorf("after a new value: %v (%d kept)", got, len(j.cookies))
	}
	j.SetCookies(base, []*http.Cookie{
		{Name: "shop_csrf", Path: "/", MaxAge: -1},
		{Name: "shop_admin", Path: "/admin", Expires: time.Unix(0, 0)},
	})
	if got := at("/admin"); len(got) != 1 || got["shop_visitor"] != "v2" {
		t.Errorf("after two deletions: %v", got)
	}
}
