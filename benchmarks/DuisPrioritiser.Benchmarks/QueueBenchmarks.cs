#if BASELINE_READER
extern alias baseline;
#endif

using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Deduplication;
using DuisPrioritiser.Deduplication.Internal;
using DuisPrioritiser.Queueing.Internal;
using DuisPrioritiser.Release;

namespace DuisPrioritiser.Benchmarks;

/// <summary>
/// Cost per message (one enqueue plus one dequeue, and for the scheduler one acknowledgement), single-threaded, in
/// bursts of 64 with the five levels interleaved, on top of a backlog of <see cref="Held"/> messages that stays held
/// throughout (0: a shallow queue; 100,000 and 1,000,000: deep backlogs, where heap-based baselines pay log n).
/// </summary>
/// <remarks>
/// <para>Every enqueue must be accepted and every dequeue must return a message, or the run fails: a refusal or an
/// empty dequeue is never measured as a fast operation. The scheduler is also checked after each invocation: still
/// holding <see cref="Held"/> and no message suppressed as a duplicate (each message has its own ResponseID and the
/// pool is larger than the duplicate window).</para>
/// <para>The prioritized channel and the locked <see cref="PriorityQueue{TElement, TPriority}"/> order by
/// (level, arrival), so they keep FIFO within a level like our queue does: the same work.</para>
/// <para><c>Scheduler</c> rows are the public <see cref="ResponseReleaseScheduler"/> with default options (capacity
/// raised only where the backlog needs it): TryEnqueue (classification, duplicate suppression, capacity, timestamps,
/// metrics) + TryDequeue (the default drain policy) + AcknowledgeAsync. <c>MultiLevelQueue</c> is the internal queue
/// alone, which no user calls. <c>RequiredWork</c> is the floor under the public path: the internal queue plus only the
/// work the default options cannot skip (two clock reads and the duplicate window; see <see cref="RequiredWorkOps"/>).</para>
/// </remarks>
[MemoryDiagnoser]
public class QueueDepthBenchmarks
{
    public const int Batch = 4096;
    private const int Burst = 64;

    /// <summary>Keys are reused only after this many other keys, well beyond the default duplicate window (100,000).</summary>
    private const int ReuseDistance = 400_000;

    private ConcurrentQueue<Item> _concurrentQueue = null!;
    private MultiLevelQueue<Item> _multiLevel = null!;
    private DuplicateWindow _window = null!;
    private System.Threading.Channels.Channel<Sequenced> _channel = null!;
    private SequenceSource _sequence = null!;
    private LockedPriorityQueue _locked = null!;
    private ResponseReleaseScheduler _scheduler = null!;
    private Item[] _pool = [];
    private int _next;
    private long _sink;

    [Params(0, 100_000, 1_000_000)]
    public int Held { get; set; }

    /// <summary>Gets or sets a value indicating whether the schedulers keep Bulk FIFO (fair queueing off), to see the rest of the path apart from fair Bulk. The queue baselines ignore it (their rows repeat).</summary>
    [Params(false, true)]
    public bool BulkFifo { get; set; }

    /// <summary>Gets or sets a value indicating whether duplicate suppression is off (for a profiler's comparison only; not a benchmark parameter).</summary>
    public bool WithoutDeduplication { get; set; }

    [GlobalSetup(Target = nameof(ConcurrentQueue))]
    public void SetupConcurrentQueue()
    {
        _concurrentQueue = new ConcurrentQueue<Item>();
        Fill(new ConcurrentQueueOps(_concurrentQueue));
    }

    [GlobalSetup(Target = nameof(MultiLevelQueue))]
    public void SetupMultiLevelQueue()
    {
        _multiLevel = new MultiLevelQueue<Item>(PriorityLevels.Count);
        Fill(new MultiLevelQueueOps(_multiLevel));
    }

    [GlobalSetup(Target = nameof(RequiredWork))]
    public void SetupRequiredWork()
    {
        _multiLevel = new MultiLevelQueue<Item>(PriorityLevels.Count);
        _window = new DuplicateWindow(new DeduplicationOptions(), TimeProvider.System);
        Fill(new RequiredWorkOps(_multiLevel, _window));
    }

