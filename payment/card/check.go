package card

import "time"

// Input is the payment form as the shopper typed it.
type Input struct{ Number, Expiry, Brand string }

// Card is a checked card: a number of the chosen brand, not expired.
type Card struct {
	Brand  Brand
	Expiry Expiry
	Number Number
}

// FieldErrors holds one error per form field, keyed "number", "expiry" and
// "brand", to be shown beside that field.
type FieldErrors map[string]error

// Form field names, the keys of FieldErrors.
const (
	fieldNumber = "number"
	fieldExpiry = "expiry"
	fieldBrand  = "brand"
)

// Check runs the three checks of the 3clicShopping flow (a real number, not
// expired, of the chosen brand) on every field at once, so the shopper sees
// all that is wrong in one go. It returns nil FieldErrors on success; on any
// failure it returns the zero Card, so a half-checked number cannot be used.
//
// A number of another brand than the chosen one is reported on "number": the
// number is what the shopper most likely mistyped, and it is never echoed back
// into the form, so the message must sit where they will retype.
func Check(in Input, now time.Time) (Card, FieldErrors) {
	errs := FieldErrors{}

	n, err := ParseNumber(in.Number)
	if err != nil {
		errs[fieldNumber] = err
	}
	numberBrand, known := n.Brand()
	if err == nil && !known {
		errs[fieldNumber] = ErrNumberBrand
	}

	chosen, err := ParseBrand(in.Brand)
	if err != nil {
		errs[fieldBrand] = err
	}
	if errs[fieldNumber] == nil && err == nil && numberBrand != chosen {
		errs[fieldNumber] = brandMismatch{chosen: chosen}
	}

	e, err := ParseExpiry(in.Expiry)
	switch {
	case err != nil:
		errs[fieldExpiry] = err
	case !e.Valid(now):
		errs[fieldExpiry] = ErrExpiryPast
	}

	if len(errs) > 0 {
		return Card{}, errs
	}
	return Card{Brand: chosen, Expiry: e, Number: n}, nil
}
