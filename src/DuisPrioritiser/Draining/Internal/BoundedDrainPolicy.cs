using System.Diagnostics;
using System.Numerics;
using DuisPrioritiser.Classification;

namespace DuisPrioritiser.Draining.Internal;

/// <summary>
/// Traffic management around any inner policy (strict or weighted): per-level release-rate limits per mode,
/// per-level maximum waits with overdue releases capped to a share, and per-level minimum shares while backlogged.
/// </summary>
/// <remarks>
/// <para><b>Decision</b>, O(levels), allocation-free:</para>
/// <list type="number">
/// <item>Eligible levels are the occupied ones whose token bucket for the current <see cref="DrainState.Mode"/>
/// has a token. None eligible: return <see langword="false"/> (the scheduler's readers then sleep until
/// <see cref="GetReleaseDelay"/>).</item>
/// <item>Overdue first: the highest eligible level whose oldest message (read through
/// <see cref="DrainState.GetOldestWait"/>, an O(1) peek at the head) has waited longer than its bound, if the
/// overdue credit allows. The credit grows by <c>OverdueShare</c> per release and an overdue pick costs one, so
/// overdue picks take at most that share of releases and new Critical work keeps the rest.</item>
/// <item>Minimum share: the lowest eligible level that is owed a release. Each backlogged level with a minimum share
/// earns that share of a release per release; any release from the level pays one back (floored at zero, capped at
/// one owed release, so it never bursts).</item>
/// <item>Otherwise the inner policy chooses, seeing throttled levels as empty.</item>
/// </list>
/// <para><b>Shares across instances.</b> With a shared store (several instances on one PostgreSQL database), the
/// shares count every instance's releases: on each release here, the growth of
/// <see cref="DrainState.GetReleasedElsewhere"/> since the last look is accounted as releases elsewhere (they earn
/// shares and pay back their own level's debt, exactly like local ones). Without it, a level whose backlog sits in one
/// instance's claimed batch (the others see it empty) would get its minimum share of that instance's releases only.</para>
/// <para><b>Concurrency.</b> Credits are single words changed with <see cref="Interlocked"/>; token buckets are
/// single-word GCRA states. With one consumer the shares are exact; with several, two consumers may both spend the
/// same credit or token, which skews shares slightly but never loses or duplicates a message (the queue decides
/// that) and never lets the long-run throttle rate drift, because token debts are carried forward.</para>
/// </remarks>
internal sealed class BoundedDrainPolicy : IThrottledDrainPolicy
{
    /// <summary>Credits are kept in millionths of a release.</summary>
    internal const long Unit = 1_000_000;

    /// <summary>At most this many releases elsewhere are accounted per look (a first look after a long pause is not a flood).</summary>
    private const long MaxElsewherePerLook = 4_096;

    /// <summary>At most this many owed releases are kept earned from releases elsewhere (a few claim batches' worth).</summary>
    private const long MaxElsewherePool = 32 * Unit;

    private readonly IDrainPolicy _inner;
    private readonly long[] _maxWaitTicks; // TimeSpan ticks; long.MaxValue when unbounded
    private readonly long[] _minShare;     // in Unit per release
    private readonly TokenBucket?[] _normalBuckets;
    private readonly TokenBucket?[] _recoveryBuckets;
    private readonly long _overdueShare;
    private readonly int _boundedMask;
    private readonly int _sharedMask;
    private readonly long[] _owed = new long[PriorityLevels.Count * 16]; // one per 128-byte line, index level * 16
    private readonly long[] _seenElsewhere = CreateUnseen();             // high-water mark of GetReleasedElsewhere, index level * 16
    private readonly long[] _earnedElsewhere = new long[PriorityLevels.Count * 16]; // shares earned by releases elsewhere, not yet owed
    private readonly double _timestampTicksPerTimeSpanTick;
    private readonly bool _throttlesNormal;
    private readonly bool _throttlesRecovery;
    private long _overdueCredit = Unit;
    private long _nextOverdueCheck; // timestamp before which no level can be overdue