    [GlobalSetup(Target = nameof(PrioritizedChannel))]
    public void SetupPrioritizedChannel()
    {
        _channel = PrioritizedChannelOps.Create();
        _sequence = new SequenceSource(concurrent: false);
        Fill(new PrioritizedChannelOps(_channel, _sequence));
    }

    [GlobalSetup(Target = nameof(LockedPriorityQueue))]
    public void SetupLockedPriorityQueue()
    {
        _locked = new LockedPriorityQueue();
        Fill(new LockedPriorityQueueOps(_locked));
    }

    [GlobalSetup(Targets = [nameof(Scheduler), nameof(Scheduler_EnqueueAsync)])]
    public void SetupScheduler()
    {
        var options = new ResponsePrioritisationOptions();
        options.Capacity = Math.Max(options.Capacity, Held + (2 * Batch));
        if (BulkFifo)
        {
            options.Traffic.Bulk.FairQueueing = false;
        }

        options.Deduplication.Enabled = !WithoutDeduplication;

        _scheduler = new ResponseReleaseScheduler(options);
        Fill(new SchedulerOps(_scheduler));
    }

#if BASELINE_READER
    private baseline::DuisPrioritiser.Release.ResponseReleaseScheduler _baselineScheduler = null!;
    private baseline::DuisPrioritiser.Duis.DuisMessage[] _baselinePool = [];

    /// <summary>
    /// The public scheduler of the library built from an earlier commit (<c>-p:BaselineReader=path/DuisPrioritiser.Baseline.dll</c>,
    /// built with <c>-p:AssemblyName=DuisPrioritiser.Baseline</c>), with the same options, messages and loop: the same-run
    /// "before" row.
    /// </summary>
    [GlobalSetup(Target = nameof(BaselineScheduler))]
    public void SetupBaselineScheduler()
    {
        var options = new baseline::DuisPrioritiser.ResponsePrioritisationOptions();
        options.Capacity = Math.Max(options.Capacity, Held + (2 * Batch));
        if (BulkFifo)
        {
            options.Traffic.Bulk.FairQueueing = false;
        }

        _baselineScheduler = new baseline::DuisPrioritiser.Release.ResponseReleaseScheduler(options);
        _pool = ItemPool.Create(Held + ReuseDistance);
        _baselinePool = ToBaseline(_pool);
        var ops = new BaselineSchedulerOps(_baselineScheduler, _baselinePool);
        for (int i = 0; i < Held; i++)
        {
            if (!ops.TryEnqueue(_pool[i]))
            {
                Fail.Refused(_pool[i]);
            }
        }

        _next = Held;
    }

    /// <summary>The same messages as <paramref name="pool"/>, as the baseline library's type (index for index).</summary>
    internal static baseline::DuisPrioritiser.Duis.DuisMessage[] ToBaseline(Item[] pool)
    {
        var messages = new baseline::DuisPrioritiser.Duis.DuisMessage[pool.Length];
        for (int i = 0; i < pool.Length; i++)
        {
            var m = pool[i].Message;
            messages[i] = new baseline::DuisPrioritiser.Duis.DuisMessage((baseline::DuisPrioritiser.Duis.DuisMessageKind)(int)m.Kind)
            {
                ServiceReferenceVariant = m.ServiceReferenceVariant.IsNone ? default : baseline::DuisPrioritiser.Duis.ServiceReferenceVariant.Parse(m.ServiceReferenceVariant.ToString()),
                ResponseCode = m.ResponseCode.IsNone ? default : baseline::DuisPrioritiser.Duis.DuisCode.Parse(m.ResponseCode.ToString()),
                AlertCode = m.AlertCode.IsNone ? default : baseline::DuisPrioritiser.Duis.DuisCode.Parse(m.AlertCode.ToString()),
                ResponseId = m.ResponseId,
                IsDccScheduled = m.IsDccScheduled,
            };
        }

        return messages;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public long BaselineScheduler()
    {
        long sink = Run(new BaselineSchedulerOps(_baselineScheduler, _baselinePool));
        if (_baselineScheduler.Count != Held || _baselineScheduler.DuplicatesSuppressed != 0)
        {
            Fail.Check($"The baseline scheduler holds {_baselineScheduler.Count} (expected {Held}) and suppressed {_baselineScheduler.DuplicatesSuppressed} duplicates (expected 0).");
        }

        return sink;
    }

    internal readonly struct BaselineSchedulerOps(baseline::DuisPrioritiser.Release.ResponseReleaseScheduler scheduler, baseline::DuisPrioritiser.Duis.DuisMessage[] pool) : IQueueOps
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public bool TryEnqueue(Item item) => scheduler.TryEnqueue(pool[item.Id]);

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public bool TryDequeue(out long check)
        {
            if (!scheduler.TryDequeue(out var released))
            {
                check = 0;
                return false;
            }

            var acknowledged = scheduler.AcknowledgeAsync(released);
            if (!acknowledged.IsCompletedSuccessfully)
            {
                acknowledged.AsTask().GetAwaiter().GetResult();
            }

            check = System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(released.Message.ResponseId);
            return true;
        }
    }
#endif

