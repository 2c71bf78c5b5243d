using System.Diagnostics;
using DuisPrioritiser.Classification;

namespace DuisPrioritiser.Release.Internal;

/// <summary>
/// Messages acknowledged with <see cref="ReleaseOutcome.Returned"/>: held again at the front of their own level, in
/// their original order, ahead of everything queued at that level.
/// </summary>
/// <remarks>
/// <para>Written by hand (a small sorted list per level under a lock) because no library type offers "an ordered set
/// consulted before a lock-free queue": the set only ever holds the messages whose attempt failed, which is at most
/// about the in-flight limit, so the lock is uncontended and the list short.</para>
/// <para><b>Fast path.</b> <see cref="Mask"/> is one word read with <see cref="Volatile"/>: when it is zero (the
/// normal case, nothing returned) the scheduler's release path costs one read. It is written under the lock, after
/// the list changes, so a reader that sees a bit set and takes the lock finds the list in the state the bit says, and
/// a reader that misses a bit set an instant ago finds the message on its next call.</para>
/// </remarks>
internal sealed class ReturnedEntries
{
    private readonly Lock _gate = new();
    private readonly List<ReturnedEntry>[] _levels;
    private int _mask;
    private long _count;

    public ReturnedEntries(int levelCount)
    {
        _levels = new List<ReturnedEntry>[levelCount];
        for (int i = 0; i < levelCount; i++)
        {
            _levels[i] = [];
        }
    }

    /// <summary>Gets a bit per level that holds returned messages.</summary>
    public int Mask => Volatile.Read(ref _mask);

    /// <summary>Gets the number of returned messages held.</summary>
    public long Count => Volatile.Read(ref _count);

    /// <summary>Holds <paramref name="entry"/> at the front of <paramref name="level"/>, ordered by its original enqueue time.</summary>
    public void Add(PriorityLevel level, in QueuedEntry entry, int attempts)
    {
        lock (_gate)
        {
            var list = _levels[(int)level];
            int index = list.Count;
            while (index > 0 && IsAfter(list[index - 1].Entry, entry))
            {
                index--;
            }

            list.Insert(index, new ReturnedEntry(entry, attempts));
            _count++;
            Volatile.Write(ref _mask, _mask | (1 << (int)level));
        }
    }

    /// <summary>Takes the oldest returned message at <paramref name="level"/>.</summary>
    public bool TryTake(int level, out ReturnedEntry entry)
    {
        if ((Volatile.Read(ref _mask) & (1 << level)) == 0)
        {
            entry = default;
            return false;
        }

        lock (_gate)
        {
            var list = _levels[level];
            if (list.Count == 0)
            {
                entry = default;
                return false;
            }

            entry = list[0];
            list.RemoveAt(0);
            _count--;
            if (list.Count == 0)
            {
                Volatile.Write(ref _mask, _mask & ~(1 << level));
            }

            Debug.Assert(_count >= 0, "Returned count went negative.");
            return true;
        }
    }

    /// <summary>Reads the oldest returned message at <paramref name="level"/> without taking it.</summary>
    public bool TryPeek(int level, out ReturnedEntry entry)
    {
        if ((Volatile.Read(ref _mask) & (1 << level)) == 0)
        {
            entry = default;
            return false;
        }

        lock (_gate)
        {
            var list = _levels[level];
            if (list.Count == 0)
            {
                entry = default;
                return false;
            }

            entry = list[0];
            return true;
        }
    }

    /// <summary>Gets the number of returned messages at <paramref name="level"/>.</summary>
    public long GetCount(int level)
    {
        if ((Volatile.Read(ref _mask) & (1 << level)) == 0)
        {
            return 0;
        }

        lock (_gate)
        {
            return _levels[level].Count;
        }
    }

    private static bool IsAfter(in QueuedEntry existing, in QueuedEntry added)
        => existing.EnqueuedTimestamp > added.EnqueuedTimestamp
            || (existing.EnqueuedTimestamp == added.EnqueuedTimestamp && existing.Token > added.Token);
}

/// <summary>A returned message and how many of its releases have failed so far.</summary>
internal readonly record struct ReturnedEntry(QueuedEntry Entry, int Attempts);
