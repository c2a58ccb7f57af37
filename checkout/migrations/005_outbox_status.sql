-- The worker claims the oldest due mails first. Ordered by (status, next_attempt_at),
-- the index gave due rows out of id order, so every claim sorted the whole queue to
-- pick ten: with thousands of mails queued (a busy hour), sending them cost time
-- quadratic in the backlog. An index on status alone keeps each status in id order.
DROP INDEX outbox_due;
CREATE INDEX outbox_status ON outbox (status);
