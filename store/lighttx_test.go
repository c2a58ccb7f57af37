package store

import (
	"context"
	"errors"
	"testing"
)

func TestLightTx_CommitsAndPutsTheWriterBackToFullSync(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	syncMode := func() int {
		var n int
		if err := db.W.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if syncMode() != 2 {
		t.Fatalf("the writer does not start at synchronous FULL (2)")
	}
	err := db.LightTx(ctx, func(tx *Tx) error {
		var inside int
		if err := tx.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&inside); err != nil || inside != 1 {
			t.Errorf("inside LightTx synchronous = %d (%v), want NORMAL (1)", inside, err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('light', 'yes')`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := syncMode(); got != 2 {
		t.Errorf("after LightTx the writer is at synchronous %d, want FULL (2)", got)
	}
	failed := errors.New("changed my mind")
	if err := db.LightTx(ctx, func(tx *Tx) error {
		tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('rolled back', 'x')`)
		return failed
	}); !errors.Is(err, failed) {
		t.Errorf("LightTx error = %v, want the function's", err)
	}
	var n int
	db.R.QueryRowContext(ctx, `SELECT count(*) FROM settings WHERE key IN ('light', 'rolled back')`).Scan(&n)
	if n != 1 || syncMode() != 2 {
		t.Errorf("%d rows kept (want the committed one only), synchronous %d", n, syncMode())
	}
}
