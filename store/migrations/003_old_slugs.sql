-- The addresses products and categories had before the merchant changed their slug:
-- links shared, bookmarked or indexed by search engines keep working, with a permanent
-- redirect to the new address. A slug in use again by another row is its own page,
-- never a redirect; a row deleted takes its old addresses with it.
CREATE TABLE product_old_slugs (
	slug       TEXT PRIMARY KEY,
	product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX product_old_slugs_product ON product_old_slugs (product_id);

CREATE TABLE category_old_slugs (
	slug        TEXT PRIMARY KEY,
	category_id INTEGER NOT NULL REFERENCES categories (id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX category_old_slugs_category ON category_old_slugs (category_id);
