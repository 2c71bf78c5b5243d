using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace DuisPrioritiser.Queueing.Internal;

/// <summary>
/// One unbounded, multi-producer multi-consumer FIFO: a linked list of bounded ring segments, each a Vyukov
/// MPMC ring (the algorithm behind <c>ConcurrentQueue&lt;T&gt;</c>'s segments).
/// </summary>
/// <remarks>
/// <para><b>Why hand-written.</b> <c>ConcurrentQueue&lt;T&gt;</c> takes a lock whenever it links a new segment and
/// its <c>Count</c> walks segments under that lock; the brief asks for no locks on enqueue and dequeue and for
/// O(1) per-level counts. Channels are built on the same queue plus locks. So this type keeps the proven ring
/// algorithm and replaces the cross-segment lock with compare-and-swap.</para>
/// <para><b>Positions.</b> Head and tail are 64-bit positions that continue from one segment to the next (a new
/// segment starts at its predecessor's final tail), so <c>tail(tail segment) - head(head segment)</c> is the
/// level's exact count at quiescence, read in O(1) without walking anything.</para>
/// <para><b>Memory ordering.</b> Each slot carries a sequence number. A producer claims position <c>p</c> by CAS
/// on <c>Tail</c> (a full fence), writes the item, then publishes with a release store of <c>Sequence = p + 1</c>.
/// A consumer acquires <c>Sequence</c> (acquire load), and only when it equals <c>p + 1</c> claims the slot by CAS
/// on <c>Head</c>; so the item write happens-before the consumer's read of the item. The consumer clears the item
/// and releases the slot for the next lap with a release store of <c>Sequence = p + length</c>, ordering its read
/// before any producer's overwrite. A segment is frozen by atomically adding <see cref="FreezeBit"/> to its tail
/// (one CAS loop, so the final tail is read exactly once by whoever links the successor); after that no producer
/// can claim a slot in it, because every slot's sequence is far below the frozen tail. The successor is linked
/// with a CAS on <c>_next</c> only after freezing, so a consumer that sees <c>_next != null</c> (acquire) and
/// then finds the frozen segment empty knows it is drained for good, and may CAS <c>_head</c> forward.</para>
/// <para><b>Progress.</b> No locks, monitors or semaphores. As in <c>ConcurrentQueue&lt;T&gt;</c>, a consumer that
/// finds a slot claimed but not yet published spins for the few instructions the producer needs to publish.</para>
/// <para><b>Allocation.</b> While a level's depth fits in its newest segment, the ring wraps and nothing is
/// allocated; segments double (32 up to 64K slots) only while a backlog grows.</para>
/// </remarks>
internal sealed class LevelQueue<T>
{
    internal const long FreezeBit = 1L << 62;
    internal const int InitialSegmentLength = 32;
    internal const int MaxSegmentLength = 64 * 1024;

    private volatile Segment _head;
    private volatile Segment _tail;

    /// <summary>Initialises an empty queue.</summary>
    /// <param name="initialSegmentLength">The first segment's slots, a power of two (the fair level's flow buckets start small).</param>
    public LevelQueue(int initialSegmentLength = InitialSegmentLength)
    {
        Debug.Assert(initialSegmentLength is > 0 and <= MaxSegmentLength && (initialSegmentLength & (initialSegmentLength - 1)) == 0, "A power of two.");
        _head = _tail = new Segment(initialSegmentLength, 0);
    }

    /// <summary>Gets the number of items enqueued and not yet dequeued (exact whenever no operation is mid-way).</summary>
    public long Count
    {
        get
        {
            // Read head before tail: the tail segment is never older than the head segment.
            var head = _head;
            long h = Volatile.Read(ref head.HeadAndTail.Head);
            var tail = _tail;
            long t = Volatile.Read(ref tail.HeadAndTail.Tail) & ~FreezeBit;
            long count = t - h;
            return count > 0 ? count : 0;
        }
    }

    /// <summary>Gets the position of the head: how many items have been taken (a consumer's read, never ahead of the truth).</summary>
    public long HeadPosition => Volatile.Read(ref _head.HeadAndTail.Head);

    /// <summary>Gets the position of the tail: how many items have been claimed by producers (published or about to be).</summary>
    public long TailPosition => Volatile.Read(ref _tail.HeadAndTail.Tail) & ~FreezeBit;

