using System.Runtime.CompilerServices;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Queueing.Internal;

namespace DuisPrioritiser.Storage.Internal;

/// <summary>
/// The held messages of an embedded store: the lock-free <see cref="MultiLevelQueue{T}"/>, one FIFO per level, plus a
/// small ordered <em>return lane</em> per level for messages acknowledged <see cref="Release.ReleaseOutcome.Returned"/>.
/// </summary>
/// <remarks>
/// <para><b>Fast path.</b> <see cref="Add"/> and <see cref="TryTake"/> are the queue's own lock-free operations plus
/// one volatile read of the returned count (zero in normal operation), so holding a message costs no allocation
/// beyond the queue's segments and no lock.</para>
/// <para><b>Return lanes.</b> A returned message goes back to the front of its level: the lane is consulted before the
/// level's queue and hands out its messages in original order (by first enqueue time, then store id). Returns are
/// rare (a back-end outage), so the lane is a lock-protected binary heap. Depth, occupancy and oldest time include
/// the lanes, so the drain policy sees returned messages.</para>
/// <para><b>Fair levels.</b> A level named in the <see cref="BacklogFairness"/> given at construction holds its
/// messages in a <see cref="FairLevelQueue{T}"/> (round robin between flows, FIFO within a flow) instead of the
/// queue's FIFO; the only cost to the other levels is one read of a bit mask per call. Return lanes work alike for
/// both kinds of level.</para>
/// <para><b>Ordering.</b> <see cref="Return"/> inserts into the lane before incrementing <c>_returned</c>; a reader
/// that reads the count as zero in between sees the message on its next try (the scheduler pulses readers after a
/// return), and a reader that sees the count non-zero takes the lane's lock, which orders it after the insert.</para>
/// </remarks>
internal sealed class LocalBacklog
{
    private readonly MultiLevelQueue<QueuedEntry> _queue = new(PriorityLevels.Count);
    private readonly ReturnLane[] _lanes;
    private readonly FairLevelQueue<QueuedEntry>?[] _fair = new FairLevelQueue<QueuedEntry>?[PriorityLevels.Count];
    private readonly Func<DuisMessage, ulong>? _flowKey;
    private readonly int _fairMask;
    private int _returned;

    /// <summary>Initialises an empty backlog.</summary>
    /// <param name="fairness">The levels that release fairly between flows, or <see langword="null"/> for FIFO levels only.</param>
    public LocalBacklog(BacklogFairness? fairness = null)
    {
        _lanes = new ReturnLane[PriorityLevels.Count];
        for (int i = 0; i < _lanes.Length; i++)
        {
            _lanes[i] = new ReturnLane();
        }

        if (fairness is not null)
        {
            _fairMask = fairness.LevelMask & ((1 << PriorityLevels.Count) - 1);
            _flowKey = fairness.FlowKey;
            for (int i = 0; i < _fair.Length; i++)
            {
                if ((_fairMask & (1 << i)) != 0)
                {
                    _fair[i] = new FairLevelQueue<QueuedEntry>(fairness.BucketCount, fairness.Seed);
                }
            }
        }
    }

    /// <summary>Gets a value indicating whether <paramref name="level"/> releases fairly between flows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsFair(int level) => (_fairMask & (1 << level)) != 0;

    /// <summary>Gets the number of returned messages waiting in the lanes.</summary>
    public int ReturnedCount => Volatile.Read(ref _returned);

    /// <param name="level">The level.</param>
    /// <param name="entry">The entry.</param>
    /// <param name="message">The message of a compact entry (the journal as the backlog), whose flow a fair level needs; otherwise <see langword="null"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(int level, in QueuedEntry entry, DuisMessage? message = null)
    {
        if (IsFair(level))
        {
            _fair[level]!.Enqueue(FlowKeyOf(entry.Message ?? message), entry, entry.EnqueuedTimestamp);
        }
        else
        {
            _queue.Enqueue(level, entry);
        }
    }

