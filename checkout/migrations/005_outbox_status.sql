-- The worker claims the oldest due mails first. Ordered by (status, next_attempt_at),
-- the index gave due rows out of id order, so every claim sorted the whole queue to
-- pick ten: with thousands of mails queued (a busy hour), sending them cost time
-- quadratic in the backlog. This index keeps each status in id order, and holds
-- next_attempt_at so that a queue waiting out an SMTP outage is skipped in the index
-- alone, without reading its rows.
DROP INDEX outbox_due;
CREATE INDEX outbox_status ON outbox (status, id, next_attempt_at);
