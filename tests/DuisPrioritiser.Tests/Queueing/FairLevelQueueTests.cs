using System.Collections.Concurrent;
using DuisPrioritiser.Queueing.Internal;

namespace DuisPrioritiser.Tests.Queueing;

public class FairLevelQueueTests
{
    private const ulong Seed = 12345;

    [Test]
    public void Dequeue_TakesOneMessagePerFlowInTurn_FifoWithinEachFlow()
    {
        var queue = new FairLevelQueue<(ulong Flow, int Sequence)>(seed: Seed);
        AssertDistinctBuckets(queue, 1, 2, 3);
        for (int i = 0; i < 5; i++)
        {
            queue.Enqueue(1, (1, i), i);
        }

        for (int i = 0; i < 2; i++)
        {
            queue.Enqueue(2, (2, i), 10 + i);
            queue.Enqueue(3, (3, i), 20 + i);
        }

        Assert.That(Drain(queue), Is.EqualTo(new (ulong, int)[]
        {
            (1, 0), (2, 0), (3, 0), (1, 1), (2, 1), (3, 1), (1, 2), (1, 3), (1, 4),
        }));
        Assert.That(queue.Count, Is.Zero);
    }

    [Test]
    public void NoisyFlow_DoesNotDelayOtherFlows()
    {
        var queue = new FairLevelQueue<ulong>(seed: Seed);
        AssertDistinctBuckets(queue, [.. Enumerable.Range(0, 11).Select(i => (ulong)i)]);
        for (int i = 0; i < 10_000; i++)
        {
            queue.Enqueue(0, 0, i);
        }

        for (ulong device = 1; device <= 10; device++)
        {
            queue.Enqueue(device, device, 10_000 + (long)device);
        }

        // FIFO would release them after 10,000 of the noisy device's; round robin within the first 11 (the noisy
        // flow was active first, then each light flow takes its turn).
        var first = Enumerable.Range(0, 11).Select(_ => queue.TryDequeue(out var flow) ? flow : ulong.MaxValue).ToList();
        Assert.That(first.Where(f => f != 0), Is.EquivalentTo(Enumerable.Range(1, 10).Select(i => (ulong)i)));
        Assert.That(queue.Count, Is.EqualTo(10_000 - 1));
    }

    [Test]
    public void TryGetOldestTimestamp_IsTheOldestHeldMessage_WhicheverFlowHoldsIt()
    {
        var queue = new FairLevelQueue<long>(seed: Seed);
        Assert.That(queue.TryGetOldestTimestamp(out _), Is.False);
        var model = new List<(ulong Flow, long Timestamp)>();
        var rng = new Random(7);
        long clock = 0;
        for (int step = 0; step < 20_000; step++)
        {
            if (rng.Next(3) != 0)
            {
                // A noisy flow (0) sends half of everything; 50 light flows the rest.
                ulong flow = rng.Next(2) == 0 ? 0 : (ulong)rng.Next(1, 51);
                queue.Enqueue(flow, ++clock, clock);
                model.Add((flow, clock));
            }
            else if (queue.TryDequeue(out long taken))
            {
                int index = model.FindIndex(m => m.Timestamp == taken);
                Assert.That(index, Is.GreaterThanOrEqualTo(0), "Taken once, and only what was held.");
                ulong flow = model[index].Flow;
                Assert.That(model.Take(index).Any(m => m.Flow == flow && queue.BucketOf(m.Flow) == queue.BucketOf(flow)), Is.False, "FIFO within a flow.");
                model.RemoveAt(index);
            }

            Assert.That(queue.Count, Is.EqualTo(model.Count));
            if (model.Count == 0)
            {
                Assert.That(queue.TryGetOldestTimestamp(out _), Is.False);
            }
            else
            {
                Assert.That(queue.TryGetOldestTimestamp(out long oldest), Is.True);
                Assert.That(oldest, Is.EqualTo(model.Min(m => m.Timestamp)));
            }
        }
    }

