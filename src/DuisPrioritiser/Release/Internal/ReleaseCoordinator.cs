using System.Runtime.CompilerServices;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Consolidation;
using DuisPrioritiser.Consolidation.Internal;
using DuisPrioritiser.Diagnostics;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Draining.Internal;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Storage.Internal;
using Microsoft.Extensions.Logging;

namespace DuisPrioritiser.Release.Internal;

/// <summary>
/// The release part of the scheduler: asks the drain policy which level goes next (from per-level state only), takes
/// that level's next message from the store, applies the per-alert-code throttles and recovery mode, and tells
/// readers when to wake.
/// </summary>
/// <remarks>
/// <para><b>Releasable, not just held.</b> With throttles, messages can be held but not releasable. A reader
/// therefore asks for the release delay (the policy's next token across occupied levels, and the per-code lanes'),
/// and sleeps on a <see cref="TimeProvider"/> timer for that long or until the read signal fires (a new message may
/// be releasable at once, or the mode changed), instead of spinning. A held count with no visible message (a
/// producer between reserving and publishing) is treated as releasable: it becomes visible within a few
/// instructions.</para>
/// <para><b>Shared stores.</b> With a remote store the per-level state the policy sees is the store's global state
/// plus what this scheduler has claimed and not yet released; a level chosen whose claimed messages are used up asks
/// the <see cref="RemoteBacklogBridge"/> to claim the next batch and wakes readers when it lands.</para>
/// </remarks>
internal sealed class ReleaseCoordinator : IDrainStateSource
{
    /// <summary>How often readers re-ask a policy that holds every level back without saying for how long (every 10 ms).</summary>
    private const long CustomPolicyPollsPerSecond = 100;

    private readonly IDrainPolicy _policy;
    private readonly BoundedDrainPolicy? _defaultPolicy; // the built-in traffic policy, called without interface dispatch
    private readonly LocalBacklog _backlog;
    private readonly BacklogGate _gate;
    private readonly RecoveryModeController _recovery;
    private readonly AlertCodeLanes _lanes;
    private readonly TimeProvider _timeProvider;
    private readonly RemoteBacklogBridge? _remote;
    private readonly BackendDowntime _downtime;
    private readonly EmbeddedBacklogStore? _embedded; // reads compact entries' messages back (the journal as the backlog)
    private readonly ILogger _logger;

    public ReleaseCoordinator(IDrainPolicy policy, LocalBacklog backlog, BacklogGate gate, RecoveryModeController recovery, AlertCodeLanes lanes, TimeProvider timeProvider, RemoteBacklogBridge? remote, BackendDowntime downtime, EmbeddedBacklogStore? embedded = null, ILogger? logger = null)
    {
        _embedded = embedded;
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _policy = policy;
        _defaultPolicy = policy as BoundedDrainPolicy;
        _backlog = backlog;
        _gate = gate;
        _recovery = recovery;
        _lanes = lanes;
        _timeProvider = timeProvider;
        _remote = remote;
        _downtime = downtime;
    }

    public TrafficMode Mode => _recovery.Mode;

    public long DeferredCount => _lanes.DeferredCount;

    /// <summary>Applies new per-alert-code limits (validated by the caller) to the next releases.</summary>
    public void RetuneLanes(TrafficOptions? options) => _lanes.Retune(options, _timeProvider.TimestampFrequency);

    /// <summary>Gets the consolidation of repeated alerts (a released head carries its group's repeats), or <see langword="null"/> when it is off.</summary>
    public AlertConsolidator? Consolidator { get; init; }

    /// <summary>Gets or sets the instruments; set once the scheduler is built.</summary>
    public SchedulerMetrics? Metrics { get; set; }

    /// <summary>Gets the number of messages held: this scheduler's, plus (with a shared store) the store's unclaimed ones.</summary>
    /// <remarks>
    /// With a shared store the store's side is read first: a claim moves messages from the store's side (counted there
    /// while the claim is under way) to this scheduler's, then ends the claim, so reading this side first could miss a
    /// message on both (read here before it arrived, there after the claim ended). Read in this order it may be
    /// counted twice for a moment, never zero times.
    /// </remarks>
    public long HeldCount => _remote is null ? _gate.Held : _remote.TotalDepth + _gate.Held;

    /// <summary>Gets the depth of <paramref name="level"/> the drain policy sees: its queue plus its throttled codes' lanes.</summary>
    public long GetCount(int level) => _lanes.IsEmpty ? GetQueuedCount(level) : GetQueuedCount(level) + _lanes.GetCount(level);

