package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"time"
)

// An admin form that makes a change carries a key drawn when the form is shown. The
// change's transaction records the key, so the same form sent twice (back and resubmit,
// a replayed request) changes things once: a stock delivery counted twice or a product
// created twice is what a shop must not do behind the merchant's back.

// formKeyLife is how long a used key is remembered.
const formKeyLife = 24 * time.Hour

// NewFormKey is a key for a form about to be shown.
func NewFormKey() string { return rand.Text() }

// DoneAlready answers a form whose key a change has used: nothing was changed again;
// Location is where that change is seen.
type DoneAlready struct{ Location string }

func (e *DoneAlready) Error() string { return "this form was sent already" }

// checkFormKey returns a *DoneAlready if key was used; an empty key (a form from before
// keys, or a client that drops it) is never used.
func checkFormKey(ctx context.Context, tx *Tx, key string) error {
	if key == "" {
		return nil
	}
	var location string
	err := tx.QueryRowContext(ctx, `SELECT location FROM admin_form_keys WHERE key = ?`, key).Scan(&location)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return &DoneAlready{Location: location}
}

// spendFormKey records key as used by this transaction's change, seen at location, and
// forgets keys older than formKeyLife (admin changes are few: the table stays small).
func spendFormKey(ctx context.Context, tx *Tx, key, location string, now time.Time) error {
	if key == "" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM admin_form_keys WHERE at < ?`, now.Add(-formKeyLife)); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO admin_form_keys (key, location, at) VALUES (?, ?, ?)`, key, location, now)
	return err
}
