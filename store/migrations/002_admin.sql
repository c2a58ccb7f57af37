-- The merchant's staff: accounts, their server-side sessions, failed logins for rate
-- limiting, and the audit trail of every stock change. Times are written by Go in UTC.
CREATE TABLE admin_users (
	id            INTEGER PRIMARY KEY,
	email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
	password_hash TEXT NOT NULL,
	created_at    DATETIME NOT NULL,
	last_login_at DATETIME
);

-- id is the SHA-256 of the random id in the admin's cookie: a copy of this table does
-- not let anyone forge a cookie. Deleting a row logs that session out everywhere.
CREATE TABLE admin_sessions (
	id           TEXT PRIMARY KEY,
	admin_id     INTEGER NOT NULL REFERENCES admin_users (id) ON DELETE CASCADE,
	created_at   DATETIME NOT NULL,
	last_seen_at DATETIME NOT NULL
);
CREATE INDEX admin_sessions_admin ON admin_sessions (admin_id);
CREATE INDEX admin_sessions_seen ON admin_sessions (last_seen_at);

-- One row per failed login, under two keys ("ip:…" and "account:…"), so that the limits
-- hold per address and per account, and across processes sharing the database.
CREATE TABLE login_failures (
	key TEXT NOT NULL,
	at  DATETIME NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, at);
CREATE INDEX login_failures_at ON login_failures (at);

-- Every change of a product's stock made in the admin area: who, when, why.
CREATE TABLE stock_movements (
	id          INTEGER PRIMARY KEY,
	product_id  INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
	delta       INTEGER NOT NULL,
	stock_after INTEGER NOT NULL,
	reason      TEXT NOT NULL,
	actor       TEXT NOT NULL,
	at          DATETIME NOT NULL
);
CREATE INDEX stock_movements_product ON stock_movements (product_id, id);
