using System.Globalization;
using BenchmarkDotNet.Attributes;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;
using DuisPrioritiser.Storage.Internal;

namespace DuisPrioritiser.Benchmarks;

/// <summary>
/// Cost per Bulk message of a fair level (round robin between devices) against today's FIFO level, in one run:
/// the level alone (<see cref="LocalBacklog"/> add + take) and the scheduler's intake path (TryEnqueue + TryDequeue +
/// AcknowledgeAsync, default options but for <c>Traffic:Bulk:FairQueueing</c>), single-threaded, in bursts of 64, on
/// top of a backlog of <see cref="Held"/> messages that stays held.
/// </summary>
/// <remarks>
/// Devices: 10,000, of which 1% send half of the messages (the noisy-devices scenario). Every add must be accepted and
/// every take must return a message, or the run fails; the scheduler must still hold <see cref="Held"/> afterwards
/// and have suppressed nothing. The message pool is built once and reused, so each message's
/// <see cref="DuisMessage.Device"/> has been read before it is measured: the rows compare the queueing, not the one
/// header read per message that a fair level adds (the reader's cost is in <c>ReaderBenchmarks</c>).
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkDotNet.Configs.BenchmarkLogicalGroupRule.ByCategory, BenchmarkDotNet.Configs.BenchmarkLogicalGroupRule.ByParams)]
public class FairLevelBenchmarks
{
    private const int Batch = 4096;
    private const int Burst = 64;
    private const int Devices = 10_000;

    /// <summary>Beyond the default duplicate window (100,000), so no message is suppressed as a duplicate.</summary>
    private const int ReuseDistance = 400_000;

    private LocalBacklog _backlog = null!;
    private ResponseReleaseScheduler _scheduler = null!;
    private QueuedEntry[] _entries = [];
    private DuisMessage[] _pool = [];
    private int _next;

    [Params(0, 100_000)]
    public int Held { get; set; }

    [GlobalSetup(Target = nameof(Level_Fifo))]
    public void SetupLevelFifo() => SetupLevel(fair: false);

    [GlobalSetup(Target = nameof(Level_Fair))]
    public void SetupLevelFair() => SetupLevel(fair: true);

    [GlobalSetup(Target = nameof(Scheduler_Fifo))]
    public void SetupSchedulerFifo() => SetupScheduler(fair: false);

    [GlobalSetup(Target = nameof(Scheduler_Fair))]
    public void SetupSchedulerFair() => SetupScheduler(fair: true);

    private void SetupLevel(bool fair)
    {
        _backlog = new LocalBacklog(fair ? BacklogFairness.From(new Draining.TrafficOptions()) : null);
        _pool = CreatePool(Held + ReuseDistance);
        _entries = _pool.Select((m, i) => new QueuedEntry(m, i)).ToArray();
        for (int i = 0; i < Held; i++)
        {
            _backlog.Add((int)PriorityLevel.Bulk, _entries[i]);
        }

        _next = Held;
    }

    private void SetupScheduler(bool fair)
    {
        var options = new ResponsePrioritisationOptions();
        options.Capacity = Math.Max(options.Capacity, Held + (2 * Batch));
        options.Traffic.Bulk.FairQueueing = fair;
        _scheduler = new ResponseReleaseScheduler(options);
        _pool = CreatePool(Held + ReuseDistance);
        for (int i = 0; i < Held; i++)
        {
            if (!_scheduler.TryEnqueue(_pool[i], PriorityLevel.Bulk))
            {
                throw new InvalidOperationException("Refused while filling.");
            }
        }

        _next = Held;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _scheduler?.Dispose();
        _scheduler = null!;
        _backlog = null!;
        _pool = [];
        _entries = [];
        GC.Collect();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    [BenchmarkCategory("Level")]
    public long Level_Fifo() => RunLevel();

    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory("Level")]
    public long Level_Fair() => RunLevel();

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    [BenchmarkCategory("Scheduler")]
    public long Scheduler_Fifo() => RunScheduler();

    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory("Scheduler")]
    public long Scheduler_Fair() => RunScheduler();

    private static DuisMessage[] CreatePool(int count)
    {
        var rng = new Random(13);
        var pool = new DuisMessage[count];
        for (int i = 0; i < count; i++)
        {
            int device = rng.Next(2) == 0 ? rng.Next(Devices / 100) : rng.Next(Devices / 100, Devices);
            pool[i] = new DuisMessage(DuisMessageKind.DeviceAlert)
            {
                AlertCode = DuisCode.Parse("8FFE"),
                ResponseCode = DuisCode.Parse("I0"),
                ResponseId = string.Create(CultureInfo.InvariantCulture, $"{new DeviceId(0x0012_3456_0000_0000UL + (ulong)device)}:90-B3-D5-1F-30-01-00-00:{i}"),
            };
            _ = pool[i].Device; // read once here, as the intake path reads it once per message
        }

        return pool;
    }

    private long RunLevel()
    {
        var backlog = _backlog;
        var entries = _entries;
        int next = _next;
        long sink = 0;
        for (int i = 0; i < Batch; i += Burst)
        {
            for (int j = 0; j < Burst; j++)
            {
                backlog.Add((int)PriorityLevel.Bulk, entries[next]);
                if (++next == entries.Length)
                {
                    next = 0;
                }
            }

            for (int j = 0; j < Burst; j++)
            {
                if (!backlog.TryTake((int)PriorityLevel.Bulk, out var entry))
                {
                    throw new InvalidOperationException("Empty take.");
                }

                sink += entry.EnqueuedTimestamp;
            }
        }

        if (backlog.GetCount((int)PriorityLevel.Bulk) != Held)
        {
            throw new InvalidOperationException($"The level holds {backlog.GetCount((int)PriorityLevel.Bulk)}, expected {Held}.");
        }

        _next = next;
        return sink;
    }

    private long RunScheduler()
    {
        var scheduler = _scheduler;
        var pool = _pool;
        int next = _next;
        long sink = 0;
        for (int i = 0; i < Batch; i += Burst)
        {
            for (int j = 0; j < Burst; j++)
            {
                if (!scheduler.TryEnqueue(pool[next], PriorityLevel.Bulk))
                {
                    throw new InvalidOperationException("Refused.");
                }

                if (++next == pool.Length)
                {
                    next = 0;
                }
            }

            for (int j = 0; j < Burst; j++)
            {
                if (!scheduler.TryDequeue(out var released))
                {
                    throw new InvalidOperationException("Empty dequeue.");
                }

                sink += released.Message.RawMessage.Length + 1;
                var ack = scheduler.AcknowledgeAsync(released);
                if (!ack.IsCompletedSuccessfully)
                {
                    ack.AsTask().GetAwaiter().GetResult();
                }
            }
        }

        if (scheduler.Count != Held || scheduler.DuplicatesSuppressed != 0)
        {
            throw new InvalidOperationException($"The scheduler holds {scheduler.Count} (expected {Held}) and suppressed {scheduler.DuplicatesSuppressed}.");
        }

        _next = next;
        return sink;
    }
}
