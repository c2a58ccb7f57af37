-- Whom a reply reaches: the customer, for the merchant's mails about an order, and the
-- merchant, for the customer's. Empty: the sender.
ALTER TABLE outbox ADD COLUMN reply_to TEXT NOT NULL DEFAULT '';
