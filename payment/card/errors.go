package card

import "errors"

// Errors shown to the shopper next to a field. Their text is written for the
// shopper and never contains a digit, so that no part of a number can reach a
// page, a log line or an error report through them.
var (
	ErrNumberRequired   = errors.New("enter the card number")
	ErrNumberCharacters = errors.New("the card number may contain only digits, spaces and dashes")
	ErrNumberLength     = errors.New("the card number has too few or too many digits")
	ErrNumberLuhn       = errors.New("this is not a valid card number: please check it and type it again")
	ErrNumberBrand      = errors.New("this type of card is not accepted: we take Visa, Mastercard, American Express and Diners Club")

	ErrBrandRequired = errors.New("choose the card type")
	ErrBrandUnknown  = errors.New("choose one of the card types offered")
	ErrBrandMismatch = errors.New("the card number does not match the chosen card type")

	ErrExpiryRequired = errors.New("enter the expiry date")
	ErrExpiryFormat   = errors.New("enter the expiry date as MM/YY, with a month from January to December")
	ErrExpiryPast     = errors.New("this card has expired")
)

// brandMismatch names the chosen brand in the message ("the number is not a
// Visa card") while errors.Is(err, ErrBrandMismatch) still holds. It holds the
// chosen brand only, never the number.
type brandMismatch struct{ chosen Brand }

func (e brandMismatch) Error() string {
	return "the number is not " + article(e.chosen.Label()) + " " + e.chosen.Label() + " card: check the card type or the number"
}

func (e brandMismatch) Unwrap() error { return ErrBrandMismatch }

// article picks "a" or "an" for a brand label ("an American Express card").
func article(word string) string {
	if word != "" {
		switch word[0] {
		case 'A', 'E', 'I', 'O', 'U', 'a', 'e', 'i', 'o', 'u':
			return "an"
		}
	}
	return "a"
}
