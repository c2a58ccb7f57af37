-- The card form's record: brand, expiry and the number WITHOUT its last six digits
-- (those travel only in the merchant's mail). Reduced to the first six digits once the
-- merchant has certified or rejected the payment.
CREATE TABLE card_payments (
	order_id    INTEGER PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
	brand       TEXT NOT NULL,
	expiry      TEXT NOT NULL,
	stored      TEXT NOT NULL,
	reduced     INTEGER NOT NULL DEFAULT 0,
	created_at  DATETIME NOT NULL
);

-- Every notification the bank sent, valid or not, kept for audit and de-duplication.
CREATE TABLE gateway_notifications (
	id          INTEGER PRIMARY KEY,
	received_at DATETIME NOT NULL,
	method      TEXT NOT NULL,
	reference   TEXT NOT NULL DEFAULT '',
	order_id    INTEGER REFERENCES orders (id) ON DELETE SET NULL,
	mac_valid   INTEGER NOT NULL,
	code        TEXT NOT NULL DEFAULT '',
	outcome     TEXT NOT NULL,
	auth_number TEXT NOT NULL DEFAULT '',
	status_3ds  TEXT NOT NULL DEFAULT '',
	fields      TEXT NOT NULL
);
CREATE INDEX gateway_notifications_order ON gateway_notifications (order_id, id);
CREATE INDEX gateway_notifications_reference ON gateway_notifications (reference);