    public BoundedDrainPolicy(IDrainPolicy inner, TrafficOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _inner = inner;
        _maxWaitTicks = new long[PriorityLevels.Count];
        _minShare = new long[PriorityLevels.Count];
        _normalBuckets = new TokenBucket?[PriorityLevels.Count];
        _recoveryBuckets = new TokenBucket?[PriorityLevels.Count];
        long frequency = timeProvider.TimestampFrequency;
        _timestampTicksPerTimeSpanTick = frequency / (double)TimeSpan.TicksPerSecond;
        for (int i = 0; i < PriorityLevels.Count; i++)
        {
            var level = options.Get((PriorityLevel)i) ?? throw new ArgumentException($"Traffic settings for {(PriorityLevel)i} must not be null.", nameof(options));
            if (level.MaxWait is { } maxWait)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(maxWait, TimeSpan.Zero, nameof(options));
                _maxWaitTicks[i] = maxWait.Ticks;
                _boundedMask |= 1 << i;
            }
            else
            {
                _maxWaitTicks[i] = long.MaxValue;
            }

            if (level.MinShare is < 0 or > 0.5 || double.IsNaN(level.MinShare))
            {
                throw new ArgumentOutOfRangeException(nameof(options), level.MinShare, $"{(PriorityLevel)i} MinShare must be between 0 and 0.5.");
            }

            _minShare[i] = (long)Math.Round(level.MinShare * Unit);
            if (_minShare[i] > 0)
            {
                _sharedMask |= 1 << i;
            }

            _normalBuckets[i] = TokenBucket.Create(level.Normal, frequency);
            _recoveryBuckets[i] = TokenBucket.Create(level.Recovery, frequency);
            _throttlesNormal |= _normalBuckets[i] is not null;
            _throttlesRecovery |= _recoveryBuckets[i] is not null;
        }

