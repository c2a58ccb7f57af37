-- Delivery methods, orders with their lines and VAT breakdown, and the audit trail of
-- every state change. Money is integer cents; VAT rates are basis points.
CREATE TABLE delivery_methods (
	id               INTEGER PRIMARY KEY,
	code             TEXT NOT NULL UNIQUE,
	name             TEXT NOT NULL,
	description      TEXT NOT NULL DEFAULT '',
	price_cents      INTEGER NOT NULL CHECK (price_cents >= 0),
	free_above_cents INTEGER CHECK (free_above_cents IS NULL OR free_above_cents >= 0),
	vat_rate         INTEGER NOT NULL DEFAULT 2000,
	needs_address    INTEGER NOT NULL DEFAULT 1,
	position         INTEGER NOT NULL DEFAULT 0,
	active           INTEGER NOT NULL DEFAULT 1
);
INSERT INTO delivery_methods (code, name, description, price_cents, free_above_cents, vat_rate, needs_address, position) VALUES
	('home', 'Home delivery', 'Delivered to your door in 2 to 4 working days. Free from €60.', 590, 6000, 2000, 1, 1),
	('express', 'Express delivery', 'Delivered the next working day.', 1290, NULL, 2000, 1, 2),
	('pickup', 'Pick-up in store', 'Collect your order at the shop, 12 rue des Tanneurs, Lyon.', 0, NULL, 2000, 0, 3);

-- What a visitor typed in the order form, so leaving for the cart loses nothing, and the
-- one-time token the next submission must carry.
CREATE TABLE checkout_forms (
	visitor_id TEXT PRIMARY KEY,
	data       TEXT NOT NULL DEFAULT '{}',
	updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE orders (
	id               INTEGER PRIMARY KEY,
	reference        TEXT NOT NULL UNIQUE,
	access_token     TEXT NOT NULL,
	submission       TEXT NOT NULL UNIQUE,
	placed_by        TEXT NOT NULL,
	owner            TEXT NOT NULL,
	email            TEXT NOT NULL,
	name             TEXT NOT NULL,
	phone            TEXT NOT NULL,
	billing_line1    TEXT NOT NULL,
	billing_line2    TEXT NOT NULL DEFAULT '',
	billing_postcode TEXT NOT NULL,
	billing_city     TEXT NOT NULL,
	billing_country  TEXT NOT NULL,
	ship_name        TEXT NOT NULL DEFAULT '',
	ship_line1       TEXT NOT NULL DEFAULT '',
	ship_line2       TEXT NOT NULL DEFAULT '',
	ship_postcode    TEXT NOT NULL DEFAULT '',
	ship_city        TEXT NOT NULL DEFAULT '',
	ship_country     TEXT NOT NULL DEFAULT '',
	delivery_code    TEXT NOT NULL,
	delivery_name    TEXT NOT NULL,
	delivery_cents   INTEGER NOT NULL CHECK (delivery_cents >= 0),
	delivery_vat     INTEGER NOT NULL,
	note             TEXT NOT NULL DEFAULT '',
	items_cents      INTEGER NOT NULL CHECK (items_cents >= 0),
	total_cents      INTEGER NOT NULL CHECK (total_cents >= 0),
	total_ht_cents   INTEGER NOT NULL,
	total_vat_cents  INTEGER NOT NULL,
	currency         TEXT NOT NULL DEFAULT 'EUR',
	payment_state    TEXT NOT NULL DEFAULT 'awaiting_payment' CHECK (payment_state IN
		('awaiting_payment', 'awaiting_certification', 'paid', 'failed', 'cancelled', 'expired')),
	fulfilment_state TEXT NOT NULL DEFAULT 'unfulfilled' CHECK (fulfilment_state IN
		('unfulfilled', 'shipped', 'cancelled')),
	payment_method   TEXT NOT NULL DEFAULT '',
	stock_returned   INTEGER NOT NULL DEFAULT 0,
	tracking_number  TEXT NOT NULL DEFAULT '',
	auth_number      TEXT NOT NULL DEFAULT '',
	status_3ds       TEXT NOT NULL DEFAULT '',
	expires_at       DATETIME NOT NULL,
	paid_at          DATETIME,
	created_at       DATETIME NOT NULL,
	updated_at       DATETIME NOT NULL
);
CREATE INDEX orders_owner ON orders (owner);
CREATE INDEX orders_due ON orders (payment_state, expires_at);
CREATE INDEX orders_created ON orders (created_at);

CREATE TABLE order_lines (
	order_id    INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
	position    INTEGER NOT NULL,
	product_id  INTEGER NOT NULL,
	name        TEXT NOT NULL,
	unit_cents  INTEGER NOT NULL,
	vat_rate    INTEGER NOT NULL,
	quantity    INTEGER NOT NULL CHECK (quantity > 0),
	total_cents INTEGER NOT NULL,
	PRIMARY KEY (order_id, position)
) WITHOUT ROWID;
CREATE INDEX order_lines_product ON order_lines (product_id);

CREATE TABLE order_vat (
	order_id   INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
	vat_rate   INTEGER NOT NULL,
	ttc_cents  INTEGER NOT NULL,
	ht_cents   INTEGER NOT NULL,
	vat_cents  INTEGER NOT NULL,
	PRIMARY KEY (order_id, vat_rate)
) WITHOUT ROWID;

-- Every state change, with who did it and why: the order's timeline and audit trail.
CREATE TABLE order_events (
	id       INTEGER PRIMARY KEY,
	order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
	at       DATETIME NOT NULL,
	kind     TEXT NOT NULL,
	detail   TEXT NOT NULL DEFAULT '',
	actor    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX order_events_order ON order_events (order_id, id);
