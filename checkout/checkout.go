// Package checkout owns everything from the order form to a completed order: form
// validation, delivery methods and VAT, placing an order (stock reserved in the same
// transaction), payment hand-off and completion, order pages, expiry of unpaid orders,
// and the mail outbox with its worker.
package checkout

import (
	"embed"
	"sync/atomic"
	"time"

	"shop/store"
)

//go:embed migrations/*.sql
var migrationsFS embed.FS

// Migrations are checkout's tables, applied after the catalogue's and the cart's.
var Migrations = store.Migrations{Name: "checkout", FS: migrationsFS}

// Service places and moves orders. Every state change that someone must hear about writes
// its mail to the outbox in the same transaction.
type Service struct {
	DB    *store.DB
	Now   func() time.Time
	Mails *Mails
	// PaymentWindow is how long an unpaid order keeps its stock; BankWindow replaces it
	// once the shopper has left for the bank's page, which can take longer.
	PaymentWindow time.Duration
	BankWindow    time.Duration
	// Zone is the merchant's time zone: order pages, admin pages and the admin's days.
	Zone store.Zone

	orders   orderCache    // the orders this process wrote lately, for the shopper's pages
	delivery deliveryCache // the active delivery methods, for the order form
	// earlyMails counts the payment mails rendered before their transaction and queued.
	earlyMails atomic.Int64
	// drawReference replaces newReference in tests that need a reference taken.
	drawReference func() (string, error)
}
