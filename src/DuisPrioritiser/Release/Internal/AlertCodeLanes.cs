using System.Collections.Frozen;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Draining.Internal;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Queueing.Internal;
using DuisPrioritiser.Storage.Internal;

namespace DuisPrioritiser.Release.Internal;

/// <summary>
/// Per-alert-code release-rate limits. A drain policy sees only levels, so per-code limits are applied to where the
/// messages are held: every message of a throttled code is routed <b>at intake</b> into its code's lane for its
/// level (a lock-free FIFO), instead of the level's queue, and a lane's head is released only when the code's next
/// token is due. It stays counted as held, so nothing is lost and <see cref="IResponseReleaseScheduler.Completion"/>
/// waits for it.
/// </summary>
/// <remarks>
/// <para><b>Order within a code.</b> All messages of a code and level pass through one linearizable FIFO, and a
/// reader releases only that FIFO's head; so if one message's enqueue returned before another's began, the first is
/// released first. (Routing at release instead, "pass if the lane is empty and a token is free, else park", is not
/// atomic with the level dequeue: with two readers, a later message could pass while an earlier one was being
/// parked, or two parks could land out of order.) A throttle may reorder different codes, never one code.</para>
/// <para><b>What the policy sees.</b> A lane's messages count in their level's depth and oldest wait
/// (<see cref="GetCount"/>, <see cref="TryGetOldestTimestamp"/>); a level is occupied for the policy when its queue
/// holds messages or one of its lanes has a due head (<see cref="GetDueMask"/>), so a throttled code never blocks
/// the levels below it while it waits for a token.</para>
/// <para><b>Tokens.</b> One bucket per code and mode, shared by the code's levels. A reader tests for a token,
/// dequeues the head, then charges the token; two readers racing for the last token may both release, leaving a
/// debt that delays the next token, so the long-run rate holds.</para>
/// <para>The lanes are one immutable set (a frozen map from code to lane) read through a volatile reference, so
/// routing is one O(1) lookup, and only when a throttle is configured; with none (the default) the scheduler skips
/// this type entirely. <see cref="Retune"/> builds a new set under a lock (rare: a configuration change) and
/// publishes it with one write: a lane keeps what it holds and gets its new buckets; a code no longer limited keeps
/// its lane while it holds messages, without buckets, so what it holds drains at once and later ones queue behind it;
/// a new code gets a new lane (messages of that code already in a level's queue are released from there, so only at
/// the moment of such a change can one code's older and newer messages cross). A producer that routes into a lane of
/// the old set routes into the same lane object, so nothing is lost across a change.</para>
/// </remarks>
internal sealed class AlertCodeLanes
{
    private readonly Lock _retuneGate = new();
    private LaneSet _set;

    private AlertCodeLanes(Lane[] lanes)
    {
        _set = new LaneSet(lanes);
    }

    /// <summary>Gets a value indicating whether no code is throttled and no lane holds anything (nothing is routed here).</summary>
    public bool IsEmpty => Volatile.Read(ref _set).Lanes.Length == 0;

