using DuisPrioritiser.Classification;
using DuisPrioritiser.Queueing.Internal;
using DuisPrioritiser.Release;

namespace DuisPrioritiser.Tests.Queueing;

/// <summary>
/// The contract every multi-level queue in the library meets, run against each implementation the way the
/// runtime runs one suite against every channel kind: FIFO within a level, strict order across levels when
/// drained by strict priority, exact counts, nothing lost or duplicated.
/// </summary>
public abstract class PriorityQueueContractTests
{
    protected abstract IQueueUnderTest Create();

    [Test]
    public void Empty_TryDequeue_ReturnsFalse()
    {
        var queue = Create();
        Assert.That(queue.TryDequeue(out _, out _), Is.False);
        Assert.That(queue.Count(PriorityLevel.Critical), Is.Zero);
    }

    [Test]
    public void SingleLevel_IsFifo()
    {
        var queue = Create();
        for (long i = 0; i < 1000; i++)
        {
            queue.Enqueue(PriorityLevel.Normal, i);
        }

        for (long i = 0; i < 1000; i++)
        {
            Assert.That(queue.TryDequeue(out var item, out var level), Is.True);
            Assert.That(item, Is.EqualTo(i));
            Assert.That(level, Is.EqualTo(PriorityLevel.Normal));
        }

        Assert.That(queue.TryDequeue(out _, out _), Is.False);
    }

    [Test]
    public void MixedLevels_DrainHighestFirstThenFifo()
    {
        var queue = Create();
        var rng = new Random(7);
        var expected = new List<(PriorityLevel Level, long Item)>();
        for (long i = 0; i < 5000; i++)
        {
            var level = (PriorityLevel)rng.Next(PriorityLevels.Count);
            queue.Enqueue(level, i);
            expected.Add((level, i));
        }

        var ordered = expected.OrderBy(e => e.Level).ThenBy(e => e.Item).ToList();
        foreach (var (level, item) in ordered)
        {
            Assert.That(queue.TryDequeue(out var gotItem, out var gotLevel), Is.True);
            Assert.That((gotLevel, gotItem), Is.EqualTo((level, item)));
        }
    }

    [Test]
    public void Counts_AreExactPerLevel()
    {
        var queue = Create();
        for (int i = 0; i < 300; i++)
        {
            queue.Enqueue(PriorityLevel.Bulk, i);
        }

        for (int i = 0; i < 7; i++)
        {
            queue.Enqueue(PriorityLevel.High, i);
        }

        Assert.That(queue.Count(PriorityLevel.Bulk), Is.EqualTo(300));
        Assert.That(queue.Count(PriorityLevel.High), Is.EqualTo(7));
        for (int i = 0; i < 10; i++)
        {
            Assert.That(queue.TryDequeue(out _, out _), Is.True);
        }

        Assert.That(queue.Count(PriorityLevel.High), Is.Zero);
        Assert.That(queue.Count(PriorityLevel.Bulk), Is.EqualTo(297));
    }

    [Test]
    public void InterleavedWrapAround_NeverLosesOrReorders()
    {
        // Keeps the depth around one segment so the ring wraps many times, then grows and shrinks.
        var queue = Create();
        long next = 0;
        long expected = 0;
        var rng = new Random(11);
        for (int round = 0; round < 20_000; round++)
        {
            int burst = rng.Next(0, round % 1000 < 500 ? 40 : 5);
            for (int i = 0; i < burst; i++)
            {
                queue.Enqueue(PriorityLevel.Low, next++);
            }

            int take = rng.Next(0, 20);
            for (int i = 0; i < take && queue.TryDequeue(out var item, out _); i++)
            {
                Assert.That(item, Is.EqualTo(expected++));
            }
        }

        while (queue.TryDequeue(out var item, out _))
        {
            Assert.That(item, Is.EqualTo(expected++));
        }

        Assert.That(expected, Is.EqualTo(next));
    }