        if (options.OverdueShare is <= 0 or > 1 || double.IsNaN(options.OverdueShare))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.OverdueShare, "OverdueShare must be greater than 0 and at most 1.");
        }

        _overdueShare = (long)Math.Round(options.OverdueShare * Unit);
    }

    /// <summary>Gets the inner policy.</summary>
    public IDrainPolicy Inner => _inner;

    public bool TrySelectLevel(in DrainState state, out PriorityLevel level) => Select(in state, spend: true, out level);

    /// <summary>
    /// Gets the level <see cref="TrySelectLevel"/> would choose now, without spending the overdue credit a choice of
    /// overdue work spends: for a caller that only looks (the coordinator deciding whether a reader should wait).
    /// </summary>
    /// <remarks>A custom inner policy is still asked through its <see cref="IDrainPolicy.TrySelectLevel"/>.</remarks>
    public bool TryPeekLevel(in DrainState state, out PriorityLevel level) => Select(in state, spend: false, out level);

    private bool Select(in DrainState state, bool spend, out PriorityLevel level)
    {
        int occupied = state.GetOccupancyMask();
        int eligible = occupied & ~GetThrottledMask(occupied, state.Mode, state.Timestamp);
        if (eligible == 0)
        {
            level = default;
            return false;
        }

        // 1. Overdue work, within its share. A head's wait only grows with time (a new head is younger), so after
        // a check no level can be overdue before now + the smallest slack: skip the peeks until then. A fixed
        // state (timestamp 0, from DrainState.Create) is always checked.
        int bounded = eligible & _boundedMask;
        if (bounded != 0 && Volatile.Read(ref _overdueCredit) >= Unit
            && (state.Timestamp == 0 || state.Timestamp >= Volatile.Read(ref _nextOverdueCheck)))
        {
            long minSlack = long.MaxValue;
            for (int i = 0; i < PriorityLevels.Count; i++)
            {
                if ((_boundedMask & (1 << i)) == 0)
                {
                    continue;
                }

                long slack = _maxWaitTicks[i] - state.GetOldestWait((PriorityLevel)i).Ticks;
                if (slack < 0 && (bounded & (1 << i)) != 0)
                {
                    if (!spend || TrySpendOverdueCredit())
                    {
                        level = (PriorityLevel)i;
                        return true;
                    }

                    minSlack = 0;
                    break;
                }

                minSlack = Math.Min(minSlack, Math.Max(0, slack));
            }

            Volatile.Write(ref _nextOverdueCheck, state.Timestamp + (long)(minSlack * _timestampTicksPerTimeSpanTick));
        }

        // 2. Minimum shares: the lowest level that is owed a release.
        int shared = eligible & _sharedMask;
        for (int i = PriorityLevels.Count - 1; shared != 0 && i >= 0; i--)
        {
            if ((shared & (1 << i)) != 0 && Volatile.Read(ref _owed[i * 16]) >= Unit)
            {
                level = (PriorityLevel)i;
                return true;
            }
        }

        // 3. The inner policy, blind to throttled levels.
        if (eligible == occupied)
        {
            if (_inner is StrictPriorityDrainPolicy)
            {
                // The default inner policy, inlined: the highest occupied level.
                level = (PriorityLevel)BitOperations.TrailingZeroCount(occupied);
                return true;
            }

            return _inner.TrySelectLevel(in state, out level);
        }

        var visible = state.Exclude(occupied & ~eligible);
        return _inner.TrySelectLevel(in visible, out level);
    }

    public void OnReleased(PriorityLevel level, in DrainState state)
    {
        int index = (int)level;
        Debug.Assert((uint)index < PriorityLevels.Count, "Released from an undefined level.");
        (state.Mode == TrafficMode.Recovery ? _recoveryBuckets : _normalBuckets)[index]?.Consume(state.Timestamp);

        AddCapped(ref _overdueCredit, _overdueShare, Unit);
        for (int i = 0; i < PriorityLevels.Count; i++)
        {
            if ((_sharedMask & (1 << i)) == 0)
            {
                continue;
            }

            if (i == index)
            {
                AddFloored(ref _owed[i * 16], _minShare[i] - Unit);
            }
            else if (state.GetCount((PriorityLevel)i) > 0)
            {
                AddCapped(ref _owed[i * 16], _minShare[i], Unit);
            }
        }

        if (_sharedMask != 0 && state.SharesReleases)
        {
            AccountReleasedElsewhere(in state);
        }

        if (_inner is not StrictPriorityDrainPolicy)
        {
            _inner.OnReleased(level, in state);
        }
    }

    private static long[] CreateUnseen()
    {
        var seen = new long[PriorityLevels.Count * 16];
        for (int i = 0; i < PriorityLevels.Count; i++)
        {
            seen[i * 16] = long.MinValue; // not looked at yet: the first look sets the mark without accounting
        }

        return seen;
    }

    /// <summary>
    /// Accounts what other instances released since the last look: each earns every backlogged shared level its
    /// share, and pays back its own level's debt. The high-water mark per level makes each release elsewhere count
    /// once, also when several consumers look at once (the one whose compare-and-swap moves the mark counts it) and
    /// when the store's running count briefly falls (a fall is ignored, and what it hid is not counted twice).
    /// </summary>
    private void AccountReleasedElsewhere(in DrainState state)
    {
        Span<long> delta = stackalloc long[PriorityLevels.Count];
        long total = 0;
        for (int i = 0; i < PriorityLevels.Count; i++)
        {
            long current = state.GetReleasedElsewhere((PriorityLevel)i);
            ref long mark = ref _seenElsewhere[i * 16];
            long seen = Volatile.Read(ref mark);
            while (current > seen)
            {
                long previous = Interlocked.CompareExchange(ref mark, current, seen);
                if (previous == seen)
                {
                    delta[i] = seen == long.MinValue ? 0 : current - seen;
                    break;
                }

                seen = previous;
            }

            total += delta[i];
        }

        for (int i = 0; total != 0 && i < PriorityLevels.Count; i++)
        {
            if ((_sharedMask & (1 << i)) == 0)
            {
                continue;
            }

            // Earned on every release elsewhere while backlogged, into a pool (others' releases arrive in claim
            // batches, so a look may find dozens at once); the level's own releases elsewhere pay back from the pool,
            // then from what is owed. The pool is bounded (a few claim batches' worth), so a long look back never bursts.
            long earned = state.GetCount((PriorityLevel)i) > 0 ? (long)((double)_minShare[i] * Math.Min(total, MaxElsewherePerLook)) : 0;
            long paid = Math.Min(delta[i], MaxElsewherePerLook) * Unit;
            long remainder = AddToPool(ref _earnedElsewhere[i * 16], earned - paid);
            if (remainder < 0)
            {
                AddFloored(ref _owed[i * 16], remainder);
            }
        }

        TransferEarned(in state);
    }

    /// <summary>
    /// Moves shares earned elsewhere into what is owed, at most half a release per release here and up to one owed
    /// release: a level backlogged in this instance's claimed batch is then released here at most about every other
    /// release until its share of every instance's releases is paid, never in a burst. A level that is empty
    /// everywhere forgets what it earned (as a local share is earned only while backlogged).
    /// </summary>
    private void TransferEarned(in DrainState state)
    {
        for (int i = 0; i < PriorityLevels.Count; i++)
        {
            if ((_sharedMask & (1 << i)) == 0)
            {
                continue;
            }

            ref long pool = ref _earnedElsewhere[i * 16];
            long available = Volatile.Read(ref pool);
            if (available <= 0)
            {
                continue;
            }

            if (state.GetCount((PriorityLevel)i) == 0)
            {
                Interlocked.CompareExchange(ref pool, 0, available);
                continue;
            }

            long room = Unit - Volatile.Read(ref _owed[i * 16]);
            if (room <= 0)
            {
                continue;
            }

            long take = Math.Min(Math.Min(room, available), Unit / 2);
            if (Interlocked.CompareExchange(ref pool, available - take, available) == available)
            {
                AddCapped(ref _owed[i * 16], take, Unit);
            }
        }
    }

    /// <summary>Adds <paramref name="amount"/> to a pool kept between 0 and <see cref="MaxElsewherePool"/>; returns the part of a debit the pool could not cover (negative), else 0.</summary>
    private static long AddToPool(ref long pool, long amount)
    {
        long value = Volatile.Read(ref pool);
        while (true)
        {
            long next = Math.Clamp(value + amount, 0, MaxElsewherePool);
            long seen = Interlocked.CompareExchange(ref pool, next, value);
            if (seen == value)
            {
                return value + amount < 0 ? value + amount : 0;
            }

            value = seen;
        }
    }

    public long GetReleaseDelay(in DrainState state)
    {
        int occupied = state.GetOccupancyMask();
        if (occupied == 0)
        {
            return long.MaxValue;
        }

        var buckets = state.Mode == TrafficMode.Recovery ? _recoveryBuckets : _normalBuckets;
        long delay = long.MaxValue;
        for (int i = 0; i < PriorityLevels.Count; i++)
        {
            if ((occupied & (1 << i)) == 0)
            {
                continue;
            }

            long levelDelay = buckets[i]?.GetDelay(state.Timestamp) ?? 0;
            if (levelDelay == 0)
            {
                return 0;
            }

            delay = Math.Min(delay, levelDelay);
        }

        return delay;
    }

    private int GetThrottledMask(int occupied, TrafficMode mode, long now)
    {
        if (!(mode == TrafficMode.Recovery ? _throttlesRecovery : _throttlesNormal))
        {
            return 0;
        }

        var buckets = mode == TrafficMode.Recovery ? _recoveryBuckets : _normalBuckets;
        int throttled = 0;
        for (int i = 0; i < PriorityLevels.Count; i++)
        {
            if ((occupied & (1 << i)) != 0 && buckets[i] is { } bucket && !bucket.HasToken(now))
            {
                throttled |= 1 << i;
            }
        }

        return throttled;
    }

    private bool TrySpendOverdueCredit()
    {
        long credit = Volatile.Read(ref _overdueCredit);
        while (credit >= Unit)
        {
            long seen = Interlocked.CompareExchange(ref _overdueCredit, credit - Unit, credit);
            if (seen == credit)
            {
                return true;
            }

            credit = seen;
        }

        return false;
    }

    private static void AddCapped(ref long location, long amount, long cap)
    {
        long value = Volatile.Read(ref location);
        while (value < cap)
        {
            long seen = Interlocked.CompareExchange(ref location, Math.Min(cap, value + amount), value);
            if (seen == value)
            {
                return;
            }

            value = seen;
        }
    }

    private static void AddFloored(ref long location, long amount)
    {
        long value = Volatile.Read(ref location);
        while (true)
        {
            long seen = Interlocked.CompareExchange(ref location, Math.Max(0, value + amount), value);
            if (seen == value)
            {
                return;
            }

            value = seen;
        }
    }
}
