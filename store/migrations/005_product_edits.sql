-- How many times the product form saved this product: a form carries the count it was
-- opened with, and a save from a form opened before another admin's save is refused
-- rather than silently undoing it. Orders and stock adjustments do not count.
ALTER TABLE products ADD COLUMN edits INTEGER NOT NULL DEFAULT 0;