    /// <summary>
    /// The message's flow; a selector that throws puts it in flow 0 rather than losing an accepted message, and so
    /// does a compact entry recovered from the journal (its message is on disk, not read back at recovery).
    /// </summary>
    private ulong FlowKeyOf(DuisMessage? message)
    {
        if (message is null)
        {
            return 0;
        }

        try
        {
            return _flowKey!(message);
        }
#pragma warning disable CA1031 // The message is accepted already: holding it in some flow beats losing it.
        catch (Exception)
#pragma warning restore CA1031
        {
            return 0;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryTake(int level, out QueuedEntry entry)
    {
        if (Volatile.Read(ref _returned) != 0 && TryTakeReturned(level, out entry))
        {
            return true;
        }

        return IsFair(level) ? _fair[level]!.TryDequeue(out entry) : _queue.TryDequeue(level, out entry);
    }

    /// <summary>Puts a released message back at the front of its level, in original order.</summary>
    public void Return(int level, in QueuedEntry entry)
    {
        _lanes[level].Add(entry);
        Interlocked.Increment(ref _returned);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long GetCount(int level)
    {
        long count = IsFair(level) ? _fair[level]!.Count : _queue.GetCount(level);
        return Volatile.Read(ref _returned) == 0 ? count : count + _lanes[level].Count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int GetOccupancyMask()
    {
        int mask = _fairMask == 0 ? _queue.GetOccupancyMask() : _queue.GetOccupancyMask() | GetFairMask();
        return Volatile.Read(ref _returned) == 0 ? mask : mask | GetReturnedMask();
    }

    /// <summary>
    /// Clears a stale occupancy bit of <paramref name="level"/>: a FIFO level's bit stays set after its last message
    /// left until a take from it fails, so a caller that reads the level empty without taking calls this, or the
    /// policy keeps seeing the level occupied. (A fair level's and the return lanes' bits come from their counts.)
    /// </summary>
    public void ClearIfEmpty(int level)
    {
        if (!IsFair(level))
        {
            _queue.ClearIfEmpty(level);
        }
    }

    /// <summary>Reads the head of <paramref name="level"/>'s queue (not its return lane), for tests.</summary>
    internal bool TryPeek(int level, out QueuedEntry entry) => _queue.TryPeek(level, out entry);

    /// <summary>Reads the enqueue timestamp of the oldest held message of <paramref name="level"/>.</summary>
    public bool TryGetOldestTimestamp(int level, out long timestamp)
    {
        bool found = false;
        timestamp = long.MaxValue;
        if (Volatile.Read(ref _returned) != 0 && _lanes[level].TryPeekTimestamp(out long returned))
        {
            timestamp = returned;
            found = true;
        }

        if (IsFair(level))
        {
            if (_fair[level]!.TryGetOldestTimestamp(out long fair))
            {
                timestamp = Math.Min(timestamp, fair);
                found = true;
            }
        }
        else if (_queue.TryPeek(level, out var head) && head.IsHeld)
        {
            timestamp = Math.Min(timestamp, head.EnqueuedTimestamp);
            found = true;
        }

        return found;
    }

    /// <summary>Reads the enqueue timestamp of the oldest returned message of <paramref name="level"/>.</summary>
    public bool TryGetOldestReturnedTimestamp(int level, out long timestamp)
    {
        timestamp = 0;
        return Volatile.Read(ref _returned) != 0 && _lanes[level].TryPeekTimestamp(out timestamp);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryTakeReturned(int level, out QueuedEntry entry)
    {
        if (_lanes[level].TryTake(out entry))
        {
            Interlocked.Decrement(ref _returned);
            return true;
        }

        return false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private int GetFairMask()
    {
        int mask = 0;
        for (int i = 0; i < _fair.Length; i++)
        {
            if (_fair[i] is { Count: > 0 })
            {
                mask |= 1 << i;
            }
        }

        return mask;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private int GetReturnedMask()
    {
        int mask = 0;
        for (int i = 0; i < _lanes.Length; i++)
        {
            if (_lanes[i].Count > 0)
            {
                mask |= 1 << i;
            }
        }

        return mask;
    }

    /// <summary>Returned messages of one level, oldest (first enqueued) first.</summary>
    private sealed class ReturnLane
    {
        private readonly Lock _lock = new();
        private readonly PriorityQueue<QueuedEntry, (long Timestamp, long Token, long Sequence)> _heap = new();
        private long _sequence;
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Add(in QueuedEntry entry)
        {
            lock (_lock)
            {
                _heap.Enqueue(entry, (entry.EnqueuedTimestamp, entry.Token, _sequence++));
                Volatile.Write(ref _count, _heap.Count);
            }
        }

        public bool TryTake(out QueuedEntry entry)
        {
            if (Volatile.Read(ref _count) == 0)
            {
                entry = default;
                return false;
            }

            lock (_lock)
            {
                bool taken = _heap.TryDequeue(out entry, out _);
                Volatile.Write(ref _count, _heap.Count);
                return taken;
            }
        }

        public bool TryPeekTimestamp(out long timestamp)
        {
            lock (_lock)
            {
                if (_heap.TryPeek(out _, out var priority))
                {
                    timestamp = priority.Timestamp;
                    return true;
                }
            }

            timestamp = 0;
            return false;
        }
    }
}