    [Test]
    public void ArrivalLog_IsTrimmedAsMessagesAreTaken_EvenWhenNobodyReadsTheOldestTime()
    {
        var queue = new FairLevelQueue<int>(seed: Seed);
        for (int round = 0; round < 1_000; round++)
        {
            for (int i = 0; i < 10; i++)
            {
                queue.Enqueue((ulong)i, i, round);
            }

            for (int i = 0; i < 10; i++)
            {
                Assert.That(queue.TryDequeue(out _), Is.True);
            }
        }

        Assert.That(queue.Count, Is.Zero);
        Assert.That(queue.ArrivalLogLength, Is.LessThanOrEqualTo(10), "Two records are trimmed per dequeue, so the log cannot grow with the traffic.");
    }

    [Test]
    public void ManyFlows_InFewBuckets_NothingLostAndFifoWithinEachFlow()
    {
        var queue = new FairLevelQueue<(int Flow, int Sequence)>(FairLevelQueue<int>.MinBucketCount, Seed);
        Assert.That(queue.BucketCount, Is.EqualTo(16));
        const int Flows = 1_000;
        for (int sequence = 0; sequence < 20; sequence++)
        {
            for (int flow = 0; flow < Flows; flow++)
            {
                queue.Enqueue((ulong)flow, (flow, sequence), sequence);
            }
        }

        var next = new int[Flows];
        int taken = 0;
        while (queue.TryDequeue(out var item))
        {
            Assert.That(item.Sequence, Is.EqualTo(next[item.Flow]++));
            taken++;
        }

        Assert.That(taken, Is.EqualTo(Flows * 20));
        Assert.That(next, Is.All.EqualTo(20));
    }

