using System.Numerics;
using System.Runtime.CompilerServices;

namespace DuisPrioritiser.Queueing.Internal;

/// <summary>
/// One priority level that releases its items fairly between <em>flows</em> (by default the device a message concerns):
/// deficit round robin with a quantum of one message over flows hashed into a bounded number of buckets, FIFO within a
/// flow, lock-free and O(1) per enqueue and per dequeue.
/// </summary>
/// <remarks>
/// <para><b>Why hand-written.</b> No library type gives a lock-free round robin over many FIFOs with O(1) counts. It is
/// built from the same lock-free <see cref="LevelQueue{T}"/> as the plain levels (the ring of turns and the arrival
/// log), the same ring algorithm without padding for the queue of each bucket that holds more than one item at once
/// (<see cref="FlowSegment"/>), and one interlocked word per bucket.</para>
/// <para><b>Memory.</b> The buckets are one array of 24-byte structs allocated up front (384 KB at the default 16,384);
/// a bucket's queue (about 300 bytes at first) is allocated when it first holds two items and kept; an arrival record
/// is 24 bytes.</para>
/// <para><b>Scheduling.</b> A flow key is hashed (seeded per instance, so no fixed set of devices always collides) into
/// one of <see cref="BucketCount"/> buckets, allocated on first use, so memory is bounded whatever the number of
/// devices; flows that share a bucket share its turn and stay FIFO among themselves. The <em>ring of turns</em> holds
/// one <em>turn</em> for every bucket that has items, exactly one: the bucket's id and its oldest item itself. Its
/// later items wait in the bucket's own queue. A consumer pops a turn, which makes it the bucket's only consumer, keeps
/// the turn's item, and if the bucket has more, moves the next one from the bucket's queue into a new turn at the
/// ring's tail: every active flow releases one message per round. That is deficit round robin with a quantum of one
/// message: every message costs the back-end one handler call, so counting in messages (not bytes) is the fair
/// measure, and with the quantum equal to the cost the deficit is always spent at once, so no deficit counter is kept.
/// A larger quantum would let a noisy flow release that many messages in a row ahead of a light flow's one.</para>
/// <para><b>Why turns carry the item.</b> Most flows hold one message at a time (a device sends an alert now and then):
/// their message goes straight into the ring and out again, and the bucket's queue (its own cache lines, often cold
/// with thousands of devices) is never touched. Only a flow with a backlog uses its queue.</para>
/// <para><b>The bucket word.</b> One 64-bit word per bucket, changed only by interlocked adds: the high half counts the
/// items ever enqueued to the bucket (mod 2^32, the next item's <em>position</em>), the low half the items it holds.
/// A producer adds one to both and reads the old value: its position, and whether the bucket was empty. A consumer
/// subtracts one from the held count after taking a turn's item (the count is at least one, so nothing borrows from the
/// high half). Items taken = enqueued - held, read from the same word.</para>
/// <para><b>Memory ordering.</b> A producer (1) adds to the bucket word, (2) appends its arrival record, (3) makes the
/// item takeable: as a new turn if (1) found the bucket empty, else at the tail of the bucket's queue. A consumer that
/// popped a turn (4) subtracts from the word and, if items remain, (5) takes the next from the bucket's queue and
/// (6) pushes it as the bucket's next turn. (1) and (4) are interlocked on one word, so exactly one of a racing producer
/// and consumer sees the count cross zero: the producer makes a turn, or the consumer moves the producer's item into
/// one. A bucket with items therefore has exactly one turn, in the ring or owned. At (5) the item counted at (1) may
/// not be in the queue yet (its producer is between (1) and (3)); the consumer waits for it, as
/// <see cref="LevelQueue{T}"/>'s consumers wait for a claimed slot to be published: a few instructions, unless the
/// producer is descheduled (the wait then yields the processor). This is the one place a consumer depends on another
/// thread's progress; no lock is taken anywhere.</para>
/// <para><b>Count.</b> Records appended to the log minus turns popped from the ring: each item appends one record
/// before it is takeable (2 before 3) and leaves through exactly one turn, so the count is exact whenever no operation
/// is mid-way, never negative, and may briefly include an item being published, like <see cref="LevelQueue{T}"/>'s.
/// No counter is touched per message for it.</para>
/// <para><b>Oldest enqueue time (the drain policy's maximum waits).</b> A fair level's oldest item is not at one head:
/// it is the head of whichever flow has waited longest (often the noisy one). The level keeps an <em>arrival log</em>,
/// a FIFO of (bucket, position, timestamp) records appended at intake in arrival order. A record is finished once its
/// bucket's taken count has passed its position. The oldest held item is the first unfinished record. One trimmer at a
/// time (a try-flag, never waited for) removes finished records from the log's head and publishes the head it stops
/// at (its key and timestamp). A take checks, with two plain reads, whether that published head is now finished and
/// only then trims (at most two records); reading the oldest time checks the same and trims all finished records. Each
/// record is trimmed once: O(1) amortised per message, and usually no atomic operation at all (the oldest item is
/// rarely the one just taken). A reader that finds another trimming reads the published head as it is, which is a
/// finished or the first unfinished record (or, if the last trim found the log empty, the log's head through a
/// validated peek): never later than the truth, so a level may look overdue a moment early but never late. The log holds at most the records since the oldest held item arrived, which is what a FIFO level
/// would hold anyway. Producers racing on one bucket may take positions in one order and enqueue in the other; the two
/// items' timestamps are then those of concurrent arrivals.</para>
/// </remarks>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class FairLevelQueue<T>
{
    /// <summary>The default number of flow buckets.</summary>
    public const int DefaultBucketCount = 16384;

    /// <summary>The fewest flow buckets.</summary>
    public const int MinBucketCount = 16;

    /// <summary>The most flow buckets.</summary>
    public const int MaxBucketCount = 65536;

    private const ulong GoldenRatio = 0x9E3779B97F4A7C15UL;

    /// <summary>Added to a bucket word by a producer: one more enqueued (high half), one more held (low half).</summary>
    private const long OneMore = (1L << 32) + 1;

    /// <summary>The published head key when the trimmer found the log empty (or its head record not yet published).</summary>
    private const long NoHead = -1;

    private readonly Bucket[] _buckets;
    private readonly int _shift;
    private readonly ulong _seed;
    private readonly LevelQueue<Turn> _turns = new();
    private readonly LevelQueue<Arrival> _arrivals = new();

    /// <summary>The key of the log's head record as the trimmer last left it, or <see cref="NoHead"/>.</summary>
    private long _headKey = NoHead;

    /// <summary>The timestamp of that record, or <see cref="long.MaxValue"/> with <see cref="NoHead"/>.</summary>
    private long _headTimestamp = long.MaxValue;

    private int _trimming;

    /// <summary>Initialises a fair level.</summary>
    /// <param name="bucketCount">The number of flow buckets, rounded up to a power of two (16 to 65,536).</param>
    /// <param name="seed">Mixed into the flow hash; <see langword="null"/> for a random one (tests pass a fixed one).</param>
    public FairLevelQueue(int bucketCount = DefaultBucketCount, ulong? seed = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketCount, MinBucketCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bucketCount, MaxBucketCount);
        int count = (int)BitOperations.RoundUpToPowerOf2((uint)bucketCount);
        _buckets = new Bucket[count];
        _shift = 64 - BitOperations.Log2((uint)count);
        _seed = seed ?? (ulong)Random.Shared.NextInt64();
    }

    /// <summary>Gets the number of flow buckets.</summary>
    public int BucketCount => _buckets.Length;

    /// <summary>Gets the number of items held (exact whenever no operation is mid-way; never negative).</summary>
    public long Count
    {
        get
        {
            // Taken before appended: both only grow, and every taken item was appended first.
            long taken = _turns.HeadPosition;
            long count = _arrivals.TailPosition - taken;
            return count > 0 ? count : 0;
        }
    }

    /// <summary>Gets the number of records in the arrival log (finished ones not yet trimmed included), for tests.</summary>
    internal long ArrivalLogLength => _arrivals.Count;

    /// <summary>Gets the number of buckets whose own queue has been allocated (flows that held two or more items at once), for tests.</summary>
    internal int QueuedBucketCount => _buckets.Count(b => b.Head is not null);

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
        ref var bucket = ref _buckets[index];
        long before = Interlocked.Add(ref bucket.Word, OneMore) - OneMore;
        _arrivals.Enqueue(new Arrival(((long)index << 32) | (uint)(before >> 32), timestamp));
        if ((uint)before == 0)
        {
            _turns.Enqueue(new Turn(index, item));
        }
        else
        {
            (Volatile.Read(ref bucket.Tail) ?? CreateQueue(ref bucket)).EnqueueInto(ref bucket, item);
        }
    }

    /// <summary>Takes the next item: the oldest of the flow whose turn it is.</summary>
    /// <param name="item">The item, or the default when none is visible.</param>
    /// <returns><see langword="true"/> if an item was taken.</returns>
    public bool TryDequeue(out T item)
    {
        if (!_turns.TryDequeue(out var turn))
        {
            item = default!;
            return false;
        }

        // Popping the turn made this thread the bucket's only consumer until it pushes the next turn.
        item = turn.Item;
        ref var bucket = ref _buckets[turn.Bucket];
        if ((uint)Interlocked.Decrement(ref bucket.Word) != 0)
        {
            _turns.Enqueue(new Turn(turn.Bucket, TakeNext(ref bucket)));
        }

        long head = Volatile.Read(ref _headKey);
        if (head == NoHead || IsFinished(head))
        {
            TryTrim(2);
        }

        return true;
    }

    /// <summary>Reads the enqueue timestamp of the oldest held item (see the type remarks).</summary>
    /// <param name="timestamp">The timestamp, or 0 when nothing is held.</param>
    /// <returns><see langword="true"/> if an item is held.</returns>
    public bool TryGetOldestTimestamp(out long timestamp)
    {
        long head = Volatile.Read(ref _headKey);
        if (head == NoHead ? !_arrivals.IsEmpty : IsFinished(head))
        {
            TryTrim(int.MaxValue);
        }

        if (Count > 0)
        {
            timestamp = Volatile.Read(ref _headTimestamp);
            if (timestamp != long.MaxValue)
            {
                return true;
            }

            // The last trim found the log empty and another thread is trimming now: read the log's head directly (a
            // validated peek, safe beside the trimmer), which is a finished or the first unfinished record.
            if (_arrivals.TryPeek(out var first))
            {
                timestamp = first.Timestamp;
                return true;
            }
        }

        timestamp = 0;
        return false;
    }

    /// <summary>Moves the bucket's next item out of its queue; the bucket word says it holds one, counted by a producer that may still be on its way.</summary>
    private static T TakeNext(ref Bucket bucket)
        => TryTake(ref bucket, out var next) ? next : WaitForNext(ref bucket);

    /// <summary>Takes the oldest item of the bucket's queue; only the bucket's owner calls it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryTake(ref Bucket bucket, out T item)
    {
        var head = Volatile.Read(ref bucket.Head);
        if (head is null)
        {
            item = default!;
            return false;
        }

        return head.TryDequeue(out item) || TryTakeSlow(ref bucket, head, out item);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryTakeSlow(ref Bucket bucket, FlowSegment head, out T item)
    {
        while (true)
        {
            var next = head.Next;
            if (next is null)
            {
                item = default!;
                return false;
            }

            // A successor exists, so head was frozen before it was linked: its emptiness is now final, but an item
            // may have landed between the first attempt and the freeze, so look once more (as LevelQueue does).
            if (head.TryDequeue(out item))
            {
                return true;
            }

            Volatile.Write(ref bucket.Head, next);
            head = next;
            if (head.TryDequeue(out item))
            {
                return true;
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T WaitForNext(ref Bucket bucket)
    {
        SpinWait spinner = default;
        while (true)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
            if (TryTake(ref bucket, out var next))
            {
                return next;
            }
        }
    }

    /// <summary>Whether the record with <paramref name="key"/> (bucket, position) is finished: its bucket has had more items taken than its position.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsFinished(long key)
    {
        long word = Volatile.Read(ref _buckets[(int)(key >> 32)].Word);
        uint taken = (uint)(word >> 32) - (uint)word;

        // Modulo 2^32: a bucket never holds 2^31 items (the capacity is an int).
        return (int)(taken - (uint)key) > 0;
    }

    /// <summary>Trims up to <paramref name="budget"/> finished records from the log's head, if no one else is, and publishes the head it stops at.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void TryTrim(int budget)
    {
        if (Volatile.Read(ref _trimming) != 0 || Interlocked.CompareExchange(ref _trimming, 1, 0) != 0)
        {
            return;
        }

        try
        {
            // The log's only consumer while the flag is held: what it peeks is what it takes.
            while (true)
            {
                if (!_arrivals.TryPeekExclusive(out var head))
                {
                    Volatile.Write(ref _headTimestamp, long.MaxValue);
                    Volatile.Write(ref _headKey, NoHead);
                    return;
                }

                if (budget-- <= 0 || !IsFinished(head.Key))
                {
                    // Whatever pair a reader sees, its time is a finished or the first unfinished record's: never late.
                    Volatile.Write(ref _headTimestamp, head.Timestamp);
                    Volatile.Write(ref _headKey, head.Key);
                    return;
                }

                _arrivals.TryDequeueExclusive(out _);
            }
        }
        finally
        {
            Volatile.Write(ref _trimming, 0);
        }
    }

    /// <summary>Allocates a bucket's queue when it first holds two items; it starts with 4 slots (a flow with a backlog grows its own segments).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static FlowSegment CreateQueue(ref Bucket bucket)
    {
        var candidate = new FlowSegment(FlowSegment.InitialLength, 0);
        var head = Interlocked.CompareExchange(ref bucket.Head, candidate, null) ?? candidate;

        // The head is only ever set from null here, and the tail follows it; a loser adopts the winner's.
        return Interlocked.CompareExchange(ref bucket.Tail, head, null) ?? head;
    }

    /// <summary>A bucket's turn: its id and its oldest item.</summary>
    private readonly record struct Turn(int Bucket, T Item);

    /// <summary>An arrival record: the bucket (high half of the key) and the item's position in it (low half), and the item's enqueue timestamp.</summary>
    private readonly record struct Arrival(long Key, long Timestamp);

    /// <summary>A flow bucket: 24 bytes in one array, so the words the hot path touches stay dense.</summary>
    /// <remarks>Its queue holds the items after the one in its turn: a multi-producer, single-consumer (the bucket's
    /// owner) list of <see cref="FlowSegment"/>s, allocated when the bucket first holds two items.</remarks>
    private struct Bucket
    {
        /// <summary>Items enqueued (high half, mod 2^32) and held (low half); see the type remarks. Interlocked adds only.</summary>
        public long Word;

        /// <summary>The queue's oldest segment; written only by the bucket's owner (once allocated).</summary>
        public FlowSegment? Head;

        /// <summary>The queue's newest segment; producers move it forward by compare-and-swap.</summary>
        public FlowSegment? Tail;
    }

    /// <summary>
    /// One ring of a bucket's queue: the Vyukov ring of <see cref="LevelQueue{T}"/>'s segments (same sequence numbers,
    /// freeze bit and successor link, see its remarks), without the cache-line padding (a bucket's producers and its
    /// one consumer rarely run at once, and thousands of small buckets must stay small) and with a single consumer, so
    /// the head advances by a release store.
    /// </summary>
    private sealed class FlowSegment
    {
        public const int InitialLength = 4;

        private readonly FlowSlot[] _slots;
        private readonly int _mask;
        private long _tail;
        private long _head;
        private FlowSegment? _next;

        public FlowSegment(int length, long startPosition)
        {
            _slots = new FlowSlot[length];
            _mask = length - 1;
            for (int i = 0; i < length; i++)
            {
                long position = startPosition + i;
                _slots[(int)position & _mask].Sequence = position;
            }

            _head = startPosition;
            _tail = startPosition;
        }

        public FlowSegment? Next => Volatile.Read(ref _next);

        /// <summary>Adds <paramref name="item"/> to the bucket's queue, linking a successor when this segment is full.</summary>
        public void EnqueueInto(ref Bucket bucket, T item)
        {
            var tail = this;
            while (!tail.TryEnqueue(item))
            {
                // Full (or frozen): freeze it and link a successor that starts where it ends; losing either CAS means
                // another producer did the same work. Then move the bucket's tail on and retry there.
                long finalTail = tail.EnsureFrozen();
                var next = tail.Next;
                if (next is null)
                {
                    var candidate = new FlowSegment(Math.Min(tail._slots.Length * 2, LevelQueue<T>.MaxSegmentLength), finalTail);
                    next = Interlocked.CompareExchange(ref tail._next, candidate, null) ?? candidate;
                }

                Interlocked.CompareExchange(ref bucket.Tail, next, tail);
                tail = Volatile.Read(ref bucket.Tail)!;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool TryEnqueue(T item)
        {
            var slots = _slots;
            while (true)
            {
                long tail = Volatile.Read(ref _tail);
                ref var slot = ref slots[(int)tail & _mask];
                long diff = Volatile.Read(ref slot.Sequence) - tail;
                if (diff == 0)
                {
                    if (Interlocked.CompareExchange(ref _tail, tail + 1, tail) == tail)
                    {
                        slot.Item = item;
                        Volatile.Write(ref slot.Sequence, tail + 1);
                        return true;
                    }
                }
                else if (diff < 0)
                {
                    // Full for this lap, or frozen (the freeze bit makes every diff hugely negative).
                    return false;
                }

                // diff > 0: another producer took this position; reload and retry.
            }
        }

        /// <summary>Takes the head (the bucket's owner only); waits, as LevelQueue does, for an item claimed but not yet published.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool TryDequeue(out T item)
        {
            var slots = _slots;
            long head = Volatile.Read(ref _head);
            ref var slot = ref slots[(int)head & _mask];
            SpinWait spinner = default;
            while (Volatile.Read(ref slot.Sequence) != head + 1)
            {
                if ((Volatile.Read(ref _tail) & ~LevelQueue<T>.FreezeBit) - head <= 0)
                {
                    item = default!;
                    return false;
                }

                spinner.SpinOnce(sleep1Threshold: -1);
            }

            item = slot.Item;
            if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
            {
                slot.Item = default!;
            }

            Volatile.Write(ref _head, head + 1);
            Volatile.Write(ref slot.Sequence, head + slots.Length);
            return true;
        }

        private long EnsureFrozen()
        {
            while (true)
            {
                long tail = Volatile.Read(ref _tail);
                if ((tail & LevelQueue<T>.FreezeBit) != 0)
                {
                    return tail & ~LevelQueue<T>.FreezeBit;
                }

                if (Interlocked.CompareExchange(ref _tail, tail | LevelQueue<T>.FreezeBit, tail) == tail)
                {
                    return tail;
                }
            }
        }
    }

    private struct FlowSlot
    {
        public T Item;
        public long Sequence;
    }
}
