-- pgbench script: what one reservation must do at minimum, in one transaction (issue 8).
-- :accounts comes from pgbench -D.
\set a random(1, :accounts)
\set q random(1, 100)
BEGIN;
INSERT INTO anchor.events (stream_id, version, type, data)
VALUES (gen_random_uuid(), 1, 'deallocation_reserved', jsonb_build_object(
    'deallocationId', gen_random_uuid(), 'partnerDeallocationId', gen_random_uuid(),
    'clientId', gen_random_uuid(), 'connectionId', gen_random_uuid(),
    'amount', jsonb_build_object('currency', 'btc', 'quantity', (:q)::text)));
UPDATE anchor.balances SET available = available - :q, reserved = reserved + :q
WHERE account = :a AND available >= :q;
INSERT INTO anchor.holds (id, account, quantity, status)
VALUES (gen_random_uuid(), :a, :q, 'reserved');
END;
