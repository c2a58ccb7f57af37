// Package cmcic implements the merchant side of the CM-CIC p@iement / Monetico
// Paiement v3.0 redirect protocol: it turns a terminal's key into an HMAC key,
// signs the form the shopper's browser posts to the bank, verifies and parses
// the notification the bank sends server to server, and holds the exact
// acknowledgement texts the bank expects back.
//
// Two seal formats exist and a terminal uses exactly one: Current (Monetico
// since 2019, every field sorted by name) and Legacy (CM-CIC 3.0, fixed
// positions). The package has no HTTP server, no database and no dependency
// outside the standard library; the shop wires it to its routes.
//
// The bank's side of the same protocol, for development, lives in the
// sandbox subpackage; the few exported helpers it needs (VerifyForm,
// SealNotification) are here so both sides share one definition of the seal.
package cmcic
