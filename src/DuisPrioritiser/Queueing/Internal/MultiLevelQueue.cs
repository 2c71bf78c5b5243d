using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace DuisPrioritiser.Queueing.Internal;

/// <summary>
/// A lock-free multi-producer multi-consumer queue with a fixed number of priority levels: one
/// <see cref="LevelQueue{T}"/> FIFO per level, level 0 highest.
/// </summary>
/// <remarks>
/// <para><b>Occupancy bitmap.</b> Bit <c>i</c> of <c>_occupancy</c> is set while level <c>i</c> may hold items, so a
/// strict-priority dequeue finds its level with one load and a trailing-zero count instead of probing empty levels.
/// The bitmap is written only on transitions: a producer sets its bit (an atomic OR) only when it reads it clear, and a
/// consumer clears a bit only after a dequeue from that level fails.</para>
/// <para><b>Memory ordering.</b> Within a level see <see cref="LevelQueue{T}"/>: every enqueue and dequeue is a CAS
/// (a full fence) on the level's tail or head, and items are published with release stores of slot sequence
/// numbers. Across the bitmap the argument is Dekker's: a producer (1) claims its slot by CAS on the tail, then (2)
/// reads the bitmap and sets its bit if clear; a consumer that found the level empty (3) clears the bit with an
/// interlocked AND, then (4) re-reads the level's count and sets the bit again if it is not zero. (1) and (3) are
/// full fences, so either the producer's read (2) sees the bit cleared and sets it, or the consumer's re-read (4)
/// sees the new tail and sets it: a non-empty level never stays unmarked. The only window in which a level holds an
/// item with its bit clear is inside a producer's enqueue, between (1) and (2); the enqueue takes effect at (2).</para>
/// <para><b>Counts.</b> Per-level counts come from the levels' 64-bit head and tail positions: O(1), no walking, no
/// extra atomic operation per message. A count may include an item whose producer has claimed a slot but not yet
/// published it; such an item becomes dequeueable a few instructions later. Counts are never negative.</para>
/// <para>FIFO order holds within a level; there is no order across levels.</para>
/// </remarks>
internal sealed class MultiLevelQueue<T>
{
    private readonly LevelQueue<T>[] _levels;
    private PaddedCounter _occupancy;

    public MultiLevelQueue(int levelCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(levelCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(levelCount, 31);
        _levels = new LevelQueue<T>[levelCount];
        for (int i = 0; i < levelCount; i++)
        {
            _levels[i] = new LevelQueue<T>();
        }
    }

    public int LevelCount => _levels.Length;

    /// <summary>Gets the total number of items across levels.</summary>
    public long Count
    {
        get
        {
            long total = 0;
            foreach (var level in _levels)
            {
                total += level.Count;
            }

            return total;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enqueue(int level, T item)
    {
        Debug.Assert((uint)level < (uint)_levels.Length, "Level out of range.");
        _levels[level].Enqueue(item);
        long bit = 1L << level;
        if ((Volatile.Read(ref _occupancy.Value) & bit) == 0)
        {
            Interlocked.Or(ref _occupancy.Value, bit);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryDequeue(int level, out T item)
    {
        Debug.Assert((uint)level < (uint)_levels.Length, "Level out of range.");
        if (_levels[level].TryDequeue(out item))
        {
            return true;
        }

        MarkEmpty(level);
        return false;
    }

    /// <summary>Dequeues from the highest non-empty level (strict priority).</summary>
    public bool TryDequeueHighest(out T item, out int level)
    {
        while (true)
        {
            long mask = Volatile.Read(ref _occupancy.Value);
            if (mask == 0)
            {
                item = default!;
                level = -1;
                return false;
            }

            level = BitOperations.TrailingZeroCount(mask);
            if (_levels[level].TryDequeue(out item))
            {
                return true;
            }

            MarkEmpty(level);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long GetCount(int level) => _levels[level].Count;

    /// <summary>Reads the oldest item of <paramref name="level"/> without removing it.</summary>
    public bool TryPeek(int level, out T item) => _levels[level].TryPeek(out item);

    /// <summary>Gets the occupancy bitmap: bit <c>i</c> is set while level <c>i</c> may hold items.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int GetOccupancyMask() => (int)Volatile.Read(ref _occupancy.Value);

    /// <summary>
    /// Clears <paramref name="level"/>'s occupancy bit if the level is empty, as a failed dequeue would: for a caller
    /// that decides from the bitmap without dequeuing (the bit is otherwise cleared only by a failed dequeue).
    /// </summary>
    public void ClearIfEmpty(int level)
    {
        Debug.Assert((uint)level < (uint)_levels.Length, "Level out of range.");
        if (_levels[level].IsEmpty)
        {
            MarkEmpty(level);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void MarkEmpty(int level)
    {
        long bit = 1L << level;
        if ((Volatile.Read(ref _occupancy.Value) & bit) == 0)
        {
            return;
        }

        Interlocked.And(ref _occupancy.Value, ~bit);
        if (!_levels[level].IsEmpty)
        {
            Interlocked.Or(ref _occupancy.Value, bit);
        }
    }
}
