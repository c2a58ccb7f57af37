package checkout

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"shop/store"
)

// SavedForm returns what the visitor last typed in the order form, so a trip back to
// the cart loses nothing. A visitor who never filled it gets France and home delivery.
func (s *Service) SavedForm(ctx context.Context, visitor string) (Form, error) {
	f := newForm()
	var data string
	err := s.DB.ReadRow(ctx, `SELECT data FROM checkout_forms WHERE visitor_id = ?`, visitor).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return f, nil
	}
	if err != nil {
		return f, err
	}
	err = json.Unmarshal([]byte(data), &f)
	return f, err
}

// newForm is the order form as a new visitor first sees it.
func newForm() Form { return Form{BillingCountry: "FR", ShipCountry: "FR", Delivery: "home"} }

// SaveForm keeps the visitor's order form values (never anything about payment), each
// cut to draftLimit characters.
func (s *Service) SaveForm(ctx context.Context, visitor string, f Form) error {
	data, err := json.Marshal(f.draft())
	if err != nil {
		return err
	}
	return s.DB.LightTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO checkout_forms (visitor_id, data, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (visitor_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`,
			visitor, string(data), s.Now().UTC())
		return err
	})
}
