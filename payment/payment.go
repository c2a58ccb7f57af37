// Package payment names what every way of paying has in common. The methods themselves
// live below it (card, cmcic) with no database and no HTTP framework; checkout offers on
// its payment page exactly the methods that main configured, and no other.
package payment

// Method is one way to pay a placed order, as the payment page offers it.
type Method interface {
	// Code is stored on the order and used in its URL: "card", "cmcic".
	Code() string
	// Label is the button the shopper clicks, e.g. "Pay by card on this site".
	Label() string
	// Description says in a sentence what happens next.
	Description() string
}
