-- DuisPrioritiser.PostgreSql schema, version 1: the shared backlog.
-- {schema} and {prefix} are replaced by PostgreSqlBacklogOptions.Schema and .TablePrefix.

-- envelope holds what the reader found in the message (kind, SRV, codes, ids, times: see EnvelopeCodec);
-- payload holds the exact bytes received, so a DBA can read them (convert_from(payload, 'UTF8')).
-- One table ordered by (level, sequence). A row is "ready" while lease_owner is null; a claim sets the lease and
-- acknowledging deletes the row, so the table holds only what is still owed to the back-end.
CREATE TABLE IF NOT EXISTS {schema}.{prefix}backlog (
    sequence     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    level        smallint    NOT NULL CHECK (level >= 0),
    received_at  timestamptz NOT NULL,
    dedup_key    text        NULL,
    envelope     bytea       NOT NULL,
    payload      bytea       NOT NULL,
    attempts     integer     NOT NULL DEFAULT 0,
    lease_owner  uuid        NULL,
    lease_until  timestamptz NULL,
    CONSTRAINT {prefix}backlog_lease_pair CHECK ((lease_owner IS NULL) = (lease_until IS NULL))
);

-- Claims read the head of one level through this partial index; it holds only ready rows.
CREATE INDEX IF NOT EXISTS {prefix}backlog_ready ON {schema}.{prefix}backlog (level, sequence) WHERE lease_owner IS NULL;

-- Expired leases are found through this one; it holds only claimed rows (bounded by the instances' in-flight limits).
CREATE INDEX IF NOT EXISTS {prefix}backlog_leased ON {schema}.{prefix}backlog (lease_until) WHERE lease_owner IS NOT NULL;

-- A queue table churns: vacuum it early so dead index entries at the head of a level are reclaimed quickly.
ALTER TABLE {schema}.{prefix}backlog SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_cost_delay = 0,
    autovacuum_analyze_scale_factor = 0.05);

-- Dead-lettered messages keep their bytes and the reason: nothing is reduced to a log line.
CREATE TABLE IF NOT EXISTS {schema}.{prefix}dead_letter (
    sequence          bigint      PRIMARY KEY,
    level             smallint    NOT NULL,
    received_at       timestamptz NOT NULL,
    dedup_key         text        NULL,
    envelope          bytea       NOT NULL,
    payload           bytea       NOT NULL,
    attempts          integer     NOT NULL,
    reason            text        NOT NULL,
    dead_lettered_at  timestamptz NOT NULL DEFAULT now(),
    instance          uuid        NULL
);

-- Deduplication across instances and restarts: a key is held until expires_at (the retention window).
CREATE TABLE IF NOT EXISTS {schema}.{prefix}dedup (
    key         text        PRIMARY KEY,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS {prefix}dedup_expires ON {schema}.{prefix}dedup (expires_at);

-- Per-level counters maintained in the same transactions that change the backlog, so depth and release shares
-- are read without scanning it. Each instance writes its own shard rows (no cross-instance hot row); readers sum.
-- fillfactor 50 leaves room for HOT updates: no indexed column ever changes.
CREATE TABLE IF NOT EXISTS {schema}.{prefix}level_stats (
    level     smallint NOT NULL,
    shard     smallint NOT NULL,
    ready     bigint   NOT NULL DEFAULT 0,
    held      bigint   NOT NULL DEFAULT 0,
    released  bigint   NOT NULL DEFAULT 0,
    PRIMARY KEY (level, shard)
) WITH (fillfactor = 50);
