-- Catalogue: categories and products. Money is integer cents, VAT rates are basis
-- points (2000 = 20 %), stock can never go below zero.
CREATE TABLE categories (
	id          INTEGER PRIMARY KEY,
	slug        TEXT NOT NULL UNIQUE,
	name        TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	position    INTEGER NOT NULL DEFAULT 0,
	created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE products (
	id          INTEGER PRIMARY KEY,
	slug        TEXT NOT NULL UNIQUE,
	name        TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
	vat_rate    INTEGER NOT NULL CHECK (vat_rate IN (0, 210, 550, 1000, 2000)),
	stock       INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),
	image       TEXT NOT NULL DEFAULT '',
	category_id INTEGER REFERENCES categories(id) ON DELETE SET NULL,
	published   INTEGER NOT NULL DEFAULT 0,
	created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
	updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX products_category ON products (category_id, published, name);
CREATE INDEX products_published ON products (published, name);

-- Search ignores case and accents: "cafe" finds "Café".
CREATE VIRTUAL TABLE products_fts USING fts5(
	name, description,
	content = 'products', content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
	INSERT INTO products_fts (rowid, name, description) VALUES (new.id, new.name, new.description);
END;
CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
	INSERT INTO products_fts (products_fts, rowid, name, description) VALUES ('delete', old.id, old.name, old.description);
END;
CREATE TRIGGER products_fts_update AFTER UPDATE OF name, description ON products BEGIN
	INSERT INTO products_fts (products_fts, rowid, name, description) VALUES ('delete', old.id, old.name, old.description);
	INSERT INTO products_fts (rowid, name, description) VALUES (new.id, new.name, new.description);
END;

-- Site-wide values generated once, such as the session keys.
CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value BLOB NOT NULL
);
