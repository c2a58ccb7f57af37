-- The keys of admin forms that made a change (a new product, a stock adjustment), each
-- with where the change is seen: the same form sent again (back and resubmit, a reload
-- of the answer, a replay) makes no second change and goes there. Kept a day.
CREATE TABLE admin_form_keys (
	key      TEXT PRIMARY KEY,
	location TEXT NOT NULL,
	at       DATETIME NOT NULL
) WITHOUT ROWID;
