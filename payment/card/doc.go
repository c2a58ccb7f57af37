// Package card owns what the shop knows about a payment card typed into its
// own payment form (the 3clicShopping flow): checking the number (characters,
// length, Luhn, brand by prefix and length), the expiry date and the chosen
// brand; splitting a number into the part stored with the order and the six
// digits e-mailed to the merchant; sealing those six digits until the mail is
// sent; and keeping full numbers out of screens and logs (masks, Scrub,
// ScrubHandler).
//
// It is a leaf: no database, no HTTP, no other shop package. Nothing in it
// ever puts the digits of a number into an error message.
package card