    /// <summary>Gets the depth of <paramref name="level"/> outside the throttled codes' lanes (snapshots and gauges count those as deferred).</summary>
    /// <remarks>With a shared store the store's side is read first, for the reason given at <see cref="HeldCount"/>.</remarks>
    public long GetQueuedCount(int level) => _remote is null ? _backlog.GetCount(level) : _remote.GetDepth(level) + _backlog.GetCount(level);

    /// <summary>Gets the levels with releasable work: a level's queue holds messages, or one of its throttled codes' lanes has a due head.</summary>
    /// <remarks>
    /// With a shared store the store's side is read first, for the reason given at <see cref="HeldCount"/>: read the
    /// other way round, a level whose only message was being claimed could read empty on both sides for a moment, and
    /// the policy would release lower work while that message sat in this scheduler's buffer.
    /// </remarks>
    public int GetOccupancyMask()
    {
        int mask = _remote is null ? 0 : _remote.GetOccupancyMask();
        mask |= _backlog.GetOccupancyMask();
        if (!_lanes.IsEmpty)
        {
            mask |= _lanes.GetDueMask(_recovery.Mode, _timeProvider.GetTimestamp());
        }

        return mask;
    }

    /// <summary>Holds an accepted message: in its alert code's lane when that code is throttled, else in its level's queue.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Hold(int level, DuisCode alertCode, in QueuedEntry entry, DuisMessage? message = null)
    {
        if (_lanes.IsEmpty || !_lanes.TryHold(level, alertCode, in entry))
        {
            _backlog.Add(level, in entry, message);
        }
    }

    public TimeSpan GetOldestWait(int level, long now)
    {
        var wait = TimeSpan.Zero;
        bool found = _backlog.TryGetOldestTimestamp(level, out long oldest);
        if (!_lanes.IsEmpty && _lanes.TryGetOldestTimestamp(level, out long held) && (!found || held < oldest))
        {
            oldest = held;
            found = true;
        }

        if (found)
        {
            wait = _timeProvider.GetElapsedTime(oldest, now);
        }

        if (_remote is not null && _remote.TryGetOldest(level, out var utc))
        {
            var remoteWait = _timeProvider.GetUtcNow() - utc;
            wait = remoteWait > wait ? remoteWait : wait;
        }

        return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
    }

    /// <summary>
    /// The oldest wait as the drain policy sees it: time the back-end was down (see <see cref="BackendDowntime"/>)
    /// does not count toward the wait bounds, so a long outage does not make every held message overdue.
    /// </summary>
    TimeSpan IDrainStateSource.GetOldestWait(int level, long timestamp)
    {
        var wait = GetOldestWait(level, timestamp);
        if (_downtime.IsEmpty || wait <= TimeSpan.Zero)
        {
            return wait;
        }

        // The oldest message's enqueue time, on the monotonic clock, for the overlap with the recorded downtime.
        long enqueued = timestamp - (long)(wait.TotalSeconds * _timeProvider.TimestampFrequency);
        long active = timestamp - enqueued - _downtime.GetOverlap(enqueued, timestamp);
        return active > 0 ? _timeProvider.GetElapsedTime(0, active) : TimeSpan.Zero;
    }

    /// <summary>Gets what other schedulers sharing the store released from <paramref name="level"/> (a running count), for the policy's shares.</summary>
    long IDrainStateSource.GetReleasedElsewhere(int level) => _remote?.GetReleasedElsewhere(level) ?? 0;

    bool IDrainStateSource.SharesReleases => _remote is { IsShared: true };

    /// <summary>Gets the wait of the oldest returned message of <paramref name="level"/> (zero when none is returned).</summary>
    public TimeSpan GetReturnedOldestWait(int level)
        => _backlog.TryGetOldestReturnedTimestamp(level, out long oldest) ? _timeProvider.GetElapsedTime(oldest) : TimeSpan.Zero;

    public bool TryDequeue(out ReleasedMessage message)
    {
        long now = _timeProvider.GetTimestamp();
        if (_recovery.IsEvaluating)
        {
            _recovery.Evaluate(HeldCount, now);
        }

        var state = new DrainState(this, now, _timeProvider);

        // A chosen level can turn out empty when another consumer wins the race for its last message (or for a
        // throttled code's token); then ask the policy again, at most once per level.
        for (int attempt = 0; attempt <= PriorityLevels.Count; attempt++)
        {
            PriorityLevel level;
            if (!(_defaultPolicy is not null ? _defaultPolicy.TrySelectLevel(in state, out level) : _policy.TrySelectLevel(in state, out level))
                || !PriorityLevels.IsDefined(level))
            {
                break;
            }

            // Throttled codes' lanes first: their heads are due (rate-limited, so they cannot starve the level).
            if ((!_lanes.IsEmpty && _lanes.TryTakeDue((int)level, _recovery.Mode, now, out var entry))
                || _backlog.TryTake((int)level, out entry))
            {
                if (!HasMessage(ref entry, level))
                {
                    continue;
                }

                if (_defaultPolicy is not null)
                {
                    _defaultPolicy.OnReleased(level, in state);
                }
                else
                {
                    _policy.OnReleased(level, in state);
                }

                message = Release(entry, level, now);
                return true;
            }

            if (_remote is not null)
            {
                // The level's next messages are in the shared store: claim them; readers wake when they land.
                _remote.RequestClaim((int)level);
                break;
            }
        }

        message = default;
        return false;
    }

