using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace DuisPrioritiser.Queueing.Internal;

/// <summary>
/// A lock-free multi-producer multi-consumer queue with a fixed number of priority levels: one
/// <see cref="LevelQueue{T}"/> FIFO per level, level 0 highest.
/// </summary>
/// <remarks>
/// <para><b>Occupancy.</b> The occupancy bitmap is derived on demand from the per-level counts
/// (<see cref="GetOccupancyMask"/>) rather than maintained as a shared word. With five levels, reading five
/// counters costs about the same as reading one bitmap, while a maintained bitmap would put a second atomic
/// read-modify-write on a single cache line that every producer and consumer of every level contends for,
/// and keeping it exact under races needs a retry protocol of its own. The derived mask is exact whenever the
/// counts are.</para>
/// <para><b>Counts.</b> Per-level counts come from the levels' 64-bit head and tail positions: O(1), no walking,
/// no extra atomic operation per message. A count may include an item whose producer has claimed a slot but not
/// yet published it; such an item becomes dequeueable a few instructions later. Counts are never negative.</para>
/// <para><b>Memory ordering.</b> See <see cref="LevelQueue{T}"/>: every enqueue and dequeue is a CAS (a full
/// fence) on the level's tail or head, and items are published with release stores of slot sequence numbers.
/// Levels are independent; FIFO order holds within a level, and there is no order across levels.</para>
/// </remarks>
internal sealed class MultiLevelQueue<T>
{
    private readonly LevelQueue<T>[] _levels;

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
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryDequeue(int level, out T item)
    {
        Debug.Assert((uint)level < (uint)_levels.Length, "Level out of range.");
        return _levels[level].TryDequeue(out item);
    }

    /// <summary>Dequeues from the highest non-empty level (strict priority).</summary>
    public bool TryDequeueHighest(out T item, out int level)
    {
        var levels = _levels;
        for (int i = 0; i < levels.Length; i++)
        {
            if (levels[i].TryDequeue(out item))
            {
                level = i;
                return true;
            }
        }

        item = default!;
        level = -1;
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long GetCount(int level) => _levels[level].Count;

    /// <summary>Reads the oldest item of <paramref name="level"/> without removing it.</summary>
    public bool TryPeek(int level, out T item) => _levels[level].TryPeek(out item);

    /// <summary>Gets a bitmap with bit <c>i</c> set when level <c>i</c> holds at least one item.</summary>
    public int GetOccupancyMask()
    {
        var levels = _levels;
        int mask = 0;
        for (int i = 0; i < levels.Length; i++)
        {
            if (levels[i].Count > 0)
            {
                mask |= 1 << i;
            }
        }

        return mask;
    }
}
