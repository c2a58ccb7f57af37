-- A cart per anonymous visitor, created on the first add. Lines hold only a product and
-- a quantity: prices are always read from the catalogue.
CREATE TABLE carts (
	visitor_id TEXT PRIMARY KEY,
	created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
	updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX carts_updated ON carts (updated_at);

CREATE TABLE cart_lines (
	visitor_id TEXT NOT NULL REFERENCES carts (visitor_id) ON DELETE CASCADE,
	product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
	quantity   INTEGER NOT NULL CHECK (quantity > 0),
	added_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
	PRIMARY KEY (visitor_id, product_id)
) WITHOUT ROWID;
CREATE INDEX cart_lines_product ON cart_lines (product_id);
