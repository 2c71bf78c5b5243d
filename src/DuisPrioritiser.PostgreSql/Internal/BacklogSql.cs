namespace DuisPrioritiser.PostgreSql.Internal;

/// <summary>The statements of the store, with the schema and prefix filled in once.</summary>
/// <remarks>
/// Every statement that changes the backlog also changes <c>level_stats</c> in the same statement (a data-modifying
/// CTE), so the per-level counters are exact without scans. Rows are always locked in the order backlog rows, then
/// stats rows by ascending level, so concurrent statements cannot deadlock.
/// </remarks>
internal sealed class BacklogSql
{
    public BacklogSql(string schema, string prefix)
    {
        string backlog = $"{schema}.{prefix}backlog";
        string stats = $"{schema}.{prefix}level_stats";
        string dedup = $"{schema}.{prefix}dedup";
        string deadLetter = $"{schema}.{prefix}dead_letter";
        Channel = $"{schema}_{prefix}backlog";

        // $1 level[] $2 received_at[] $3 dedup_key[] $4 envelope[] $5 payload[] $6 ord[] $7 retention $8 shard.
        // Keys are deduplicated within the batch by the caller; ON CONFLICT resolves them against other instances
        // (a concurrent insert of the same key waits for the other commit, then counts as a duplicate). An expired key
        // is taken over. Returns the keys that were fresh; items without a key are always accepted.
        Append = $"""
            WITH input AS (
                SELECT * FROM unnest($1::smallint[], $2::timestamptz[], $3::text[], $4::bytea[], $5::bytea[], $6::integer[])
                    AS i(level, received_at, dedup_key, envelope, payload, ord)
            ), fresh AS (
                INSERT INTO {dedup} AS d (key, expires_at)
                SELECT dedup_key, now() + $7 FROM input WHERE dedup_key IS NOT NULL ORDER BY dedup_key
                ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE d.expires_at < now()
                RETURNING d.key
            ), inserted AS (
                INSERT INTO {backlog} (level, received_at, dedup_key, envelope, payload)
                SELECT level, received_at, dedup_key, envelope, payload FROM input
                WHERE dedup_key IS NULL OR dedup_key IN (SELECT key FROM fresh)
                ORDER BY ord
                RETURNING level
            ), counted AS (
                INSERT INTO {stats} AS s (level, shard, ready, held)
                SELECT level, $8, count(*), count(*) FROM inserted GROUP BY level ORDER BY level
                ON CONFLICT (level, shard) DO UPDATE SET ready = s.ready + EXCLUDED.ready, held = s.held + EXCLUDED.held
            )
            SELECT key FROM fresh
            """;

        Notify = "SELECT pg_notify($1, $2)";

        // $1 level $2 limit $3 owner $4 lease $5 shard. The head of one level through the ready index; rows another
        // claimer has locked are skipped, so instances never wait for each other.
        Claim = $"""
            WITH head AS (
                SELECT sequence FROM {backlog}
                WHERE level = $1 AND lease_owner IS NULL
                ORDER BY sequence LIMIT $2
                FOR UPDATE SKIP LOCKED
            ), claimed AS (
                UPDATE {backlog} b SET lease_owner = $3, lease_until = now() + $4
                FROM head WHERE b.sequence = head.sequence
                RETURNING b.sequence, b.received_at, b.envelope, b.payload, b.attempts
            ), counted AS (
                INSERT INTO {stats} AS s (level, shard, ready, released)
                SELECT $1, $5, -count(*), count(*) FROM claimed HAVING count(*) > 0
                ON CONFLICT (level, shard) DO UPDATE SET ready = s.ready + EXCLUDED.ready, released = s.released + EXCLUDED.released
            )
            SELECT sequence, received_at, envelope, payload, attempts FROM claimed ORDER BY sequence
            """;

        // $1 sequence[] $2 owner $3 shard. Only rows this instance still leases: an id whose lease expired (and was
        // perhaps claimed elsewhere) is left alone.
        Handle = $"""
            WITH gone AS (
                DELETE FROM {backlog} WHERE sequence = ANY($1) AND lease_owner = $2 RETURNING level
            ), counted AS (
                INSERT INTO {stats} AS s (level, shard, held)
                SELECT level, $3, -count(*) FROM gone GROUP BY level ORDER BY level
                ON CONFLICT (level, shard) DO UPDATE SET held = s.held + EXCLUDED.held
            )
            SELECT count(*)::integer FROM gone
            """;

        // $1 sequence[] $2 reason[] $3 owner $4 shard. Moves rows to the dead-letter table with their bytes and reason.
        DeadLetter = $"""
            WITH input AS (
                SELECT * FROM unnest($1::bigint[], $2::text[]) AS i(sequence, reason)
            ), gone AS (
                DELETE FROM {backlog} b USING input
                WHERE b.sequence = input.sequence AND b.lease_owner = $3
                RETURNING b.sequence, b.level, b.received_at, b.dedup_key, b.envelope, b.payload, b.attempts, input.reason
            ), kept AS (
                INSERT INTO {deadLetter} (sequence, level, received_at, dedup_key, envelope, payload, attempts, reason, instance)
                SELECT sequence, level, received_at, dedup_key, envelope, payload, attempts + 1, reason, $3 FROM gone
                ON CONFLICT (sequence) DO NOTHING
            ), counted AS (
                INSERT INTO {stats} AS s (level, shard, held)
                SELECT level, $4, -count(*) FROM gone GROUP BY level ORDER BY level
                ON CONFLICT (level, shard) DO UPDATE SET held = s.held + EXCLUDED.held
            )
            SELECT count(*)::integer FROM gone
            """;

        // $1 sequence[] $2 owner $3 shard. Back to the front of its level (its sequence is unchanged), one attempt more.
        Return = $"""
            WITH back AS (
                UPDATE {backlog} SET lease_owner = NULL, lease_until = NULL, attempts = attempts + 1
                WHERE sequence = ANY($1) AND lease_owner = $2
                RETURNING level
            ), counted AS (
                INSERT INTO {stats} AS s (level, shard, ready)
                SELECT level, $3, count(*) FROM back GROUP BY level ORDER BY level
                ON CONFLICT (level, shard) DO UPDATE SET ready = s.ready + EXCLUDED.ready
            )
            SELECT count(*)::integer FROM back
            """;

        // $1 sequence[] $2 owner $3 lease.
        Renew = $"""
            WITH renewed AS (
                UPDATE {backlog} SET lease_until = now() + $3 WHERE sequence = ANY($1) AND lease_owner = $2 RETURNING 1
            )
            SELECT count(*)::integer FROM renewed
            """;

        // $1 limit $2 shard. Expired leases (their owner died or was cut off) become ready again, in place.
        Reap = $"""
            WITH expired AS (
                SELECT sequence FROM {backlog}
                WHERE lease_owner IS NOT NULL AND lease_until < now()
                ORDER BY lease_until LIMIT $1
                FOR UPDATE SKIP LOCKED
            ), back AS (
                UPDATE {backlog} b SET lease_owner = NULL, lease_until = NULL
                FROM expired WHERE b.sequence = expired.sequence
                RETURNING b.level
            ), counted AS (
                INSERT INTO {stats} AS s (level, shard, ready)
                SELECT level, $2, count(*) FROM back GROUP BY level ORDER BY level
                ON CONFLICT (level, shard) DO UPDATE SET ready = s.ready + EXCLUDED.ready
            )
            SELECT count(*)::integer FROM back
            """;

        // $1 limit.
        PurgeDedup = $"""
            DELETE FROM {dedup} WHERE key IN (SELECT key FROM {dedup} WHERE expires_at < now() ORDER BY expires_at LIMIT $1)
            """;

        // $1 level count. Counters summed over the shards, and each level's oldest ready message through the ready index.
        State = $"""
            SELECT l.level,
                   coalesce((SELECT sum(ready) FROM {stats} s WHERE s.level = l.level), 0)::bigint,
                   coalesce((SELECT sum(held) FROM {stats} s WHERE s.level = l.level), 0)::bigint,
                   coalesce((SELECT sum(released) FROM {stats} s WHERE s.level = l.level), 0)::bigint,
                   (SELECT received_at FROM {backlog} b WHERE b.level = l.level AND b.lease_owner IS NULL ORDER BY b.sequence LIMIT 1)
            FROM generate_series(0, $1 - 1) AS l(level)
            ORDER BY l.level
            """;
    }

    public string Channel { get; }

    public string Append { get; }

    public string Notify { get; }

    public string Claim { get; }

    public string Handle { get; }

    public string DeadLetter { get; }

    public string Return { get; }

    public string Renew { get; }

    public string Reap { get; }

    public string PurgeDedup { get; }

    public string State { get; }
}
