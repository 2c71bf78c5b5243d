#if BASELINE_READER
extern alias baseline;
#endif

using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Queueing.Internal;
using DuisPrioritiser.Release;

namespace DuisPrioritiser.Benchmarks;

/// <summary>
/// Cost per message with two producer threads and two consumer threads sharing the queue; each invocation moves
/// <see cref="Messages"/> messages (five levels interleaved) through it.
/// </summary>
/// <remarks>
/// <para>The four threads are started once, in the global setup, and wait on a barrier: an invocation only releases
/// them and waits for them, so thread start-up is not timed. Consumers count locally and publish their count to the
/// shared remaining total only when a dequeue finds nothing, so there is no shared interlocked counter per message in
/// the harness; the FIFO-keeping baselines take their arrival order from the monotonic clock for the same reason.</para>
/// <para>Every enqueue must be accepted. After each invocation the harness checks that exactly <see cref="Messages"/>
/// were consumed and that the checksum of what was consumed equals that of what was produced (nothing lost or
/// duplicated); a run that stops making progress fails after a time-out rather than hanging.</para>
/// </remarks>
[MemoryDiagnoser]
public class QueueConcurrentBenchmarks
{
    public const int Messages = 200_000;

    private Harness _harness = null!;

    [GlobalSetup(Target = nameof(ConcurrentQueue_2P2C))]
    public void SetupConcurrentQueue() => _harness = Harness.Start(new ConcurrentQueueOps(new ConcurrentQueue<Item>()));

    [GlobalSetup(Target = nameof(MultiLevelQueue_2P2C))]
    public void SetupMultiLevelQueue() => _harness = Harness.Start(new MultiLevelQueueOps(new MultiLevelQueue<Item>(PriorityLevels.Count)));

    [GlobalSetup(Target = nameof(PrioritizedChannel_2P2C))]
    public void SetupPrioritizedChannel() => _harness = Harness.Start(new PrioritizedChannelOps(PrioritizedChannelOps.Create(), new SequenceSource(concurrent: true)));

    [GlobalSetup(Target = nameof(LockedPriorityQueue_2P2C))]
    public void SetupLockedPriorityQueue() => _harness = Harness.Start(new LockedPriorityQueueOps(new LockedPriorityQueue()));

    [GlobalSetup(Target = nameof(Scheduler_2P2C))]
    public void SetupScheduler()
    {
        var scheduler = new ResponseReleaseScheduler(new ResponsePrioritisationOptions());
        _harness = Harness.Start(new SchedulerOps(scheduler), () =>
        {
            if (scheduler.Count != 0 || scheduler.DuplicatesSuppressed != 0)
            {
                Fail.Check($"The scheduler holds {scheduler.Count} (expected 0) and suppressed {scheduler.DuplicatesSuppressed} duplicates (expected 0).");
            }
        }, scheduler);
    }

    [GlobalSetup(Target = nameof(Scheduler_BulkFifo_2P2C))]
    public void SetupSchedulerBulkFifo()
    {
        var options = new ResponsePrioritisationOptions();
        options.Traffic.Bulk.FairQueueing = false;
        var scheduler = new ResponseReleaseScheduler(options);
        _harness = Harness.Start(new SchedulerOps(scheduler), () =>
        {
            if (scheduler.Count != 0 || scheduler.DuplicatesSuppressed != 0)
            {
                Fail.Check($"The scheduler holds {scheduler.Count} (expected 0) and suppressed {scheduler.DuplicatesSuppressed} duplicates (expected 0).");
            }
        }, scheduler);
    }

#if BASELINE_READER
    [GlobalSetup(Target = nameof(BaselineScheduler_2P2C))]
    public void SetupBaselineScheduler()
    {
        // The earlier library's scheduler (see QueueDepthBenchmarks.BaselineScheduler), default options, same messages.
        var scheduler = new baseline::DuisPrioritiser.Release.ResponseReleaseScheduler(new baseline::DuisPrioritiser.ResponsePrioritisationOptions());
        // The harness's own items, so that each baseline message shares its item's ResponseID (what the checksum reads).
        var pool = ItemPool.Create(2 * Messages);
        var messages = QueueDepthBenchmarks.ToBaseline(pool);
        _harness = Harness.Start(new QueueDepthBenchmarks.BaselineSchedulerOps(scheduler, messages), pool, () =>
        {
            if (scheduler.Count != 0 || scheduler.DuplicatesSuppressed != 0)
            {
                Fail.Check($"The baseline scheduler holds {scheduler.Count} (expected 0) and suppressed {scheduler.DuplicatesSuppressed} duplicates (expected 0).");
            }
        }, scheduler);
    }

    [Benchmark(OperationsPerInvoke = Messages)]
    public void BaselineScheduler_2P2C() => _harness.RunOnce();
#endif

