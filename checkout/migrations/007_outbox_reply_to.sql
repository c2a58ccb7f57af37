-- Where a reply goes: the customer, for the merchant's mails about an order, so that
-- answering the mail reaches the person who placed it. Empty: to the sender.
ALTER TABLE outbox ADD COLUMN reply_to TEXT NOT NULL DEFAULT '';
