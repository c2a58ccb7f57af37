package checkout

import (
	"net/url"
	"strings"
	"testing"
)

func TestAuditFields_KeepNoMoreThanSixCardDigits(t *testing.T) {
	in := url.Values{
		"cbmasquee":   {"42424242******42"},
		"texte-libre": {"paid with 4242 4242 4242 4242"},
		"reference":   {"AB12CD34EF"},
		"huge":        {strings.Repeat("x", 5000)},
	}
	out := auditFields(in)
	if got := out.Get("cbmasquee"); got != "424242**********" {
		t.Errorf("cbmasquee kept as %q", got)
	}
	if got := out.Get("texte-libre"); strings.Contains(got, "4242 4242 4242 4242") {
		t.Errorf("a card number in the free text was kept: %q", got)
	}
	if out.Get("reference") != "AB12CD34EF" || len(out.Get("huge")) != 512 {
		t.Errorf("reference %q, huge value of %d bytes", out.Get("reference"), len(out.Get("huge")))
	}
}
