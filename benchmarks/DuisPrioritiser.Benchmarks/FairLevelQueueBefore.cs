// The fair level as it was before the cost cut (main at 06afe07), kept verbatim but for its name and namespace so
// FairLevelBenchmarks measures old and new in the same run. Not used by the library.
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using DuisPrioritiser.Queueing.Internal;

namespace DuisPrioritiser.Benchmarks;

/// <summary>
/// One priority level that releases its items fairly between <em>flows</em> (by default the device a message concerns):
/// deficit round robin with a quantum of one message over flows hashed into a bounded number of buckets, FIFO within a
/// flow, lock-free and O(1) per enqueue and per dequeue.
/// </summary>
/// <remarks>
/// <para><b>Why hand-written.</b> No library type gives a lock-free round robin over many FIFOs with O(1) counts. It is
/// built from the same lock-free <see cref="LevelQueue{T}"/> as the plain levels (one per bucket, one ring of active
/// bucket ids, one arrival log), plus interlocked counters.</para>
/// <para><b>Scheduling.</b> A flow key is hashed (seeded per instance, so no fixed set of devices always collides) into
/// one of <see cref="BucketCount"/> buckets, allocated on first use, so memory is bounded whatever the number of
/// devices; flows that share a bucket share its turn and stay FIFO among themselves. The <em>active ring</em> holds the
/// id of every bucket that has items, exactly once. A consumer pops an id, which makes it the bucket's only consumer,
/// takes the bucket's oldest item, and pushes the id back to the ring's tail if the bucket still has items: every
/// active flow releases one message per round. That is deficit round robin with a quantum of one message: every
/// message costs the back-end one handler call, so counting in messages (not bytes) is the fair measure, and with the
/// quantum equal to the cost the deficit is always spent at once, so no deficit counter is kept. A larger quantum
/// would let a noisy flow release that many messages in a row ahead of a light flow's one.</para>
/// <para><b>Memory ordering.</b> A producer (1) enqueues its item in the bucket, (2) appends its arrival record,
/// (3) increments the level count, and (4) increments the bucket's count, pushing the bucket id only when that moves
/// the count from 0 to 1. A consumer that popped the id (5) dequeues from the bucket, (6) writes the bucket's dequeued
/// position (only the owner writes it), (7) decrements the level count, and (8) decrements the bucket's count, pushing
/// the id back if it is still above 0. (4) and (8) are interlocked (full fences) on one word, so exactly one of a
/// racing producer and consumer sees the count cross zero and pushes: a bucket with items is always in the ring or
/// owned, never both and never twice. The item (1) is published before the count (4) that leads a consumer to it, so
/// (5) always finds it. The level count is raised before an item can be taken and lowered after, so it is never
/// negative and may briefly include an item being published, like <see cref="LevelQueue{T}"/>'s.</para>
/// <para><b>Oldest enqueue time (the drain policy's maximum waits).</b> A fair level's oldest item is not at one head:
/// it is the head of whichever flow has waited longest (often the noisy one). The level keeps an <em>arrival log</em>,
/// a FIFO of (bucket, position in the bucket, timestamp) records appended at intake in arrival order. A record is
/// finished once its bucket's dequeued position has passed its position. The oldest held item is the first unfinished
/// record: finished records are trimmed from the log's head, two after each dequeue and all of them when the oldest
/// time is read, each record once, so the cost is O(1) amortised per message. One trimmer at a time (a try-flag, never
/// waited for); a reader that finds another trimming reads the head as it is, which can only be older than the truth,
/// so a level may look overdue a moment early but never late. The log holds at most the records since the oldest
/// held item arrived, which is what a FIFO level would hold anyway. Producers racing on one bucket may take positions
/// in one order and enqueue in the other; the two items' timestamps are then those of concurrent arrivals.</para>
/// </remarks>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class FairLevelQueueBefore<T>
{
    /// <summary>The default number of flow buckets.</summary>
    public const int DefaultBucketCount = 16384;

    /// <summary>The fewest flow buckets.</summary>
    public const int MinBucketCount = 16;

    /// <summary>The most flow buckets.</summary>
    public const int MaxBucketCount = 65536;

    private const ulong GoldenRatio = 0x9E3779B97F4A7C15UL;

    private readonly Bucket?[] _buckets;
    private readonly int _shift;
    private readonly ulong _seed;
    private readonly LevelQueue<int> _active = new();
    private readonly LevelQueue<Arrival> _arrivals = new();
    private PaddedCounter _count;
    private int _trimming;

    /// <summary>Initialises a fair level.</summary>
    /// <param name="bucketCount">The number of flow buckets, rounded up to a power of two (16 to 65,536).</param>
    /// <param name="seed">Mixed into the flow hash; <see langword="null"/> for a random one (tests pass a fixed one).</param>
    public FairLevelQueueBefore(int bucketCount = DefaultBucketCount, ulong? seed = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketCount, MinBucketCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bucketCount, MaxBucketCount);
        int count = (int)BitOperations.RoundUpToPowerOf2((uint)bucketCount);
        _buckets = new Bucket?[count];
        _shift = 64 - BitOperations.Log2((uint)count);
        _seed = seed ?? (ulong)Random.Shared.NextInt64();
    }

    /// <summary>Gets the number of flow buckets.</summary>
    public int BucketCount => _buckets.Length;

    /// <summary>Gets the number of items held (exact whenever no operation is mid-way; never negative).</summary>
    public long Count => Volatile.Read(ref _count.Value);

    /// <summary>Gets the number of records in the arrival log (finished ones not yet trimmed included), for tests.</summary>
    internal long ArrivalLogLength => _arrivals.Count;

    /// <summary>Gets the bucket of <paramref name="flowKey"/>.</summary>
    /// <param name="flowKey">The flow key.</param>
    /// <returns>The bucket index.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int BucketOf(ulong flowKey) => (int)(((flowKey ^ _seed) * GoldenRatio) >> _shift);

    /// <summary>Adds <paramref name="item"/> at the tail of its flow.</summary>
    /// <param name="flowKey">The item's flow.</param>
    /// <param name="item">The item.</param>
    /// <param name="timestamp">Its enqueue timestamp (read back by <see cref="TryGetOldestTimestamp"/>).</param>
    public void Enqueue(ulong flowKey, T item, long timestamp)
    {
        int index = BucketOf(flowKey);
        var bucket = Volatile.Read(ref _buckets[index]) ?? CreateBucket(index);
        long position = Interlocked.Increment(ref bucket.Enqueued) - 1;
        bucket.Items.Enqueue(item);
        _arrivals.Enqueue(new Arrival(index, position, timestamp));
        Interlocked.Increment(ref _count.Value);
        if (Interlocked.Increment(ref bucket.Count) == 1)
        {
            _active.Enqueue(index);
        }
    }

    /// <summary>Takes the next item: the oldest of the flow whose turn it is.</summary>
    /// <param name="item">The item, or the default when none is visible.</param>
    /// <returns><see langword="true"/> if an item was taken.</returns>
    public bool TryDequeue(out T item)
    {
        if (!_active.TryDequeue(out int index))
        {
            item = default!;
            return false;
        }

        // Popping the id made this thread the bucket's only consumer until it pushes the id back.
        var bucket = _buckets[index]!;
        Debug.Assert(bucket is not null, "An active bucket is allocated.");
        bool taken = bucket.Items.TryDequeue(out item);
        Debug.Assert(taken, "An active bucket holds an item: it is published before its count is raised.");
        if (!taken)
        {
            _active.Enqueue(index);
            return false;
        }

        Volatile.Write(ref bucket.Dequeued, bucket.Dequeued + 1);
        Interlocked.Decrement(ref _count.Value);
        if (Interlocked.Decrement(ref bucket.Count) != 0)
        {
            _active.Enqueue(index);
        }

        TryTrim(2);
        return true;
    }

    /// <summary>Reads the enqueue timestamp of the oldest held item (see the type remarks).</summary>
    /// <param name="timestamp">The timestamp, or 0 when nothing is held.</param>
    /// <returns><see langword="true"/> if an item is held.</returns>
    public bool TryGetOldestTimestamp(out long timestamp)
    {
        TryTrim(int.MaxValue);
        if (Count > 0 && _arrivals.TryPeek(out var head))
        {
            timestamp = head.Timestamp;
            return true;
        }

        timestamp = 0;
        return false;
    }

    private static bool IsFinished(in Arrival arrival, Bucket?[] buckets)
        => Volatile.Read(ref buckets[arrival.Bucket]!.Dequeued) > arrival.Position;

    /// <summary>Trims up to <paramref name="budget"/> finished records from the log's head, if no one else is.</summary>
    private void TryTrim(int budget)
    {
        if (Volatile.Read(ref _trimming) != 0 || Interlocked.CompareExchange(ref _trimming, 1, 0) != 0)
        {
            return;
        }

        try
        {
            // The only thread dequeuing from the log: the head it peeks is the head it takes.
            var buckets = _buckets;
            while (budget-- > 0 && _arrivals.TryPeek(out var head) && IsFinished(head, buckets))
            {
                bool trimmed = _arrivals.TryDequeue(out _);
                Debug.Assert(trimmed, "The trimmer is the log's only consumer.");
            }
        }
        finally
        {
            Volatile.Write(ref _trimming, 0);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private Bucket CreateBucket(int index)
    {
        var candidate = new Bucket();
        return Interlocked.CompareExchange(ref _buckets[index], candidate, null) ?? candidate;
    }

    private readonly record struct Arrival(int Bucket, long Position, long Timestamp);

    private sealed class Bucket
    {
        /// <summary>Starts with 4 slots: most flows hold one or two messages at a time; a noisy one grows its own segments.</summary>
        public readonly LevelQueue<T> Items = new(4);

        /// <summary>Positions taken by producers (interlocked).</summary>
        public long Enqueued;

        /// <summary>Items taken; written only by the bucket's current owner.</summary>
        public long Dequeued;

        /// <summary>Items held; crossing zero decides who pushes the id (interlocked).</summary>
        public int Count;
    }
}
