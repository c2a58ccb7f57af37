package templates

import "testing"

func TestCount_SingularForOne(t *testing.T) {
	for n, want := range map[int]string{0: "0 orders", 1: "1 order", 2: "2 orders", 1000: "1000 orders"} {
		if got := count(n, "order", "orders"); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
}
