// Package sandbox is the bank's side of the CM-CIC p@iement / Monetico
// redirect protocol, for development and tests: it receives the shop's signed
// payment form, shows a card page and, for one test card, a 3-D Secure step,
// notifies the shop server to server with a sealed notification, and sends
// the shopper back with a link.
//
// Test card numbers choose the outcome (accepted, refused, 3-D Secure,
// duplicate notification, late notification), so that every branch of the
// shop's notification handling can be exercised without a real bank. Pending
// payments live in memory: this is a simulator, not a bank. The card number
// is used to decide and then dropped; it never reaches a log, a URL or a page
// after it is submitted.
package sandbox