    [Test]
    [Category("Stress")]
    public void Concurrent_FourProducersFourConsumers_NoneLostNoneDuplicatedFifoPerProducer()
    {
        const int Producers = 4;
        const int Consumers = 4;
        const int PerProducer = 250_000; // 1,000,000 messages in all
        var queue = Create();
        var seen = new int[Producers * PerProducer];
        long consumed = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(() =>
        {
            var rng = new Random(p);
            for (int i = 0; i < PerProducer; i++)
            {
                // item = producer * PerProducer + sequence; level random per item.
                queue.Enqueue((PriorityLevel)rng.Next(PriorityLevels.Count), ((long)p * PerProducer) + i);
            }
        })).ToArray();

        var consumers = Enumerable.Range(0, Consumers).Select(_ => Task.Run(() =>
        {
            // Within one consumer, items of one producer at one level must arrive in increasing order.
            var last = new long[Producers, PriorityLevels.Count];
            for (int p = 0; p < Producers; p++)
            {
                for (int l = 0; l < PriorityLevels.Count; l++)
                {
                    last[p, l] = -1;
                }
            }

            while (Interlocked.Read(ref consumed) < (long)Producers * PerProducer && !deadline.IsCancellationRequested)
            {
                if (!queue.TryDequeue(out var item, out var level))
                {
                    Thread.Yield();
                    continue;
                }

                Interlocked.Increment(ref consumed);
                int producer = (int)(item / PerProducer);
                if (Interlocked.Increment(ref seen[item]) != 1)
                {
                    failures.Enqueue($"duplicate {item}");
                }

                if (item <= last[producer, (int)level])
                {
                    failures.Enqueue($"FIFO broken for producer {producer} level {level}: {item} after {last[producer, (int)level]}");
                }

                last[producer, (int)level] = item;
            }
        })).ToArray();

        Assert.That(Task.WaitAll([.. producers, .. consumers], TimeSpan.FromSeconds(90)), Is.True, "stress test timed out");
        Assert.That(failures.Take(5), Is.Empty);
        Assert.That(seen.Count(s => s != 1), Is.Zero, "every message released exactly once");
        Assert.That(queue.TryDequeue(out _, out _), Is.False);
    }

    /// <summary>The operations the contract needs, adapted per implementation.</summary>
    public interface IQueueUnderTest
    {
        void Enqueue(PriorityLevel level, long item);

        bool TryDequeue(out long item, out PriorityLevel level);

        long Count(PriorityLevel level);
    }
}

[TestFixture]
public sealed class MultiLevelQueueContractTests : PriorityQueueContractTests
{
    protected override IQueueUnderTest Create() => new Adapter();

    private sealed class Adapter : IQueueUnderTest
    {
        private readonly MultiLevelQueue<long> _queue = new(PriorityLevels.Count);

        public void Enqueue(PriorityLevel level, long item) => _queue.Enqueue((int)level, item);

        public bool TryDequeue(out long item, out PriorityLevel level)
        {
            bool ok = _queue.TryDequeueHighest(out item, out int l);
            level = (PriorityLevel)l;
            return ok;
        }

        public long Count(PriorityLevel level) => _queue.GetCount((int)level);
    }
}

[TestFixture]
public sealed class StrictSchedulerContractTests : PriorityQueueContractTests
{
    protected override IQueueUnderTest Create() => new Adapter();

    private sealed class Adapter : IQueueUnderTest
    {
        // The contract re-uses item numbers (request ids) across levels: turn duplicate suppression off here.
        private readonly ResponseReleaseScheduler _scheduler = new(
            new ResponsePrioritisationOptions { Capacity = int.MaxValue, Deduplication = { Enabled = false } },
            drainPolicy: DuisPrioritiser.Draining.DrainPolicies.StrictPriority());

        public void Enqueue(PriorityLevel level, long item)
        {
            if (!_scheduler.TryEnqueue(TestMessages.Tagged(item), level))
            {
                throw new InvalidOperationException("rejected");
            }
        }

        public bool TryDequeue(out long item, out PriorityLevel level)
        {
            if (_scheduler.TryDequeue(out var released))
            {
                item = long.Parse(released.Message.RequestId!, System.Globalization.CultureInfo.InvariantCulture);
                level = released.Level;
                return true;
            }

            item = 0;
            level = default;
            return false;
        }

        public long Count(PriorityLevel level) => _scheduler.GetSnapshot().Levels[(int)level].Count;
    }
}