    [GlobalCleanup]
    public void Cleanup()
    {
        _harness.Dispose();
        _harness = null!;
        GC.Collect();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    public void ConcurrentQueue_2P2C() => _harness.RunOnce();

    [Benchmark(OperationsPerInvoke = Messages)]
    public void PrioritizedChannel_2P2C() => _harness.RunOnce();

    [Benchmark(OperationsPerInvoke = Messages)]
    [BenchmarkCategory("Extra")]
    public void LockedPriorityQueue_2P2C() => _harness.RunOnce();

    [Benchmark(OperationsPerInvoke = Messages)]
    public void MultiLevelQueue_2P2C() => _harness.RunOnce();

    [Benchmark(OperationsPerInvoke = Messages)]
    public void Scheduler_2P2C() => _harness.RunOnce();

    /// <summary>The scheduler with Bulk FIFO (<c>Traffic:Bulk:FairQueueing</c> off): the path apart from fair Bulk.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public void Scheduler_BulkFifo_2P2C() => _harness.RunOnce();

    /// <summary>Four long-lived threads (two producers, two consumers) released per invocation.</summary>
    internal sealed class Harness : IDisposable
    {
        private const int Producers = 2;
        private const int Consumers = 2;
        private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

        private readonly Barrier _start = new(Producers + Consumers + 1);
        private readonly Barrier _end = new(Producers + Consumers + 1);
        private readonly Thread[] _threads = new Thread[Producers + Consumers];
        private readonly long[] _consumed = new long[Consumers * 16]; // one per cache line
        private readonly long[] _checksums = new long[Consumers * 16];
        private readonly Item[] _pool;
        private readonly long[] _expectedChecksum = new long[2];
        private readonly Action? _check;
        private readonly IDisposable? _owned;
        private PaddedCounter _remaining;
        private int _slice;
        private volatile bool _stopping;
        private volatile bool _failed;

        private Harness(Item[] pool, Action? check, IDisposable? owned)
        {
            _pool = pool;
            _check = check;
            _owned = owned;
            for (int slice = 0; slice < 2; slice++)
            {
                long sum = 0;
                for (int i = slice * Messages; i < (slice + 1) * Messages; i++)
                {
                    sum += pool[i].Check;
                }

                _expectedChecksum[slice] = sum;
            }
        }

        public static Harness Start<TOps>(TOps ops, Action? check = null, IDisposable? owned = null)
            where TOps : struct, IQueueOps
            => Start(ops, ItemPool.Create(2 * Messages), check, owned);

        public static Harness Start<TOps>(TOps ops, Item[] pool, Action? check = null, IDisposable? owned = null)
            where TOps : struct, IQueueOps
        {
            // Two slices used alternately, so a message's ResponseID comes back only after 400,000 others: beyond the
            // default duplicate window, so none is suppressed.
            var harness = new Harness(pool, check, owned);
            for (int p = 0; p < Producers; p++)
            {
                int index = p;
                harness._threads[p] = new Thread(() => harness.ProducerLoop(ops, index)) { IsBackground = true, Name = $"producer {p}" };
            }

            for (int c = 0; c < Consumers; c++)
            {
                int index = c;
                harness._threads[Producers + c] = new Thread(() => harness.ConsumerLoop(ops, index)) { IsBackground = true, Name = $"consumer {c}" };
            }

            foreach (var thread in harness._threads)
            {
                thread.Start();
            }

            return harness;
        }

        public void RunOnce()
        {
            Volatile.Write(ref _remaining.Value, Messages);
            _start.SignalAndWait();
            if (!_end.SignalAndWait(s_timeout))
            {
                _failed = true;
                _check?.Invoke(); // says what the queue still holds and whether it suppressed any as duplicates
                Fail.Check($"No progress for {s_timeout}: {Volatile.Read(ref _remaining.Value)} messages were never consumed (lost?).");
            }

            long consumed = 0;
            long checksum = 0;
            for (int c = 0; c < Consumers; c++)
            {
                consumed += _consumed[c * 16];
                checksum += _checksums[c * 16];
            }

            if (consumed != Messages || checksum != _expectedChecksum[_slice])
            {
                Fail.Check($"Consumed {consumed} of {Messages} messages, checksum {checksum} (expected {_expectedChecksum[_slice]}): lost or duplicated.");
            }

            _check?.Invoke();
            _slice ^= 1;
        }

        public void Dispose()
        {
            _stopping = true;
            if (!_failed)
            {
                _start.SignalAndWait(s_timeout);
                foreach (var thread in _threads)
                {
                    thread.Join(s_timeout);
                }
            }

            _owned?.Dispose();
            if (!_failed)
            {
                // After a failure the threads may still be inside the barriers (a hung or refused run): leave them to
                // the process (they are background threads) rather than dispose what they wait on under them.
                _start.Dispose();
                _end.Dispose();
            }
        }

        private void ProducerLoop<TOps>(TOps ops, int index)
            where TOps : struct, IQueueOps
        {
            while (true)
            {
                _start.SignalAndWait();
                if (_stopping)
                {
                    return;
                }

                var pool = _pool;
                int from = (_slice * Messages) + (index * (Messages / Producers));
                int to = from + (Messages / Producers);
                for (int i = from; i < to; i++)
                {
                    if (!ops.TryEnqueue(pool[i]))
                    {
                        _failed = true;
                        Fail.Refused(pool[i]);
                    }
                }

                _end.SignalAndWait();
            }
        }

        private void ConsumerLoop<TOps>(TOps ops, int index)
            where TOps : struct, IQueueOps
        {
            while (true)
            {
                _start.SignalAndWait();
                if (_stopping)
                {
                    return;
                }

                long consumed = 0;
                long unpublished = 0;
                long checksum = 0;
                var spinner = default(SpinWait);
                while (!_failed)
                {
                    if (ops.TryDequeue(out long check))
                    {
                        consumed++;
                        unpublished++;
                        checksum += check;
                        spinner = default;
                        continue;
                    }

                    // Nothing right now: publish what this consumer took, then stop if everything has been consumed.
                    long remaining = unpublished != 0
                        ? Interlocked.Add(ref _remaining.Value, -unpublished)
                        : Volatile.Read(ref _remaining.Value);
                    unpublished = 0;
                    if (remaining <= 0)
                    {
                        break;
                    }

                    spinner.SpinOnce(sleep1Threshold: -1);
                }

                _consumed[index * 16] = consumed;
                _checksums[index * 16] = checksum;
                _end.SignalAndWait();
            }
        }
    }
}