    [GlobalCleanup]
    public void Cleanup()
    {
#if BASELINE_READER
        _baselineScheduler?.Dispose();
        _baselineScheduler = null!;
        _baselinePool = [];
#endif
        // Release everything: an in-process run keeps this instance until the next benchmark.
        _scheduler?.Dispose();
        _scheduler = null!;
        _concurrentQueue = null!;
        _multiLevel = null!;
        _window = null!;
        _channel = null!;
        _locked = null!;
        _pool = [];
        GC.Collect();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public long ConcurrentQueue() => Run(new ConcurrentQueueOps(_concurrentQueue));

    [Benchmark(OperationsPerInvoke = Batch)]
    public long PrioritizedChannel() => Run(new PrioritizedChannelOps(_channel, _sequence));

    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory("Extra")]
    public long LockedPriorityQueue() => Run(new LockedPriorityQueueOps(_locked));

    [Benchmark(OperationsPerInvoke = Batch)]
    public long MultiLevelQueue() => Run(new MultiLevelQueueOps(_multiLevel));

    /// <summary>The floor under the public path (see <see cref="RequiredWorkOps"/>): the queue, two clock reads and the duplicate window, nothing else.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public long RequiredWork()
    {
        long sink = Run(new RequiredWorkOps(_multiLevel, _window));
        if (_window.SuppressedCount != 0)
        {
            Fail.Check($"The duplicate window suppressed {_window.SuppressedCount} keys (expected 0).");
        }

        return sink;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public long Scheduler()
    {
        long sink = Run(new SchedulerOps(_scheduler));
        CheckScheduler();
        return sink;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory("Extra")]
    public long Scheduler_EnqueueAsync()
    {
        long sink = Run(new SchedulerAsyncOps(_scheduler));
        CheckScheduler();
        return sink;
    }

    private void Fill<TOps>(TOps ops)
        where TOps : struct, IQueueOps
    {
        _pool = ItemPool.Create(Held + ReuseDistance);
        for (int i = 0; i < Held; i++)
        {
            if (!ops.TryEnqueue(_pool[i]))
            {
                Fail.Refused(_pool[i]);
            }
        }

        _next = Held;
    }

    private long Run<TOps>(TOps ops)
        where TOps : struct, IQueueOps
    {
        var pool = _pool;
        int next = _next;
        long sink = 0;
        for (int i = 0; i < Batch; i += Burst)
        {
            for (int j = 0; j < Burst; j++)
            {
                var item = pool[next];
                if (++next == pool.Length)
                {
                    next = 0;
                }

                if (!ops.TryEnqueue(item))
                {
                    Fail.Refused(item);
                }
            }

            for (int j = 0; j < Burst; j++)
            {
                if (!ops.TryDequeue(out long check))
                {
                    Fail.Empty(Held + Burst - j);
                }

                sink += check;
            }
        }

        _next = next;
        _sink = sink;
        return sink;
    }

    private void CheckScheduler()
    {
        if (_scheduler.Count != Held || _scheduler.DuplicatesSuppressed != 0)
        {
            Fail.Check($"The scheduler holds {_scheduler.Count} (expected {Held}) and suppressed {_scheduler.DuplicatesSuppressed} duplicates (expected 0).");
        }
    }
}
