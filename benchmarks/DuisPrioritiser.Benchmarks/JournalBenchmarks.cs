using System.Text;
using BenchmarkDotNet.Attributes;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Journal;
using DuisPrioritiser.Release;
using Microsoft.Data.Sqlite;

namespace DuisPrioritiser.Benchmarks;

/// <summary>
/// Durable intake: messages accepted per second by <c>EnqueueAsync</c> with <see cref="Producers"/> concurrent
/// producers (an HTTP intake under a flood), each awaiting its own message, against the in-memory scheduler
/// (baseline). Every figure is per message. The SQLite rows are a spike of the alternative store, measured the same
/// way (WAL, synchronous=FULL, one transaction per batch as group commit), to decide between the two.
/// </summary>
[MemoryDiagnoser]
public class JournalBenchmarks
{
    public const int Messages = 20_000;
    public const int Producers = 256;
    public const int SlowMessages = 400;
    private const int SqliteBatch = 256;

    private DuisMessage[] _messages = [];
    private string _directory = string.Empty;
    private ResponseReleaseScheduler? _scheduler;
    private SqliteConnection? _sqlite;

    [GlobalSetup]
    public void GlobalSetup()
    {
        // About the size of a DUIS response with a GBCS payload and a signature.
        var padding = new string('x', 1400);
        _messages = Enumerable.Range(0, Messages).Select(i => new DuisMessage(DuisMessageKind.Response, Encoding.UTF8.GetBytes($"<sr:Response>{i}{padding}</sr:Response>"))
        {
            ServiceReferenceVariant = ServiceReferenceVariant.Create(4, 1, 1),
            ResponseCode = DuisCode.Parse("I0"),
            ResponseId = "90-B3-D5-1F-30-01-00-00:88-73-84-57-00-2F-96-1E:" + i.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }).ToArray();
    }

    [IterationSetup(Targets = [nameof(InMemory)])]
    public void SetupInMemory() => _scheduler = Create(null);

    [IterationSetup(Targets = [nameof(GroupCommit), nameof(GroupCommitSingleProducerLatency)])]
    public void SetupGroupCommit() => _scheduler = Create(o => o.FlushPolicy = JournalFlushPolicy.GroupCommit);

    [IterationSetup(Targets = [nameof(GroupCommitDelay2ms)])]
    public void SetupGroupCommitDelay() => _scheduler = Create(o => o.MaxBatchDelay = TimeSpan.FromMilliseconds(2));

    [IterationSetup(Targets = [nameof(FlushEveryMessage)])]
    public void SetupEveryMessage() => _scheduler = Create(o => o.FlushPolicy = JournalFlushPolicy.EveryMessage);

    [IterationSetup(Targets = [nameof(SqliteGroupCommit), nameof(SqliteEveryMessage)])]
    public void SetupSqlite()
    {
        _directory = NewDirectory();
        _sqlite = new SqliteConnection($"Data Source={Path.Combine(_directory, "journal.db")};Pooling=False");
        _sqlite.Open();
        Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE journal (id INTEGER PRIMARY KEY, level INTEGER NOT NULL, kind INTEGER NOT NULL, response_id TEXT, raw BLOB NOT NULL);");
    }

    [IterationCleanup]
    public void Cleanup()
    {
        _scheduler?.Dispose();
        _scheduler = null;
        _sqlite?.Dispose();
        _sqlite = null;
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages, Description = "In memory, no journal, 256 producers")]
    public Task InMemory() => ProduceAsync(Producers, Messages);

    [Benchmark(OperationsPerInvoke = Messages, Description = "Journal, group commit, 256 producers")]
    public Task GroupCommit() => ProduceAsync(Producers, Messages);

    [Benchmark(OperationsPerInvoke = Messages, Description = "Journal, group commit + 2 ms linger, 256 producers")]
    public Task GroupCommitDelay2ms() => ProduceAsync(Producers, Messages);

    [Benchmark(OperationsPerInvoke = SlowMessages, Description = "Journal, fsync per message, 256 producers")]
    public Task FlushEveryMessage() => ProduceAsync(Producers, SlowMessages);

    [Benchmark(OperationsPerInvoke = SlowMessages, Description = "Journal, group commit, 1 producer (= latency)")]
    public Task GroupCommitSingleProducerLatency() => ProduceAsync(1, SlowMessages);

    [Benchmark(OperationsPerInvoke = Messages, Description = "SQLite spike, WAL, 1 txn per 256 msgs")]
    public void SqliteGroupCommit()
    {
        for (int start = 0; start < Messages; start += SqliteBatch)
        {
            InsertBatch(start, Math.Min(SqliteBatch, Messages - start));
        }
    }

    [Benchmark(OperationsPerInvoke = SlowMessages, Description = "SQLite spike, WAL, 1 txn per msg")]
    public void SqliteEveryMessage()
    {
        for (int i = 0; i < SlowMessages; i++)
        {
            InsertBatch(i, 1);
        }
    }

    private static string NewDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "duis-journal-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return directory;
    }

    private ResponseReleaseScheduler Create(Action<JournalOptions>? configure)
    {
        _directory = NewDirectory();
        var options = new ResponsePrioritisationOptions { Capacity = 1_000_000 };
        if (configure is not null)
        {
            options.Journal.Directory = _directory;
            configure(options.Journal);
        }

        return new ResponseReleaseScheduler(options);
    }

    private Task ProduceAsync(int producers, int count)
    {
        var scheduler = _scheduler!;
        var messages = _messages;
        int perProducer = count / producers;
        return Task.WhenAll(Enumerable.Range(0, producers).Select(p => Task.Run(async () =>
        {
            for (int i = p * perProducer, end = i + perProducer; i < end; i++)
            {
                if (!await scheduler.EnqueueAsync(messages[i]).ConfigureAwait(false))
                {
                    throw new InvalidOperationException("Not accepted.");
                }
            }
        })));
    }

    private void InsertBatch(int start, int count)
    {
        using var transaction = _sqlite!.BeginTransaction();
        using var command = _sqlite.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO journal (level, kind, response_id, raw) VALUES (2, 0, $id, $raw)";
        var id = command.Parameters.Add("$id", SqliteType.Text);
        var raw = command.Parameters.Add("$raw", SqliteType.Blob);
        for (int i = start; i < start + count; i++)
        {
            id.Value = _messages[i].ResponseId;
            raw.Value = _messages[i].RawMessage.ToArray();
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    private void Execute(string sql)
    {
        using var command = _sqlite!.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
