using System.Runtime.CompilerServices;
using DuisPrioritiser.Classification;

namespace DuisPrioritiser.Draining;

/// <summary>
/// The per-level queue state a <see cref="IDrainPolicy"/> decides from: counts and oldest waits per level,
/// read lazily (each read is O(1)), plus the current time.
/// </summary>
/// <remarks>
/// Under concurrent enqueues and releases the values are a moment's view, not a consistent snapshot across
/// levels; policies must tolerate a level that turns out empty when released from.
/// </remarks>
public readonly struct DrainState
{
    private readonly IDrainStateSource? _source;
    private readonly TimeProvider? _timeProvider;
    private readonly DateTimeOffset _fixedNow;
    private readonly int _excludedMask;

    internal DrainState(IDrainStateSource source, long timestamp, TimeProvider timeProvider)
    {
        _source = source;
        Timestamp = timestamp;
        _timeProvider = timeProvider;
    }

    private DrainState(IDrainStateSource source, DateTimeOffset fixedNow)
    {
        _source = source;
        _fixedNow = fixedNow;
    }

    private DrainState(in DrainState other, int excludedMask)
    {
        _source = other._source;
        _timeProvider = other._timeProvider;
        _fixedNow = other._fixedNow;
        Timestamp = other.Timestamp;
        _excludedMask = excludedMask;
    }

    /// <summary>Gets the scheduler's current <see cref="TrafficMode"/>.</summary>
    public TrafficMode Mode => _source?.Mode ?? TrafficMode.Normal;

    /// <summary>Gets the current time from the scheduler's <see cref="TimeProvider"/> (read when asked, not per decision).</summary>
    public DateTimeOffset Now => _timeProvider?.GetUtcNow() ?? _fixedNow;

    /// <summary>Gets the <see cref="TimeProvider.GetTimestamp"/> value at which the decision is being made.</summary>
    public long Timestamp { get; }

    /// <summary>Gets the number of messages held across all levels.</summary>
    public long TotalCount
    {
        get
        {
            long total = 0;
            for (int i = 0; i < PriorityLevels.Count; i++)
            {
                total += GetCount((PriorityLevel)i);
            }

            return total;
        }
    }

    /// <summary>Creates a state from fixed values, for testing a custom policy.</summary>
    /// <param name="counts">The count per level, highest level first; exactly <see cref="PriorityLevels.Count"/> values.</param>
    /// <param name="oldestWaits">The oldest wait per level, highest level first; empty for all zero, else exactly <see cref="PriorityLevels.Count"/> values.</param>
    /// <param name="now">The current time.</param>
    /// <param name="mode">The traffic mode.</param>
    /// <returns>The state.</returns>
    /// <exception cref="ArgumentException">A span has the wrong length or a count is negative.</exception>
    public static DrainState Create(ReadOnlySpan<long> counts, ReadOnlySpan<TimeSpan> oldestWaits = default, DateTimeOffset now = default, TrafficMode mode = TrafficMode.Normal)
    {
        if (counts.Length != PriorityLevels.Count)
        {
            throw new ArgumentException($"Expected exactly {PriorityLevels.Count} counts, highest level first.", nameof(counts));
        }

        if (!oldestWaits.IsEmpty && oldestWaits.Length != PriorityLevels.Count)
        {
            throw new ArgumentException($"Expected no oldest waits or exactly {PriorityLevels.Count}, highest level first.", nameof(oldestWaits));
        }

        foreach (long count in counts)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(count, nameof(counts));
        }

        return new DrainState(new FixedDrainStateSource(counts.ToArray(), oldestWaits.IsEmpty ? new TimeSpan[PriorityLevels.Count] : oldestWaits.ToArray(), mode), now);
    }

    /// <summary>Gets the number of messages held at <paramref name="level"/>.</summary>
    /// <param name="level">The level.</param>
    /// <returns>The count; 0 for a default state.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long GetCount(PriorityLevel level) => (_excludedMask & (1 << (int)level)) != 0 ? 0 : _source?.GetCount((int)level) ?? 0;

    /// <summary>Gets how long the oldest message at <paramref name="level"/> has waited, or <see cref="TimeSpan.Zero"/> when the level is empty.</summary>
    /// <param name="level">The level.</param>
    /// <returns>The oldest wait.</returns>
    public TimeSpan GetOldestWait(PriorityLevel level)
        => (_excludedMask & (1 << (int)level)) != 0 ? TimeSpan.Zero : _source?.GetOldestWait((int)level, Timestamp) ?? TimeSpan.Zero;

    /// <summary>
    /// Gets a running count of the messages that other schedulers sharing the backlog store (other instances on one
    /// PostgreSQL database) have released from <paramref name="level"/>: the growth between two reads is their
    /// releases in between, so a policy that keeps shares of recent releases can count every instance's, not only
    /// its own (which <see cref="IDrainPolicy.OnReleased"/> reports). 0 when the store is not shared.
    /// </summary>
    /// <param name="level">The level.</param>
    /// <returns>The running count; it may lag and may briefly read lower than before, so use only its growth.</returns>
    public long GetReleasedElsewhere(PriorityLevel level) => _source?.GetReleasedElsewhere((int)level) ?? 0;

    /// <summary>Gets a value indicating whether other schedulers share the store, that is whether <see cref="GetReleasedElsewhere"/> can grow.</summary>
    internal bool SharesReleases => _source?.SharesReleases ?? false;

    /// <summary>Gets a view of this state in which the levels of <paramref name="excludedMask"/> read as empty (used to hide throttled levels from an inner policy).</summary>
    internal DrainState Exclude(int excludedMask) => new(in this, _excludedMask | excludedMask);

    /// <summary>Gets a bitmap in which bit <c>i</c> is set while level <c>i</c> holds messages (bit 0 is Critical). O(1).</summary>
    /// <returns>The occupancy bitmap.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int GetOccupancyMask() => (_source?.GetOccupancyMask() ?? 0) & ~_excludedMask;

    private sealed class FixedDrainStateSource(long[] counts, TimeSpan[] oldestWaits, TrafficMode mode) : IDrainStateSource
    {
        public TrafficMode Mode => mode;

        public long GetCount(int level) => counts[level];

        public int GetOccupancyMask()
        {
            int mask = 0;
            for (int i = 0; i < counts.Length; i++)
            {
                mask |= counts[i] > 0 ? 1 << i : 0;
            }

            return mask;
        }

        public TimeSpan GetOldestWait(int level, long timestamp) => counts[level] == 0 ? TimeSpan.Zero : oldestWaits[level];
    }
}