    /// <summary>Gets the number of messages held in lanes.</summary>
    public long DeferredCount
    {
        get
        {
            long total = 0;
            foreach (var lane in Volatile.Read(ref _set).Lanes)
            {
                total += lane.Count;
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
            if (!lanes.Contains(lane) && lane.HasAny)
            {
                lane.SetBuckets(null, null);
                lanes.Add(lane);
            }
        }

        return lanes;
    }

    /// <summary>Holds <paramref name="entry"/> in its code's lane when its code is throttled; otherwise returns <see langword="false"/> and the caller queues it at its level.</summary>
    public bool TryHold(int level, DuisCode code, in QueuedEntry entry)
    {
        if (code.IsNone || !Volatile.Read(ref _set).ByCode.TryGetValue(code, out var lane))
        {
            return false;
        }

        HoldIn(lane, level, entry);
        return true;
    }

    /// <summary>Gets the lane that holds <paramref name="code"/> now (for the test of a hold racing a retune), or <see langword="null"/>.</summary>
    internal object? LaneOf(DuisCode code) => Volatile.Read(ref _set).ByCode.GetValueOrDefault(code);

    /// <summary>Holds <paramref name="entry"/> in <paramref name="lane"/>, a lane looked up earlier (the second half of <see cref="TryHold"/>, for the test of a hold racing a retune).</summary>
    internal void HoldIn(object lane, int level, in QueuedEntry entry) => HoldIn((Lane)lane, level, entry);

    private void HoldIn(Lane lane, int level, in QueuedEntry entry)
    {
        lane.Queues[level].Enqueue(entry);

        // A retune that ran between the lookup above and this enqueue may have dropped the lane (it held nothing when
        // the new set was built): put it back, or what was just held would sit where no reader looks.
        if (Array.IndexOf(Volatile.Read(ref _set).Lanes, lane) < 0)
        {
            Readopt(lane);
        }
    }

    private void Readopt(Lane lane)
    {
        lock (_retuneGate)
        {
            var current = Volatile.Read(ref _set);
            if (Array.IndexOf(current.Lanes, lane) < 0)
            {
                if (!current.ByCode.ContainsKey(lane.Code))
                {
                    lane.SetBuckets(null, null); // its code is no longer limited: drain what it holds
                }

                Volatile.Write(ref _set, new LaneSet([.. current.Lanes, lane]));
            }
        }
    }

    /// <summary>Takes the head of a lane of <paramref name="level"/> whose code has a token due, charging the token.</summary>
    public bool TryTakeDue(int level, TrafficMode mode, long now, out QueuedEntry entry)
    {
        foreach (var lane in Volatile.Read(ref _set).Lanes)
        {
            var queue = lane.Queues[level];
            if (queue.IsEmpty)
            {
                continue;
            }

            var bucket = lane.Bucket(mode);
            if ((bucket is null || bucket.HasToken(now)) && queue.TryDequeue(out entry))
            {
                bucket?.Consume(now);
                return true;
            }
        }

        entry = default;
        return false;
    }

    /// <summary>Gets the levels with a lane whose head could be released now.</summary>
    public int GetDueMask(TrafficMode mode, long now)
    {
        int mask = 0;
        foreach (var lane in Volatile.Read(ref _set).Lanes)
        {
            var bucket = lane.Bucket(mode);
            if (bucket is not null && !bucket.HasToken(now))
            {
                continue;
            }

            for (int level = 0; level < PriorityLevels.Count; level++)
            {
                if (!lane.Queues[level].IsEmpty)
                {
                    mask |= 1 << level;
                }
            }
        }

        return mask;
    }

    /// <summary>Gets the number of messages of <paramref name="level"/> held in lanes, due or not.</summary>
    public long GetCount(int level)
    {
        long total = 0;
        foreach (var lane in Volatile.Read(ref _set).Lanes)
        {
            total += lane.Queues[level].Count;
        }

        return total;
    }

    /// <summary>Reads the enqueue timestamp of the oldest lane-held message of <paramref name="level"/>.</summary>
    public bool TryGetOldestTimestamp(int level, out long timestamp)
    {
        bool found = false;
        timestamp = long.MaxValue;
        foreach (var lane in Volatile.Read(ref _set).Lanes)
        {
            var queue = lane.Queues[level];
            if (!queue.IsEmpty && queue.TryPeek(out var head) && head.IsHeld)
            {
                timestamp = Math.Min(timestamp, head.EnqueuedTimestamp);
                found = true;
            }
        }

        return found;
    }

    /// <summary>Gets the ticks until some lane-held message's token is due: 0 if now, <see cref="long.MaxValue"/> when none is held.</summary>
    public long GetDelay(TrafficMode mode, long now)
    {
        long delay = long.MaxValue;
        foreach (var lane in Volatile.Read(ref _set).Lanes)
        {
            if (lane.HasAny)
            {
                delay = Math.Min(delay, lane.Bucket(mode)?.GetDelay(now) ?? 0);
            }
        }

        return delay;
    }

    /// <summary>Removes a lane-held message, ignoring tokens (shutdown), highest level first.</summary>
    public bool TryTakeAny(out QueuedEntry entry, out PriorityLevel level)
    {
        var lanes = Volatile.Read(ref _set).Lanes;
        for (int i = 0; i < PriorityLevels.Count; i++)
        {
            foreach (var lane in lanes)
            {
                if (lane.Queues[i].TryDequeue(out entry))
                {
                    level = (PriorityLevel)i;
                    return true;
                }
            }
        }

        entry = default;
        level = default;
        return false;
    }

    private sealed class LaneSet(Lane[] lanes)
    {
        public Lane[] Lanes { get; } = lanes;

        // New holds go to the first lane of a code; a lane re-adopted after a retune race may share its code and only drains.
        public FrozenDictionary<DuisCode, Lane> ByCode { get; } = lanes.GroupBy(static lane => lane.Code).ToFrozenDictionary(static g => g.Key, static g => g.First());
    }

    private sealed class Lane
    {
        private Buckets _buckets;

        public Lane(DuisCode code, TokenBucket? normal, TokenBucket? recovery)
        {
            Code = code;
            _buckets = new Buckets(normal, recovery);
            Queues = new LevelQueue<QueuedEntry>[PriorityLevels.Count];
            for (int i = 0; i < Queues.Length; i++)
            {
                Queues[i] = new LevelQueue<QueuedEntry>();
            }
        }

        public DuisCode Code { get; }

        /// <summary>Gets one FIFO per level (a code's messages normally share one level; a custom classifier may spread them).</summary>
        public LevelQueue<QueuedEntry>[] Queues { get; }

        public long Count
        {
            get
            {
                long total = 0;
                foreach (var queue in Queues)
                {
                    total += queue.Count;
                }

                return total;
            }
        }

        public bool HasAny => Count > 0;

        public TokenBucket? Bucket(TrafficMode mode)
        {
            var buckets = Volatile.Read(ref _buckets);
            return mode == TrafficMode.Recovery ? buckets.Recovery : buckets.Normal;
        }

        public void SetBuckets(TokenBucket? normalBucket, TokenBucket? recoveryBucket) => Volatile.Write(ref _buckets, new Buckets(normalBucket, recoveryBucket));
    }

    private sealed record Buckets(TokenBucket? Normal, TokenBucket? Recovery);
}
