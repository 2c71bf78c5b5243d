using System.Globalization;
using BenchmarkDotNet.Attributes;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Queueing.Internal;
using DuisPrioritiser.Release;
using DuisPrioritiser.Storage.Internal;

namespace DuisPrioritiser.Benchmarks;

/// <summary>
/// Cost per Bulk message of a fair level (round robin between devices) against the FIFO level, in one run: the queue
/// types alone (FIFO <see cref="LevelQueue{T}"/>, the fair level before its cost cut <see cref="FairLevelQueueBefore{T}"/>,
/// and <see cref="FairLevelQueue{T}"/>; enqueue + dequeue, and again with the oldest-time read the drain policy makes
/// per release), the level as the store holds it (<see cref="LocalBacklog"/> add + take) and the scheduler's intake path
/// (TryEnqueue + TryDequeue + AcknowledgeAsync, default options but for <c>Traffic:Bulk:FairQueueing</c>),
/// single-threaded, in bursts of 64, on top of a backlog of <see cref="Held"/> messages that stays held.
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
    private LevelQueue<QueuedEntry> _fifo = null!;
    private FairLevelQueueBefore<QueuedEntry> _fairBefore = null!;
    private FairLevelQueue<QueuedEntry> _fair = null!;
    private ulong[] _flows = [];
    private ResponseReleaseScheduler _scheduler = null!;
    private QueuedEntry[] _entries = [];
    private DuisMessage[] _pool = [];
    private int _next;

    [Params(0, 100_000)]
    public int Held { get; set; }

    [GlobalSetup(Targets = [nameof(Queue_Fifo), nameof(Queue_FairBefore), nameof(Queue_Fair), nameof(Oldest_Fifo), nameof(Oldest_FairBefore), nameof(Oldest_Fair)])]
    public void SetupQueues()
    {
        _pool = CreatePool(Held + ReuseDistance);
        _entries = _pool.Select((m, i) => new QueuedEntry(m, i)).ToArray();
        _flows = _pool.Select(m => BacklogFairness.DeviceFlowKey(m)).ToArray();
        _fifo = new LevelQueue<QueuedEntry>();
        _fairBefore = new FairLevelQueueBefore<QueuedEntry>(FairLevelQueue<QueuedEntry>.DefaultBucketCount, 1);
        _fair = new FairLevelQueue<QueuedEntry>(FairLevelQueue<QueuedEntry>.DefaultBucketCount, 1);
        for (int i = 0; i < Held; i++)
        {
            _fifo.Enqueue(_entries[i]);
            _fairBefore.Enqueue(_flows[i], _entries[i], i);
            _fair.Enqueue(_flows[i], _entries[i], i);
        }

        _next = Held;
    }

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
        _fifo = null!;
        _fairBefore = null!;
        _fair = null!;
        _flows = [];
        _pool = [];
        _entries = [];
        GC.Collect();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    [BenchmarkCategory("Queue")]
    public long Queue_Fifo() => RunQueue(0, oldest: false);

    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory("Queue")]
    public long Queue_FairBefore() => RunQueue(1, oldest: false);

    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory("Queue")]
    public long Queue_Fair() => RunQueue(2, oldest: false);

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    [BenchmarkCategory("QueueWithOldest")]
    public long Oldest_Fifo() => RunQueue(0, oldest: true);

    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory("QueueWithOldest")]
    public long Oldest_FairBefore() => RunQueue(1, oldest: true);

    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory("QueueWithOldest")]
    public long Oldest_Fair() => RunQueue(2, oldest: true);

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

    /// <summary>Bursts of 64 enqueues then 64 dequeues on one queue type (0 FIFO, 1 fair before, 2 fair); with <paramref name="oldest"/>, the oldest enqueue time is read after every dequeue (FIFO: a peek at its head).</summary>
    private long RunQueue(int kind, bool oldest)
    {
        var entries = _entries;
        var flows = _flows;
        int next = _next;
        long sink = 0;
        for (int i = 0; i < Batch; i += Burst)
        {
            for (int j = 0; j < Burst; j++)
            {
                var entry = entries[next];
                switch (kind)
                {
                    case 0: _fifo.Enqueue(entry); break;
                    case 1: _fairBefore.Enqueue(flows[next], entry, entry.EnqueuedTimestamp); break;
                    default: _fair.Enqueue(flows[next], entry, entry.EnqueuedTimestamp); break;
                }

                if (++next == entries.Length)
                {
                    next = 0;
                }
            }

            for (int j = 0; j < Burst; j++)
            {
                QueuedEntry entry;
                bool taken = kind switch
                {
                    0 => _fifo.TryDequeue(out entry),
                    1 => _fairBefore.TryDequeue(out entry),
                    _ => _fair.TryDequeue(out entry),
                };
                if (!taken)
                {
                    throw new InvalidOperationException("Empty take.");
                }

                sink += entry.EnqueuedTimestamp;
                if (oldest)
                {
                    long timestamp;
                    bool found = kind switch
                    {
                        0 => _fifo.TryPeek(out var head) && (timestamp = head.EnqueuedTimestamp) >= 0,
                        1 => _fairBefore.TryGetOldestTimestamp(out timestamp),
                        _ => _fair.TryGetOldestTimestamp(out timestamp),
                    };
                    if (found != (Held > 0 || j < Burst - 1))
                    {
                        throw new InvalidOperationException("The oldest time disagrees with what is held.");
                    }

                    sink += found ? 1 : 0;
                }
            }
        }

        long count = kind switch
        {
            0 => _fifo.Count,
            1 => _fairBefore.Count,
            _ => _fair.Count,
        };
        if (count != Held)
        {
            throw new InvalidOperationException($"The queue holds {count}, expected {Held}.");
        }

        _next = next;
        return sink;
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
