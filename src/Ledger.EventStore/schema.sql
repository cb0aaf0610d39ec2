-- The event store's tables. Every statement is idempotent: startup applies this file on each
-- boot, inside SchemaApplier's advisory lock, so two nodes starting together never race.
-- docs/schema.md describes every column.

CREATE TABLE IF NOT EXISTS ledger.streams (
    id          uuid        NOT NULL,
    type        text        NOT NULL,
    version     integer     NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_streams PRIMARY KEY (id),
    CONSTRAINT ck_streams_type_length CHECK (char_length(type) BETWEEN 1 AND 64),
    CONSTRAINT ck_streams_version_positive CHECK (version >= 1)
);

-- seq is the global order; (stream_id, version) the per-stream order. The unique constraint is
-- the last line of defence against two writers appending the same version: the stream row's
-- version check (EventSession) normally stops the loser before it draws a seq.
-- No foreign key to ledger.streams (ADR 0013): every insert computes its hash from the stream
-- row (version 1) or the previous event, so an event without them gets a NULL hash and the
-- NOT NULL constraint aborts its append; stream rows are never deleted (trigger below), and
-- audit verify reports an event whose stream row is missing.
CREATE TABLE IF NOT EXISTS ledger.events (
    seq          bigint      GENERATED ALWAYS AS IDENTITY,
    stream_id    uuid        NOT NULL,
    version      integer     NOT NULL,
    type         text        NOT NULL,
    data         jsonb       NOT NULL,
    metadata     jsonb       NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    hash         bytea       NOT NULL,
    CONSTRAINT pk_events PRIMARY KEY (seq),
    CONSTRAINT uq_events_stream_and_version UNIQUE (stream_id, version),
    CONSTRAINT ck_events_version_positive CHECK (version >= 1),
    CONSTRAINT ck_events_type_length CHECK (char_length(type) BETWEEN 1 AND 64),
    CONSTRAINT ck_events_data_object CHECK (jsonb_typeof(data) = 'object'),
    CONSTRAINT ck_events_metadata_object CHECK (jsonb_typeof(metadata) = 'object'),
    CONSTRAINT ck_events_hash_sha256 CHECK (octet_length(hash) = 32)
);

ALTER TABLE ledger.events DROP CONSTRAINT IF EXISTS fk_events_stream;

-- Exports by time range (EventExporter). recorded_at grows with the log's physical order, so
-- a BRIN index finds a range as well as a B-tree would, at almost no cost per insert (ADR 0013).
DROP INDEX IF EXISTS ledger.ix_events_recorded_at;
CREATE INDEX IF NOT EXISTS ix_events_recorded_at_brin ON ledger.events USING brin (recorded_at);

-- Tamper evidence (docs/hash-chain.md). Each event's hash is SHA-256 over the previous event's
-- hash in the same stream (32 zero bytes for version 1) followed by the UTF-8 bytes of
--   stream_id LF version LF type LF data LF metadata LF recorded_at
-- where data and metadata are PostgreSQL's jsonb text rendering and recorded_at is UTC with
-- microseconds ("2026-11-21T05:13:29.383138Z"). Each stream chains on its own, so appends to
-- different streams never wait on one another (unlike a global hash lock).
-- STABLE, as convert_to and to_char are: a function that claims more than its body cannot be
-- inlined, and then runs through the SQL-function executor, which set up and ran at about
-- twice the cost of the inlined expression (docs/benchmarks.md).
CREATE OR REPLACE FUNCTION ledger.event_hash(
    previous bytea, stream_id uuid, version integer, type text, data jsonb, metadata jsonb,
    recorded_at timestamptz) RETURNS bytea
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    SELECT sha256(previous || convert_to(
        stream_id::text || E'\n' || version::text || E'\n' || type || E'\n'
        || data::text || E'\n' || metadata::text || E'\n'
        || to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'UTF8'))
$$;

-- A group commits in the round trip of its inserts (ADR 0010), so a statement whose row count
-- breaks an invariant must fail in the server, before the COMMIT queued behind it can run.
-- ProjectionBatch wraps such a statement, on the single path too, as
--   WITH counted AS (<statement> RETURNING 1) SELECT ledger.expect_rows(count(*), $n, $m) FROM counted
-- and turns the assert_failure raised here into its invariant exception.
CREATE OR REPLACE FUNCTION ledger.expect_rows(actual bigint, expected integer, invariant text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF actual IS DISTINCT FROM expected THEN
        RAISE EXCEPTION 'invariant ''%'' broken: % rows, expected %', invariant, actual, expected
            USING ERRCODE = 'assert_failure';
    END IF;
END;
$$;

-- A group that decided before it read (GroupSession.ClaimInCommit, ADR 0010) sends what it
-- assumed as statements whose row count must match: the ids are new, the rows unchanged. A
-- miss is no broken invariant but a stale assumption, raised as serialization_failure so the
-- caller can tell the two apart, roll back and decide again on what it reads.
CREATE OR REPLACE FUNCTION ledger.expect_unchanged(actual bigint, expected integer, assumption text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF actual IS DISTINCT FROM expected THEN
        RAISE EXCEPTION 'assumption ''%'' stale: % rows, expected %', assumption, actual, expected
            USING ERRCODE = 'serialization_failure';
    END IF;
END;
$$;

-- A digest over every stream's head as of a global seq: with it an auditor can tell that no
-- whole stream was deleted or added behind the log since the checkpoint was taken.
CREATE TABLE IF NOT EXISTS ledger.checkpoints (
    id            bigint      GENERATED ALWAYS AS IDENTITY,
    at_seq        bigint      NOT NULL,
    stream_count  bigint      NOT NULL,
    event_count   bigint      NOT NULL,
    digest        bytea       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_checkpoints PRIMARY KEY (id),
    CONSTRAINT ck_checkpoints_digest_sha256 CHECK (octet_length(digest) = 32)
);

-- The log is append-only. A superuser can still disable this trigger; that is what the audit
-- hash chain is for. It stops the honest mistake, not the determined attacker.
CREATE OR REPLACE FUNCTION ledger.events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger.events is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE OR REPLACE TRIGGER trg_events_append_only
    BEFORE UPDATE OR DELETE ON ledger.events
    FOR EACH ROW EXECUTE FUNCTION ledger.events_append_only();

CREATE OR REPLACE TRIGGER trg_events_no_truncate
    BEFORE TRUNCATE ON ledger.events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.events_append_only();

-- A stream row is updated (its version) but never removed: the events it heads outlive nothing.
CREATE OR REPLACE FUNCTION ledger.streams_keep_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger.streams rows are never removed: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE OR REPLACE TRIGGER trg_streams_no_delete
    BEFORE DELETE ON ledger.streams
    FOR EACH ROW EXECUTE FUNCTION ledger.streams_keep_rows();

CREATE OR REPLACE TRIGGER trg_streams_no_truncate
    BEFORE TRUNCATE ON ledger.streams
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.streams_keep_rows();
