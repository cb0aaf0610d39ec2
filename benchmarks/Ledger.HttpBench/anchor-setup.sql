-- The anchor's own tables, beside the ledger's in the same database: the physical limit of one
-- reservation, with none of the ledger's code. Recreated on every run.
DROP SCHEMA IF EXISTS anchor CASCADE;
CREATE SCHEMA anchor;

-- Like ledger.events: a global seq, and the per-stream version unique.
CREATE TABLE anchor.events (
    seq          bigint      GENERATED ALWAYS AS IDENTITY,
    stream_id    uuid        NOT NULL,
    version      integer     NOT NULL,
    type         text        NOT NULL,
    data         jsonb       NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_anchor_events PRIMARY KEY (seq),
    CONSTRAINT uq_anchor_events_stream_and_version UNIQUE (stream_id, version)
);

-- Like ledger.balances: numeric parts that may never go negative.
CREATE TABLE anchor.balances (
    account    integer NOT NULL,
    available  numeric NOT NULL,
    reserved   numeric NOT NULL DEFAULT 0,
    CONSTRAINT pk_anchor_balances PRIMARY KEY (account),
    CONSTRAINT ck_anchor_balances_available CHECK (available >= 0),
    CONSTRAINT ck_anchor_balances_reserved CHECK (reserved >= 0)
);

-- Like ledger.hold_status: one read-model row per reservation.
CREATE TABLE anchor.holds (
    id        uuid    NOT NULL,
    account   integer NOT NULL,
    quantity  numeric NOT NULL,
    status    text    NOT NULL,
    CONSTRAINT pk_anchor_holds PRIMARY KEY (id)
);

-- Ample funds: no reservation of the anchor ever finds its balance short.
INSERT INTO anchor.balances (account, available)
SELECT a, 1000000000000000 FROM generate_series(1, @accounts@) AS a;
