-- For a pick-up, what its delivery method said when the order was placed: where and when
-- to collect it. The order page and the mails repeat it; the method may change later.
ALTER TABLE orders ADD COLUMN delivery_note TEXT NOT NULL DEFAULT '';
