using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.PostgreSql;
using DuisPrioritiser.PostgreSql.Internal;
using DuisPrioritiser.Release;
using DuisPrioritiser.Storage;
using Npgsql;

namespace DuisPrioritiser.Benchmarks;

/// <summary>
/// Durable accepts and releases per second on a real PostgreSQL (DUIS_TEST_POSTGRES; start one with
/// <c>eval "$(.ci/postgres.sh start)"</c>): 10,000 messages accepted by 256 concurrent single-message callers (group
/// commit does the batching), then released by claim-and-acknowledge in batches, with 1 and 3 store instances,
/// against a raw Npgsql baseline doing the same SQL in batches of the same size from one connection. Each operation
/// is one message accepted AND released; every invocation checks the table is empty at the end.
/// </summary>
[Config(typeof(Config))]
public class PostgreSqlBenchmarks
{
    private const int Messages = 10_000;
    private const int Callers = 256;
    private static readonly byte[] s_payload = Encoding.UTF8.GetBytes(new string('x', 1_000));
    private NpgsqlDataSource _dataSource = null!;
    private PostgreSqlBacklogStore[] _stores = [];
    private string _schema = null!;

    [Params(1, 3)]
    public int Instances { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var connectionString = Environment.GetEnvironmentVariable("DUIS_TEST_POSTGRES")
            ?? throw new InvalidOperationException("Set DUIS_TEST_POSTGRES: eval \"$(.ci/postgres.sh start)\"");
        _schema = "bench_" + Guid.NewGuid().ToString("N")[..8];
        _dataSource = NpgsqlDataSource.Create(connectionString);
        _stores = new PostgreSqlBacklogStore[Instances];
        for (int i = 0; i < Instances; i++)
        {
            _stores[i] = new PostgreSqlBacklogStore(NpgsqlDataSource.Create(connectionString), true, new PostgreSqlBacklogOptions { Schema = _schema, ClaimBatchSize = 256 }, TimeSpan.FromHours(1));
            await _stores[i].OpenAsync();
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        await using (var drop = _dataSource.CreateCommand($"DROP SCHEMA IF EXISTS {_schema} CASCADE"))
        {
            await drop.ExecuteNonQueryAsync();
        }

        await _dataSource.DisposeAsync();
    }

    [Benchmark(OperationsPerInvoke = Messages, Description = "Store: accept (group commit) + claim/ack")]
    public async Task Store()
    {
        int next = -1;
        int round = _round++;
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(c => Task.Run(async () =>
        {
            var store = _stores[c % _stores.Length];
            var outcome = new AppendOutcome[1];
            int n;
            while ((n = Interlocked.Increment(ref next)) < Messages)
            {
                var message = new DuisMessage(DuisMessageKind.Response, s_payload) { ResponseId = "r" + n };
                await store.AppendAsync(new[] { new BacklogAppend(message, (PriorityLevel)(n % 5), default, $"s{round}-{n}") }, outcome);
                if (outcome[0] != AppendOutcome.Accepted)
                {
                    throw new InvalidOperationException("not accepted");
                }
            }
        })));

        int released = 0;
        await Task.WhenAll(_stores.Select(store => Task.Run(async () =>
        {
            var buffer = new StoredMessage[256];
            var acks = new BacklogAcknowledgement[256];
            for (int level = 0; level < PriorityLevels.Count;)
            {
                int count = await store.ClaimAsync((PriorityLevel)level, buffer);
                if (count == 0)
                {
                    level++;
                    continue;
                }

                for (int i = 0; i < count; i++)
                {
                    acks[i] = new BacklogAcknowledgement(buffer[i].Id, ReleaseOutcome.Handled);
                }

                await store.AcknowledgeAsync(acks.AsMemory(0, count));
                Interlocked.Add(ref released, count);
            }
        })));

        await CheckEmptyAsync(released);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages, Description = "Raw Npgsql: same SQL, batches of 1000 / 256")]
    public async Task RawNpgsql()
    {
        var table = $"{_schema}.backlog";
        await using (var connection = await _dataSource.OpenConnectionAsync())
        {
            for (int start = 0; start < Messages; start += 1_000)
            {
                int size = Math.Min(1_000, Messages - start);
                await using var insert = new NpgsqlCommand($"""
                    WITH fresh AS (INSERT INTO {_schema}.dedup (key, expires_at) SELECT k, now() + interval '1 hour' FROM unnest($1::text[]) k ON CONFLICT DO NOTHING RETURNING key)
                    INSERT INTO {table} (level, received_at, dedup_key, envelope, payload)
                    SELECT l, now(), k, $3, $4 FROM unnest($2::smallint[], $1::text[]) AS i(l, k) WHERE k IN (SELECT key FROM fresh)
                    """, connection);
                insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. Enumerable.Range(start, size).Select(n => "raw" + n + "-" + _round)] });
                insert.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = [.. Enumerable.Range(start, size).Select(n => (short)(n % 5))] });
                insert.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = new byte[40] });
                insert.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = s_payload });
                await insert.ExecuteNonQueryAsync();
            }

            int released = 0;
            for (short level = 0; level < PriorityLevels.Count;)
            {
                await using var claim = new NpgsqlCommand($"""
                    WITH head AS (SELECT sequence FROM {table} WHERE level = $1 AND lease_owner IS NULL ORDER BY sequence LIMIT 256 FOR UPDATE SKIP LOCKED)
                    UPDATE {table} b SET lease_owner = $2, lease_until = now() + interval '30 seconds' FROM head WHERE b.sequence = head.sequence
                    RETURNING b.sequence, b.envelope, b.payload
                    """, connection);
                claim.Parameters.Add(new NpgsqlParameter<short> { TypedValue = level });
                claim.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = Guid.Empty });
                var ids = new List<long>();
                await using (var reader = await claim.ExecuteReaderAsync())
                {
                    while (await reader.ReadAsync())
                    {
                        ids.Add(reader.GetInt64(0));
                        _ = reader.GetFieldValue<byte[]>(2);
                    }
                }

                if (ids.Count == 0)
                {
                    level++;
                    continue;
                }

                await using var delete = new NpgsqlCommand($"DELETE FROM {table} WHERE sequence = ANY($1) AND lease_owner = $2", connection);
                delete.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. ids] });
                delete.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = Guid.Empty });
                released += await delete.ExecuteNonQueryAsync();
            }

            _round++;
            await CheckEmptyAsync(released);
        }
    }

    private int _round;

    private async Task CheckEmptyAsync(int released)
    {
        await using var count = _dataSource.CreateCommand($"SELECT count(*) FROM {_schema}.backlog");
        long left = (long)(await count.ExecuteScalarAsync())!;
        if (released != Messages || left != 0)
        {
            throw new InvalidOperationException($"released {released} of {Messages}, {left} left in the table");
        }
    }

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            // In process: the shared, loaded machine cannot build a separate benchmark exe within BenchmarkDotNet's timeout.
            AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(5).WithInvocationCount(1).WithUnrollFactor(1).WithToolchain(InProcessEmitToolchain.Instance));
        }
    }
}
