-- A mail's bodies live apart from its state. SQLite rewrites a whole row on any update,
-- and a row with two bodies spans overflow pages: claiming a mail and marking it sent
-- rewrote some 4 KiB pages each, which made the worker's bookkeeping cost more than
-- the mail. The bodies are written once, and changed only when unsent card digits are
-- withdrawn from them.
CREATE TABLE outbox_bodies (
	outbox_id INTEGER PRIMARY KEY REFERENCES outbox (id) ON DELETE CASCADE,
	text_body TEXT NOT NULL,
	html_body TEXT NOT NULL
);
INSERT INTO outbox_bodies (outbox_id, text_body, html_body) SELECT id, text_body, html_body FROM outbox;
ALTER TABLE outbox DROP COLUMN text_body;
ALTER TABLE outbox DROP COLUMN html_body;