    [Test]
    public void Constructor_RoundsTheBucketCountUpToAPowerOfTwo_AndRefusesOutOfRange()
    {
        Assert.That(new FairLevelQueue<int>(5000).BucketCount, Is.EqualTo(8192));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new FairLevelQueue<int>(15));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new FairLevelQueue<int>(65537));
    }

    [Test]
    [Category("Stress")]
    [CancelAfter(120_000)]
    public void Concurrent_FourProducersFourConsumers_NoneLostNoneDuplicated_FifoPerFlow()
    {
        const int Producers = 4;
        const int Consumers = 4;
        const int PerProducer = 150_000; // 600,000 messages in all
        const int FlowsPerProducer = 64; // one noisy flow per producer takes half of its messages
        var queue = new FairLevelQueue<(long Item, ulong Flow)>(256, Seed);
        var seen = new int[Producers * PerProducer];
        long consumed = 0;
        var failures = new ConcurrentQueue<string>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));

        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(() =>
        {
            var rng = new Random(p);
            for (int i = 0; i < PerProducer; i++)
            {
                // item = producer * PerProducer + sequence; the flow is private to the producer, so its order is the producer's.
                int flow = rng.Next(2) == 0 ? 0 : rng.Next(1, FlowsPerProducer);
                ulong key = FlowKey(p, flow);
                queue.Enqueue(key, (((long)p * PerProducer) + i, key), i);
            }
        })).ToArray();

        var consumers = Enumerable.Range(0, Consumers).Select(c => Task.Run(() =>
        {
            // A flow's messages are taken in order by whoever owns its bucket, so one consumer sees them increasing.
            var last = new Dictionary<ulong, long>();
            while (Interlocked.Read(ref consumed) < Producers * PerProducer && !deadline.IsCancellationRequested)
            {
                if (!queue.TryDequeue(out var taken))
                {
                    Thread.Yield();
                    continue;
                }

                long item = taken.Item;
                Interlocked.Increment(ref consumed);
                if (last.TryGetValue(taken.Flow, out long previous) && previous >= item)
                {
                    failures.Enqueue($"flow {taken.Flow:X}: {item} after {previous}");
                }

                last[taken.Flow] = item;
                if (Interlocked.Increment(ref seen[item]) != 1)
                {
                    failures.Enqueue($"duplicate {item}");
                }

                queue.TryGetOldestTimestamp(out long _);
            }
        })).ToArray();

        Task.WaitAll([.. producers, .. consumers]);
        Assert.That(failures, Is.Empty);
        Assert.That(deadline.IsCancellationRequested, Is.False, "Consumers did not finish within the bound.");
        Assert.That(seen, Is.All.EqualTo(1), "Every message is taken exactly once.");
        Assert.That(queue.Count, Is.Zero);
        Assert.That(queue.TryDequeue(out _), Is.False);
        Assert.That(queue.TryGetOldestTimestamp(out _), Is.False);
        Assert.That(queue.ArrivalLogLength, Is.Zero, "Every arrival record is trimmed once its message is taken.");
    }

    [Test]
    public void FlowsHoldingOneMessageAtATime_NeverAllocateABucketQueue()
    {
        // The turn carries a flow's only message: the bucket's own queue is for flows with a backlog.
        var queue = new FairLevelQueue<int>(seed: Seed);
        for (int i = 0; i < 10_000; i++)
        {
            queue.Enqueue((ulong)i, i, i);
            Assert.That(queue.TryDequeue(out int taken), Is.True);
            Assert.That(taken, Is.EqualTo(i));
        }

        Assert.That(queue.QueuedBucketCount, Is.Zero);
        queue.Enqueue(7, 1, 1);
        queue.Enqueue(7, 2, 2);
        Assert.That(queue.QueuedBucketCount, Is.EqualTo(1), "The second message of a flow goes to its bucket's queue.");
        Assert.That(Drain(queue), Is.EqualTo(new[] { 1, 2 }));
    }

    [Test]
    public void BucketQueues_GrowPastTheirFirstSegment_AndStayFifo()
    {
        var queue = new FairLevelQueue<int>(seed: Seed);
        for (int i = 0; i < 5_000; i++)
        {
            queue.Enqueue(1, i, i);
        }

        for (int i = 0; i < 5_000; i++)
        {
            Assert.That(queue.TryGetOldestTimestamp(out long oldest), Is.True);
            Assert.That(oldest, Is.EqualTo(i));
            Assert.That(queue.TryDequeue(out int taken), Is.True);
            Assert.That(taken, Is.EqualTo(i));
            Assert.That(queue.Count, Is.EqualTo(5_000 - i - 1));
        }

        Assert.That(queue.TryDequeue(out _), Is.False);
        Assert.That(queue.TryGetOldestTimestamp(out _), Is.False);
        Assert.That(queue.ArrivalLogLength, Is.Zero);
    }

    [Test]
    public void TryGetOldestTimestamp_AfterTheLevelEmptiesAndRefills_IsTheNewOldest()
    {
        var queue = new FairLevelQueue<int>(seed: Seed);
        for (int round = 0; round < 100; round++)
        {
            Assert.That(queue.TryGetOldestTimestamp(out _), Is.False);
            queue.Enqueue((ulong)round, 0, (round * 10) + 5);
            queue.Enqueue((ulong)round + 1, 0, (round * 10) + 6);
            Assert.That(queue.TryGetOldestTimestamp(out long oldest), Is.True);
            Assert.That(oldest, Is.EqualTo((round * 10) + 5));
            Assert.That(queue.TryDequeue(out _), Is.True);
            Assert.That(queue.TryGetOldestTimestamp(out oldest), Is.True);
            Assert.That(oldest, Is.EqualTo((round * 10) + 6));
            Assert.That(queue.TryDequeue(out _), Is.True);
        }

        Assert.That(queue.ArrivalLogLength, Is.Zero);
    }

    [Test]
    [Category("Stress")]
    [CancelAfter(120_000)]
    public void Concurrent_OldestTimestamp_IsNeverLaterThanAnyMessageHeldThroughoutTheRead()
    {
        // Producers stamp each message with a global ticket; a checker reads the oldest time between two ticks of a
        // global clock. A message whose enqueue finished before the read began and whose take began after it ended was
        // held throughout, so its arrival record was unfinished: the read reports the stamp of a record appended no
        // later than it, which is at most the ticket count when its enqueue finished (concurrent producers may append
        // in another order than they drew tickets: "may look overdue early, never late" is up to that). Each
        // producer's flows sit in buckets no other producer uses (racing producers on one bucket may also swap two
        // concurrent arrivals, see the type remarks).
        const int Producers = 4;
        const int Consumers = 4;
        const int PerProducer = 25_000;
        const int Total = Producers * PerProducer;
        const int FlowsPerProducer = 32;
        var queue = new FairLevelQueue<long>(1024, Seed);
        var flows = new ulong[Producers][];
        var owner = new Dictionary<int, int>();
        ulong candidate = 0;
        for (int p = 0; p < Producers; p++)
        {
            flows[p] = new ulong[FlowsPerProducer];
            for (int f = 0; f < FlowsPerProducer;)
            {
                int bucket = queue.BucketOf(++candidate);
                if (owner.TryAdd(bucket, p))
                {
                    flows[p][f++] = candidate;
                }
            }
        }

        long clock = 0;
        long ticket = 0;
        long consumed = 0;
        var enqueuedAt = new long[Total + 1];
        var ticketsWhenEnqueued = new long[Total + 1];
        var takeStartedAt = new long[Total + 1];
        var checks = new ConcurrentQueue<(long Start, long End, bool Found, long Oldest)>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));

        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(() =>
        {
            var rng = new Random(p);
            for (int i = 0; i < PerProducer; i++)
            {
                // One noisy flow takes half of the producer's messages.
                ulong key = flows[p][rng.Next(2) == 0 ? 0 : rng.Next(1, FlowsPerProducer)];
                long stamp = Interlocked.Increment(ref ticket);
                queue.Enqueue(key, stamp, stamp);
                ticketsWhenEnqueued[stamp] = Interlocked.Read(ref ticket);
                Volatile.Write(ref enqueuedAt[stamp], Interlocked.Increment(ref clock));
            }
        })).ToArray();

        var consumers = Enumerable.Range(0, Consumers).Select(c => Task.Run(() =>
        {
            while (Interlocked.Read(ref consumed) < Total && !deadline.IsCancellationRequested)
            {
                long start = Interlocked.Increment(ref clock);
                if (!queue.TryDequeue(out long stamp))
                {
                    Thread.Yield();
                    continue;
                }

                takeStartedAt[stamp] = start;
                Interlocked.Increment(ref consumed);
                if (c == 0 && stamp % 50 == 0)
                {
                    long readStart = Interlocked.Increment(ref clock);
                    bool found = queue.TryGetOldestTimestamp(out long oldest);
                    long readEnd = Interlocked.Increment(ref clock);
                    checks.Enqueue((readStart, readEnd, found, oldest));
                }
            }
        })).ToArray();

        Task.WaitAll([.. producers, .. consumers]);
        Assert.That(deadline.IsCancellationRequested, Is.False, "Consumers did not finish within the bound.");
        Assert.That(checks, Is.Not.Empty);
        var failures = new List<string>();
        foreach (var check in checks)
        {
            long latestAllowed = long.MaxValue;
            long heldThroughout = 0;
            for (long stamp = 1; stamp <= Total; stamp++)
            {
                if (enqueuedAt[stamp] < check.Start && takeStartedAt[stamp] > check.End && ticketsWhenEnqueued[stamp] < latestAllowed)
                {
                    latestAllowed = ticketsWhenEnqueued[stamp];
                    heldThroughout = stamp;
                }
            }

            if (latestAllowed != long.MaxValue && (!check.Found || check.Oldest > latestAllowed))
            {
                failures.Add($"read {check.Start}-{check.End}: {(check.Found ? check.Oldest.ToString(System.Globalization.CultureInfo.InvariantCulture) : "none")}, but {heldThroughout} was held throughout (allowed at most {latestAllowed})");
            }
        }

        Assert.That(failures, Is.Empty);
        Assert.That(queue.Count, Is.Zero);
        Assert.That(queue.TryGetOldestTimestamp(out _), Is.False);
        Assert.That(queue.ArrivalLogLength, Is.Zero, "Reading the oldest time trims every finished record.");
    }

    private static ulong FlowKey(int producer, int flow) => ((ulong)producer << 32) | (uint)flow;

    private static List<T> Drain<T>(FairLevelQueue<T> queue)
    {
        var items = new List<T>();
        while (queue.TryDequeue(out var item))
        {
            items.Add(item);
        }

        return items;
    }

    private static void AssertDistinctBuckets<T>(FairLevelQueue<T> queue, params ulong[] flows)
        => Assert.That(flows.Select(queue.BucketOf).Distinct().Count(), Is.EqualTo(flows.Length), "The test needs its flows in distinct buckets: pick another seed.");
}