    /// <summary>Releases every held message, ignoring policy and throttles: used by shutdown to hand the backlog over.</summary>
    public bool TryDequeueIgnoringPolicy(out ReleasedMessage message)
    {
        long now = _timeProvider.GetTimestamp();
        for (int level = 0; level < PriorityLevels.Count; level++)
        {
            if (_backlog.TryTake(level, out var entry) && HasMessage(ref entry, (PriorityLevel)level))
            {
                message = Release(entry, (PriorityLevel)level, now);
                return true;
            }
        }

        while (_lanes.TryTakeAny(out var held, out var heldLevel))
        {
            if (HasMessage(ref held, heldLevel))
            {
                message = Release(held, heldLevel, now);
                return true;
            }
        }

        message = default;
        return false;
    }

    /// <summary>Gets the timestamp ticks until a held message can be released: 0 for now, <see cref="long.MaxValue"/> when nothing is held.</summary>
    public long GetReleaseDelay(long now)
    {
        if (HeldCount == 0)
        {
            return long.MaxValue;
        }

        var state = new DrainState(this, now, _timeProvider);
        long delay;
        if (_policy is IThrottledDrainPolicy throttled)
        {
            delay = throttled.GetReleaseDelay(in state);
        }
        else if (state.GetOccupancyMask() == 0)
        {
            delay = long.MaxValue;
        }
        else
        {
            // A policy that cannot say when it will release (a custom one, or a wrapper hiding the built-in
            // throttle): releasable now if it would choose a level; if it holds everything back, ask it again
            // after a short poll interval rather than spinning on it.
            delay = _policy.TrySelectLevel(in state, out _) ? 0 : Math.Max(1, _timeProvider.TimestampFrequency / CustomPolicyPollsPerSecond);
        }

        if (delay != 0 && !_lanes.IsEmpty)
        {
            delay = Math.Min(delay, _lanes.GetDelay(_recovery.Mode, now));
        }

        if (delay == long.MaxValue)
        {
            // Held but nothing visible: a producer is publishing; it is releasable within instructions.
            return 0;
        }

        if (delay == 0 && _remote is not null)
        {
            if (_gate.Held == 0)
            {
                // Releasable from the shared store, but nothing is claimed here yet: claim the level the policy would
                // choose, and wait for the claim to land (it wakes readers) rather than spinning.
                return _policy.TrySelectLevel(in state, out var next) && PriorityLevels.IsDefined(next)
                    ? ClaimAndWait(_remote, next)
                    : _remote.ClaimWaitTicks;
            }

            // Lower work is held here, but the level the built-in policy chooses may have nothing here: its messages
            // are in the store or being claimed. TryDequeue would give nothing (it does not release lower work
            // instead), so claim that level and wait for the claim to land rather than tell the reader to look again
            // at once (a reader spun through thousands of empty looks per claim). The choice is peeked, so that this
            // look does not spend the overdue credit of the release that follows. (A custom or swappable policy is
            // not asked twice per release: its readers look again at once, as before.)
            if (_defaultPolicy is not null && !_gate.IsCompleted
                && _defaultPolicy.TryPeekLevel(in state, out var chosen) && PriorityLevels.IsDefined(chosen)
                && _backlog.GetCount((int)chosen) == 0 && (_lanes.IsEmpty || _lanes.GetCount((int)chosen) == 0))
            {
                return ClaimAndWait(_remote, chosen);
            }
        }

        return delay;
    }

    /// <summary>Starts a claim of <paramref name="level"/> from the shared store and gives the time to wait for it to land.</summary>
    private long ClaimAndWait(RemoteBacklogBridge remote, PriorityLevel level)
    {
        // The level's local occupancy bit may be stale (only a failed take clears it, and no take happens here): clear
        // it, or the policy would keep choosing a level empty on both sides and this scheduler would never release
        // what it holds (a PostgreSQL restart test stalled on exactly that).
        _backlog.ClearIfEmpty((int)level);
        remote.RequestClaim((int)level);
        return remote.ClaimWaitTicks;
    }

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        long state = _gate.State;
        if (((state & ~BacklogGate.CompletedBit) > 0 || (_remote is not null && state == 0 && _remote.TotalDepth > 0))
            && GetReleaseDelay(_timeProvider.GetTimestamp()) == 0)
        {
            return new ValueTask<bool>(true);
        }

