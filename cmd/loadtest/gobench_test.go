package main

import (
	"reflect"
	"testing"
)

func TestParseGoBench(t *testing.T) {
	out := []byte(`goos: linux
pkg: shop/templates
BenchmarkProductPage-2   	   93733	      6300 ns/op	    2216 B/op	      62 allocs/op
PASS
pkg: shop/payment/card
BenchmarkLuhnValid-2     	26576757	        20.36 ns/op	       0 B/op	       0 allocs/op
BenchmarkConfig_Form/current-2         	   61754	     11784 ns/op
pkg: shop/checkout
BenchmarkOutbox_Worker-2   	    3000	    152931 ns/op	       167.6 cpu-µs/op	   36958 B/op	     593 allocs/op
FAIL	shop/cart [build failed]
`)
	got := parseGoBench(out)
	want := []GoBench{
		{Package: "shop/templates", Name: "BenchmarkProductPage", Iterations: 93733, NsPerOp: 6300, BytesPerOp: 2216, AllocsPerOp: 62},
		{Package: "shop/payment/card", Name: "BenchmarkLuhnValid", Iterations: 26576757, NsPerOp: 20.36},
		{Package: "shop/payment/card", Name: "BenchmarkConfig_Form/current", Iterations: 61754, NsPerOp: 11784},
		{Package: "shop/checkout", Name: "BenchmarkOutbox_Worker", Iterations: 3000, NsPerOp: 152931, BytesPerOp: 36958,
			AllocsPerOp: 593, Metrics: map[string]float64{"cpu-µs/op": 167.6}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d results, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("result %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
