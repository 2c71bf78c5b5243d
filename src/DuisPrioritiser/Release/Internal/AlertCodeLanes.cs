using System.Collections.Frozen;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Draining.Internal;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Queueing.Internal;

namespace DuisPrioritiser.Release.Internal;

/// <summary>
/// Per-alert-code release-rate limits. A drain policy sees only levels, so per-code limits are applied by the
/// scheduler at release: a released message whose code is out of tokens is moved, with its original enqueue time,
/// into its code's lane (a lock-free FIFO) instead of being handed out; it stays counted as held, so nothing is lost
/// and <see cref="IResponseReleaseScheduler.Completion"/> waits for it. A lane's head is released once its next
/// token is due, ahead of any message of a lower priority than the highest level the lane has held.
/// </summary>
/// <remarks>
/// <para>The lanes are one immutable set (a frozen map from code to lane) read through a volatile reference, so a
/// lookup is O(1) and a release checks at most one lane per configured code. <see cref="Retune"/> builds a new set
/// under a lock (rare: a configuration change) and publishes it with one write: a lane keeps its parked messages
/// and gets its new buckets; a code no longer limited keeps its lane, without buckets, so what it holds drains at
/// once; a new code gets a new lane. A reader that parks into a lane of the old set parks into the same lane object,
/// so nothing is lost across a change.</para>
/// </remarks>
internal sealed class AlertCodeLanes
{
    private readonly Lock _retuneGate = new();
    private LaneSet _set;

    private AlertCodeLanes(Lane[] lanes)
    {
        _set = new LaneSet(lanes);
    }

    public bool IsEmpty => Volatile.Read(ref _set).Lanes.Length == 0;

    public long DeferredCount
    {
        get
        {
            long total = 0;
            foreach (var lane in Volatile.Read(ref _set).Lanes)
            {
                total += lane.Queue.Count;
            }

            return total;
        }
    }

    public static AlertCodeLanes Create(TrafficOptions? options, long timestampFrequency)
        => new([.. Build(options, timestampFrequency, existing: [])]);

    /// <summary>Applies new per-code limits (validated by the caller) to the next releases.</summary>
    public void Retune(TrafficOptions? options, long timestampFrequency)
    {
        lock (_retuneGate)
        {
            var current = Volatile.Read(ref _set);
            var lanes = Build(options, timestampFrequency, current.Lanes);
            Volatile.Write(ref _set, new LaneSet([.. lanes]));
        }
    }

    private static List<Lane> Build(TrafficOptions? options, long timestampFrequency, Lane[] existing)
    {
        var lanes = new List<Lane>();
        var kept = new HashSet<DuisCode>();
        if (options is { Enabled: true })
        {
            foreach (var (text, limits) in options.AlertCodes)
            {
                if (!DuisCode.TryParse(text, out var code))
                {
                    throw new ArgumentException($"Traffic:AlertCodes key '{text}' is not a valid alert code: use 1 to 8 letters or digits, such as 8F35 or N24.", nameof(options));
                }

                var normal = TokenBucket.Create(limits?.Normal, timestampFrequency);
                var recovery = TokenBucket.Create(limits?.Recovery, timestampFrequency);
                if ((normal is null && recovery is null) || !kept.Add(code))
                {
                    continue;
                }

                var lane = Array.Find(existing, l => l.Code == code);
                if (lane is null)
                {
                    lanes.Add(new Lane(code, normal, recovery));
                }
                else
                {
                    lane.SetBuckets(normal, recovery);
                    lanes.Add(lane);
                }
            }
        }

        // A lane whose code is no longer limited keeps draining what it holds, without buckets.
        foreach (var lane in existing)
        {
            if (!kept.Contains(lane.Code) && lane.Queue.Count > 0)
            {
                lane.SetBuckets(null, null);
                lanes.Add(lane);
            }
        }

        return lanes;
    }

    /// <summary>Decides whether a message just dequeued may go out now (taking its code's token); if not, parks it.</summary>
    public bool TryPassOrPark(in QueuedEntry entry, PriorityLevel level, TrafficMode mode, long now)
    {
        var code = entry.Message.AlertCode;
        if (code.IsNone || !Volatile.Read(ref _set).ByCode.TryGetValue(code, out var lane))
        {
            return true;
        }

        var bucket = lane.Bucket(mode);
        if (bucket is null || (lane.Queue.Count == 0 && bucket.TryAcquire(now)))
        {
            return true;
        }

        // Keep the code's FIFO order: once a lane holds messages, later ones queue behind them.
        lane.Park(entry, level);
        return false;
    }

    /// <summary>Takes a parked message whose token is due, of a level at least as high as <paramref name="lowestLevel"/>.</summary>
    public bool TryTakeDue(TrafficMode mode, long now, PriorityLevel lowestLevel, out ParkedEntry parked)
    {
        foreach (var lane in Volatile.Read(ref _set).Lanes)
        {
            // Judge by the level of the message at the lane's head (an O(1) peek), not by any level the lane ever
            // held, so that a lane which once parked a High message does not later let Bulk through ahead of Normal.
            if (!lane.Queue.TryPeek(out var head) || head.Level > lowestLevel)
            {
                continue;
            }

            var bucket = lane.Bucket(mode);
            if ((bucket is null || bucket.HasToken(now)) && lane.Queue.TryDequeue(out parked))
            {
                bucket?.Consume(now);
                return true;
            }
        }

        parked = default;
        return false;
    }

    /// <summary>Gets the ticks until some parked message's token is due: 0 if now, <see cref="long.MaxValue"/> when none is parked.</summary>
    public long GetDelay(TrafficMode mode, long now)
    {
        long delay = long.MaxValue;
        foreach (var lane in Volatile.Read(ref _set).Lanes)
        {
            if (lane.Queue.Count > 0)
            {
                delay = Math.Min(delay, lane.Bucket(mode)?.GetDelay(now) ?? 0);
            }
        }

        return delay;
    }

    /// <summary>Removes every parked message, ignoring tokens (shutdown).</summary>
    public bool TryTakeAny(out ParkedEntry parked)
    {
        foreach (var lane in Volatile.Read(ref _set).Lanes)
        {
            if (lane.Queue.TryDequeue(out parked))
            {
                return true;
            }
        }

        parked = default;
        return false;
    }

    internal readonly record struct ParkedEntry(QueuedEntry Entry, PriorityLevel Level);

    private sealed class LaneSet(Lane[] lanes)
    {
        public Lane[] Lanes { get; } = lanes;

        public FrozenDictionary<DuisCode, Lane> ByCode { get; } = lanes.ToFrozenDictionary(static lane => lane.Code);
    }

    private sealed class Lane(DuisCode code, TokenBucket? normal, TokenBucket? recovery)
    {
        private Buckets _buckets = new(normal, recovery);

        public DuisCode Code { get; } = code;

        public LevelQueue<ParkedEntry> Queue { get; } = new();

        public TokenBucket? Bucket(TrafficMode mode)
        {
            var buckets = Volatile.Read(ref _buckets);
            return mode == TrafficMode.Recovery ? buckets.Recovery : buckets.Normal;
        }

        public void SetBuckets(TokenBucket? normalBucket, TokenBucket? recoveryBucket) => Volatile.Write(ref _buckets, new Buckets(normalBucket, recoveryBucket));

        public void Park(in QueuedEntry entry, PriorityLevel level) => Queue.Enqueue(new ParkedEntry(entry, level));
    }

    private sealed record Buckets(TokenBucket? Normal, TokenBucket? Recovery);
}