    /// <summary>Gets a value indicating whether the level appears empty.</summary>
    public bool IsEmpty => Count == 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enqueue(T item)
    {
        if (!_tail.TryEnqueue(item))
        {
            EnqueueSlow(item);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryDequeue(out T item)
        => _head.TryDequeue(out item) || TryDequeueSlow(out item);

    /// <summary>
    /// Takes the oldest item when the caller is the queue's only consumer (a fair level's bucket owner, its arrival-log
    /// trimmer): the head is advanced with a release store instead of a compare-and-swap. Never mix with
    /// <see cref="TryDequeue"/> on one queue. Waits, like <see cref="TryDequeue"/>, for an item claimed but not yet published.
    /// </summary>
    /// <param name="item">The item, or the default when the queue is empty.</param>
    /// <returns><see langword="true"/> if an item was taken.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryDequeueExclusive(out T item)
        => _head.TryDequeueExclusive(out item) || TryDequeueExclusiveSlow(out item);

    /// <summary>
    /// Reads the oldest item when the caller is the queue's only consumer (see <see cref="TryDequeueExclusive"/>): no
    /// consumer can take the head meanwhile, so no fence and no retry. An item claimed but not yet published reads as
    /// absent.
    /// </summary>
    /// <param name="item">The item, or the default.</param>
    /// <returns><see langword="true"/> if the oldest item is published.</returns>
    public bool TryPeekExclusive(out T item)
    {
        var segment = _head;
        while (true)
        {
            // Read the successor first: once it is seen, the segment is frozen and "drained" is final.
            var next = segment.Next;
            if (segment.TryPeekExclusive(out item, out bool drained))
            {
                return true;
            }

            if (!drained || next is null)
            {
                return false;
            }

            segment = next;
        }
    }

    /// <summary>Reads the oldest item without removing it. Not for hot paths: it may retry under contention.</summary>
    public bool TryPeek(out T item)
    {
        var segment = _head;
        SpinWait spinner = default;
        while (true)
        {
            var result = segment.TryPeek(out item);
            if (result == PeekResult.Found)
            {
                return true;
            }

            if (result == PeekResult.Retry)
            {
                // A consumer took the head, or a producer is mid-publish: back off (yielding the processor if a
                // descheduled producer holds the slot) and look again.
                spinner.SpinOnce(sleep1Threshold: -1);
                segment = _head;
                continue;
            }

            // Empty: move to the successor, if any, without mutating shared state.
            var next = segment.Next;
            if (next is null)
            {
                return false;
            }

            segment = next;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EnqueueSlow(T item)
    {
        while (true)
        {
            var tail = _tail;
            if (tail.TryEnqueue(item))
            {
                return;
            }

            // The tail segment is full (or already frozen): freeze it and link a successor that starts where
            // it ends. Losing either CAS means another producer did the same work; just retry.
            long finalTail = tail.EnsureFrozen();
            var next = tail.Next;
            if (next is null)
            {
                int length = Math.Min(tail.Length * 2, MaxSegmentLength);
                var candidate = new Segment(length, finalTail);
                next = Interlocked.CompareExchange(ref tail.NextField, candidate, null) ?? candidate;
            }

            Interlocked.CompareExchange(ref _tail, next, tail);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryDequeueSlow(out T item)
    {
        while (true)
        {
            var head = _head;
            if (head.TryDequeue(out item))
            {
                return true;
            }

            var next = head.Next;
            if (next is null)
            {
                return false;
            }

            // A successor exists, so head was frozen before it was linked: its emptiness is now final, but an
            // item may have landed between our first attempt and the freeze, so look once more.
            if (head.TryDequeue(out item))
            {
                return true;
            }

            Interlocked.CompareExchange(ref _head, next, head);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryDequeueExclusiveSlow(out T item)
    {
        while (true)
        {
            var head = _head;
            if (head.TryDequeueExclusive(out item))
            {
                return true;
            }

            var next = head.Next;
            if (next is null)
            {
                return false;
            }

            // As in TryDequeueSlow: the frozen head's emptiness is final once its successor is seen; look once more.
            if (head.TryDequeueExclusive(out item))
            {
                return true;
            }

            _head = next;
        }
    }

    internal enum PeekResult
    {
        Found,
        Empty,
        Retry,
    }

    private struct Slot
    {
        public T Item;
        public long Sequence;
    }

    private sealed class Segment
    {
        public PaddedHeadAndTail HeadAndTail;
        public Segment? NextField;

        private readonly Slot[] _slots;
        private readonly int _mask;

        public Segment(int length, long startPosition)
        {
            Debug.Assert(length > 0 && (length & (length - 1)) == 0, "Segment length must be a power of two.");
            Debug.Assert(startPosition < FreezeBit, "Positions never reach the freeze bit.");
            _slots = new Slot[length];
            _mask = length - 1;
            for (int i = 0; i < length; i++)
            {
                long position = startPosition + i;
                _slots[(int)position & _mask].Sequence = position;
            }

            HeadAndTail.Head = startPosition;
            HeadAndTail.Tail = startPosition;
        }

        public int Length => _slots.Length;

        public Segment? Next => Volatile.Read(ref NextField);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool TryEnqueue(T item)
        {
            var slots = _slots;
            while (true)
            {
                long tail = Volatile.Read(ref HeadAndTail.Tail);
                ref var slot = ref slots[(int)tail & _mask];
                long diff = Volatile.Read(ref slot.Sequence) - tail;
                if (diff == 0)
                {
                    if (Interlocked.CompareExchange(ref HeadAndTail.Tail, tail + 1, tail) == tail)
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

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool TryDequeue(out T item)
        {
            var slots = _slots;
            SpinWait spinner = default;
            while (true)
            {
                long head = Volatile.Read(ref HeadAndTail.Head);
                ref var slot = ref slots[(int)head & _mask];
                long diff = Volatile.Read(ref slot.Sequence) - (head + 1);
                if (diff == 0)
                {
                    if (Interlocked.CompareExchange(ref HeadAndTail.Head, head + 1, head) == head)
                    {
                        item = slot.Item;
                        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
                        {
                            slot.Item = default!;
                        }

                        Volatile.Write(ref slot.Sequence, head + slots.Length);
                        return true;
                    }
                }
                else if (diff < 0)
                {
                    // Not yet published for this lap: empty, unless a producer has claimed it and is mid-publish.
                    long tail = Volatile.Read(ref HeadAndTail.Tail) & ~FreezeBit;
                    if (tail - head <= 0)
                    {
                        item = default!;
                        return false;
                    }

                    spinner.SpinOnce(sleep1Threshold: -1);
                }

                // diff > 0: another consumer took this position; reload and retry.
            }
        }

        /// <summary>Takes the head for the queue's only consumer (see <see cref="LevelQueue{T}.TryDequeueExclusive"/>).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool TryDequeueExclusive(out T item)
        {
            var slots = _slots;

            // Only this consumer writes Head; a previous consumer's write reached it with the hand-over (ring pop or trim flag).
            long head = Volatile.Read(ref HeadAndTail.Head);
            ref var slot = ref slots[(int)head & _mask];
            SpinWait spinner = default;
            while (Volatile.Read(ref slot.Sequence) != head + 1)
            {
                // Not yet published for this lap: empty, unless a producer has claimed it and is mid-publish.
                long tail = Volatile.Read(ref HeadAndTail.Tail) & ~FreezeBit;
                if (tail - head <= 0)
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

            Volatile.Write(ref HeadAndTail.Head, head + 1);
            Volatile.Write(ref slot.Sequence, head + slots.Length);
            return true;
        }

        /// <summary>Reads the head for the queue's only consumer; <paramref name="drained"/> when nothing is claimed at or after it.</summary>
        public bool TryPeekExclusive(out T item, out bool drained)
        {
            long head = Volatile.Read(ref HeadAndTail.Head);
            ref var slot = ref _slots[(int)head & _mask];
            if (Volatile.Read(ref slot.Sequence) == head + 1)
            {
                item = slot.Item;
                drained = false;
                return true;
            }

            item = default!;
            drained = (Volatile.Read(ref HeadAndTail.Tail) & ~FreezeBit) - head <= 0;
            return false;
        }

        public PeekResult TryPeek(out T item)
        {
            long head = Volatile.Read(ref HeadAndTail.Head);
            ref var slot = ref _slots[(int)head & _mask];
            long sequence = Volatile.Read(ref slot.Sequence);
            if (sequence == head + 1)
            {
                item = slot.Item;

                // Seqlock check: if neither head nor the slot's sequence moved, nobody consumed or refilled the
                // slot while we copied it, so the copy is whole.
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref slot.Sequence) == sequence && Volatile.Read(ref HeadAndTail.Head) == head)
                {
                    return PeekResult.Found;
                }

                return PeekResult.Retry;
            }

            item = default!;
            long tail = Volatile.Read(ref HeadAndTail.Tail) & ~FreezeBit;
            return tail - head <= 0 ? PeekResult.Empty : PeekResult.Retry;
        }

        /// <summary>Freezes the segment against further enqueues and returns its final tail position.</summary>
        public long EnsureFrozen()
        {
            while (true)
            {
                long tail = Volatile.Read(ref HeadAndTail.Tail);
                if ((tail & FreezeBit) != 0)
                {
                    return tail & ~FreezeBit;
                }

                if (Interlocked.CompareExchange(ref HeadAndTail.Tail, tail | FreezeBit, tail) == tail)
                {
                    return tail;
                }
            }
        }
    }
}