        return state == BacklogGate.CompletedBit ? new ValueTask<bool>(false) : WaitToReadSlowAsync(cancellationToken);
    }

    private async ValueTask<bool> WaitToReadSlowAsync(CancellationToken cancellationToken)
    {
        _gate.BeginReadWait();
        try
        {
            while (true)
            {
                var signalled = _gate.ReadSignalled;
                long state = _gate.State;
                long delay = long.MaxValue;
                if (state == BacklogGate.CompletedBit)
                {
                    return false;
                }

                long held = (state & ~BacklogGate.CompletedBit) + (_remote is not null && (state & BacklogGate.CompletedBit) == 0 ? _remote.TotalDepth : 0);
                if (held > 0)
                {
                    long now = _timeProvider.GetTimestamp();
                    _recovery.Evaluate(held, now);
                    delay = GetReleaseDelay(now);
                    if (delay == 0)
                    {
                        return true;
                    }
                }

                if (delay == long.MaxValue && _remote is not null)
                {
                    // Nothing held here: a shared store grows elsewhere; wake on its notification or poll it.
                    delay = _remote.PollTicks;
                }

                if (delay == long.MaxValue)
                {
                    await signalled.WaitAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                // Throttled: sleep until the next token is due, or until something changes.
                var wait = TimeSpan.FromSeconds(delay / (double)_timeProvider.TimestampFrequency);
                using var timerCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var timer = Task.Delay(wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait, _timeProvider, timerCancellation.Token);
                await Task.WhenAny(signalled, timer).ConfigureAwait(false);
                await timerCancellation.CancelAsync().ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            _gate.EndReadWait();
        }
    }

    private ReleasedMessage Release(in QueuedEntry entry, PriorityLevel level, long now)
    {
        var repeats = Consolidator is { } consolidator && consolidator.IsEligible((int)level) ? TakeRepeats(consolidator, in entry, level) : null;
        _gate.OnReleased();
        var wait = _timeProvider.GetElapsedTime(entry.EnqueuedTimestamp, now);
        Metrics?.Released(level, entry.Message!.Kind, wait);
        return new ReleasedMessage(entry.Message!, level, wait, entry.Token, entry.EnqueuedTimestamp, entry.Attempts, entry.Locator, repeats);
    }

    /// <summary>
    /// Closes the group <paramref name="entry"/> heads and gives its repeats, each read back from the journal when held
    /// compactly, and each moved from held to in flight. A repeat that cannot be read is treated like a head that cannot
    /// (see <see cref="TryRead"/>): it stays live in the journal for the next start.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private AlertRepeats? TakeRepeats(AlertConsolidator consolidator, in QueuedEntry entry, PriorityLevel level)
    {
        var entries = consolidator.TakeRepeats((int)level, in entry);
        if (entries is null)
        {
            return null;
        }

        var messages = new DuisMessage[entries.Length];
        int count = 0;
        for (int i = 0; i < entries.Length; i++)
        {
            var repeat = entries[i];
            if (repeat.Message is not null || TryRead(ref repeat, level, isHead: false))
            {
                _gate.OnReleased();
                messages[count] = repeat.Message!;
                entries[count++] = repeat;
            }
        }

        if (count < entries.Length)
        {
            Array.Resize(ref messages, count);
            Array.Resize(ref entries, count);
        }

        return count == 0 ? null : new AlertRepeats(messages, entries, entry.Message!.ReceivedAt);
    }

    /// <summary>Makes sure <paramref name="entry"/> carries its message: in memory it does; a compact entry's is read back.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool HasMessage(ref QueuedEntry entry, PriorityLevel level) => entry.Message is not null || TryRead(ref entry, level);

    /// <summary>
    /// Reads a compact entry's message back from the journal. A message that cannot be read (its record is damaged,
    /// or the disk fails) is not released in this run: it stays live in the journal, where the next start finds it (and
    /// its damage is reported by recovery); it leaves this run's held count, and the error is logged (event 6016).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryRead(ref QueuedEntry entry, PriorityLevel level, bool isHead = true)
    {
        try
        {
            entry = entry with { Message = _embedded!.ReadMessage(in entry, level) };
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.JournalReadFailed(_logger, ex, entry.Token, level);
            _gate.OnReleased();
            _gate.OnAcknowledged();
            if (isHead && Consolidator is { } consolidator && consolidator.IsEligible((int)level))
            {
                // Its repeats must not wait for a release that cannot happen: each is held on its own again.
                foreach (var repeat in consolidator.DetachRepeats((int)level, in entry))
                {
                    _backlog.Add((int)level, in repeat);
                }
            }

            return false;
        }
    }
}
