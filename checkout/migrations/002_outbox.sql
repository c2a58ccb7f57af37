-- The mail outbox. A mail is written here in the same transaction as the state change
-- that causes it, and sent later by the worker, outside any transaction, with retries:
-- an SMTP outage delays mail but loses none. key makes a duplicate event a no-op.
-- secret holds the merchant's six card digits sealed with the card key (never in clear),
-- bound to order_ref, and is set to NULL as soon as the mail is delivered.
CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY,
	key             TEXT NOT NULL UNIQUE,
	order_id        INTEGER REFERENCES orders (id) ON DELETE SET NULL,
	order_ref       TEXT NOT NULL DEFAULT '',
	recipient       TEXT NOT NULL,
	subject         TEXT NOT NULL,
	text_body       TEXT NOT NULL,
	html_body       TEXT NOT NULL,
	secret          BLOB,
	status          TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at DATETIME NOT NULL,
	claimed_until   DATETIME,
	claim_token     TEXT NOT NULL DEFAULT '',
	last_error      TEXT NOT NULL DEFAULT '',
	created_at      DATETIME NOT NULL,
	sent_at         DATETIME
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_order ON outbox (order_id);
