-- The inline projections' views. Every statement is idempotent (see SchemaApplier).
-- docs/schema.md describes every column. Amounts are numeric: integers of any size (ADR 0005).

-- One row per client, connection and currency. The CHECK constraints are the last guard: a
-- projection that would drive a part below zero aborts its append (style habit 5).
CREATE TABLE IF NOT EXISTS ledger.balances (
    client_id       uuid        NOT NULL,
    connection_id   uuid        NOT NULL,
    currency        text        NOT NULL,
    available       numeric     NOT NULL DEFAULT 0,
    reserved        numeric     NOT NULL DEFAULT 0,
    pending_credit  numeric     NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_balances PRIMARY KEY (client_id, connection_id, currency),
    CONSTRAINT ck_balances_available_not_negative CHECK (available >= 0),
    CONSTRAINT ck_balances_reserved_not_negative CHECK (reserved >= 0),
    CONSTRAINT ck_balances_pending_credit_not_negative CHECK (pending_credit >= 0),
    CONSTRAINT ck_balances_available_integer CHECK (available = trunc(available)),
    CONSTRAINT ck_balances_reserved_integer CHECK (reserved = trunc(reserved)),
    CONSTRAINT ck_balances_pending_credit_integer CHECK (pending_credit = trunc(pending_credit))
);

-- The status read model of every allocation and deallocation.
CREATE TABLE IF NOT EXISTS ledger.hold_status (
    id                      uuid        NOT NULL,
    kind                    text        NOT NULL,
    client_id               uuid        NOT NULL,
    connection_id           uuid        NOT NULL,
    partners_connection_id  text        NOT NULL,
    partner_client_id       text        NOT NULL,
    currency                text        NOT NULL,
    quantity                numeric     NOT NULL,
    status                  text        NOT NULL,
    partner_reference       text,
    rejection_reason        text,
    version                 integer     NOT NULL,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_hold_status PRIMARY KEY (id),
    CONSTRAINT ck_hold_status_kind CHECK (kind IN ('allocation', 'deallocation')),
    CONSTRAINT ck_hold_status_status
        CHECK (status IN ('requested', 'reserved', 'rejected', 'cleared', 'released')),
    CONSTRAINT ck_hold_status_quantity_positive CHECK (quantity > 0 AND quantity = trunc(quantity))
);

CREATE INDEX IF NOT EXISTS ix_hold_status_kind_created
    ON ledger.hold_status (kind, created_at, id);
CREATE INDEX IF NOT EXISTS ix_hold_status_client_created
    ON ledger.hold_status (client_id, kind, created_at, id);
-- The query API's lists filtered by connection, and the operators' stale-hold list, which
-- only ever reads holds still reserved (a small, partial index).
CREATE INDEX IF NOT EXISTS ix_hold_status_connection_created
    ON ledger.hold_status (connection_id, kind, created_at, id);
CREATE INDEX IF NOT EXISTS ix_hold_status_reserved_created
    ON ledger.hold_status (created_at, id) WHERE status = 'reserved';

-- One row per client connection, for lookups and BitGo-shaped balance answers.
CREATE TABLE IF NOT EXISTS ledger.connections (
    connection_id           uuid        NOT NULL,
    client_id               uuid        NOT NULL,
    client_wallet_id        text        NOT NULL,
    partner_id              uuid        NOT NULL,
    partners_client_id      text        NOT NULL,
    partners_connection_id  text        NOT NULL,
    active                  boolean     NOT NULL,
    deactivation_reason     text,
    version                 integer     NOT NULL,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_connections PRIMARY KEY (connection_id)
);

CREATE INDEX IF NOT EXISTS ix_connections_client ON ledger.connections (client_id);

-- Every BitGo token's jti, kept until the token could no longer be valid, so a replayed token
-- is refused across nodes and restarts (contract: "Authentication of BitGo's calls").
CREATE TABLE IF NOT EXISTS ledger.seen_jtis (
    jti         text        NOT NULL,
    expires_at  timestamptz NOT NULL,
    seen_at     timestamptz NOT NULL DEFAULT now(),
    request_id  uuid,
    CONSTRAINT pk_seen_jtis PRIMARY KEY (jti),
    CONSTRAINT ck_seen_jtis_jti_length CHECK (char_length(jti) BETWEEN 1 AND 128)
);

-- Which request recorded the jti: its retry after a commit of unknown outcome is no replay.
ALTER TABLE ledger.seen_jtis ADD COLUMN IF NOT EXISTS request_id uuid;

-- For the purge of expired jtis. Tokens live minutes, so expires_at follows insertion order
-- closely enough for BRIN, which costs almost nothing per insert (ADR 0013).
DROP INDEX IF EXISTS ledger.ix_seen_jtis_expires_at;
CREATE INDEX IF NOT EXISTS ix_seen_jtis_expires_at_brin ON ledger.seen_jtis USING brin (expires_at);

-- The auditor API (src/Ledger.Api/Auditors) folds one client's events in seq order: the
-- balance-moving events and connection activations, which all carry "clientId" in their data.
-- ledger.events is the event store's table (src/Ledger.EventStore/schema.sql), but which key
-- the data carries is this service's knowledge, so the index lives here; LedgerDatabase
-- applies this script after the event store's, in the same transaction, so the table exists.
-- Partial: events without a clientId (deactivations) stay out, and the queries'
-- "data->>'clientId' = $1" implies the predicate. On a large existing log, build it first
-- with CREATE INDEX CONCURRENTLY under this name; this statement then does nothing, where
-- it would otherwise block appends while it builds.
CREATE INDEX IF NOT EXISTS ix_events_client_seq
    ON ledger.events ((data->>'clientId'), seq)
    WHERE (data->>'clientId') IS NOT NULL;
