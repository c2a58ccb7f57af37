package store

import "testing"

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Zoé Lætitia Müller-Çelik": "zoe laetitia muller-celik",
		"José Françoise Œuvray":    "jose francoise oeuvray",
		"Straße":                   "strasse",
		"ada@example.com":          "ada@example.com",
		"":                         "",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

// SQL calls Fold by its name on every connection, readers' and the writer's.
func TestFold_InSQL(t *testing.T) {
	db := mustOpenStore(t)
	var got string
	if err := db.R.QueryRow(`SELECT ` + FoldSQL + `('Œuvray Zoé')`).Scan(&got); err != nil || got != "oeuvray zoe" {
		t.Errorf("%s on a reader = %q, %v", FoldSQL, got, err)
	}
	if err := db.W.QueryRow(`SELECT ` + FoldSQL + `('ÇA')`).Scan(&got); err != nil || got != "ca" {
		t.Errorf("%s on the writer = %q, %v", FoldSQL, got, err)
	}
}
