using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Draining.Internal;
using DuisPrioritiser.Release.Internal;

namespace DuisPrioritiser.Release;

/// <summary>Traffic management: recovery mode, per-code throttles, and readers that sleep until the next token is due.</summary>
/// <remarks>
/// <para><b>Releasable, not just held.</b> With throttles, messages can be held but not releasable. A reader
/// therefore asks for the release delay (the policy's next token across occupied levels, and the per-code lanes'),
/// and sleeps on a <see cref="TimeProvider"/> timer for that long or until the read signal fires (a new message may
/// be releasable at once, or the mode changed), instead of spinning. A held count with no visible message (a
/// producer between reserving and publishing) is treated as releasable, as before: it becomes visible within a few
/// instructions.</para>
/// </remarks>
public sealed partial class ResponseReleaseScheduler : IRecoveryControl
{
    /// <summary>How often readers re-ask a policy that holds every level back without saying for how long (every 10 ms).</summary>
    private const long CustomPolicyPollsPerSecond = 100;

    private readonly RecoveryModeController _recovery;
    private readonly AlertCodeLanes _lanes;

    /// <inheritdoc />
    public TrafficMode Mode => _recovery.Mode;

    TrafficMode IDrainStateSource.Mode => _recovery.Mode;

    /// <inheritdoc />
    public void EnterRecovery() => _recovery.Enter(Count);

    /// <inheritdoc />
    public void ExitRecovery() => _recovery.Exit(Count);

    /// <summary>Releases every held message, ignoring policy and throttles: used by shutdown to hand the backlog over.</summary>
    internal bool TryDequeueIgnoringPolicy(out ReleasedMessage message)
    {
        long now = _timeProvider.GetTimestamp();
        for (int level = 0; level < PriorityLevels.Count; level++)
        {
            if (_queue.TryDequeue(level, out var entry))
            {
                message = Release(entry, (PriorityLevel)level, now);
                return true;
            }
        }

        if (_lanes.TryTakeAny(out var held, out var heldLevel))
        {
            message = Release(held, heldLevel, now);
            return true;
        }

        message = default;
        return false;
    }

    private bool TryDequeueCore(out ReleasedMessage message)
    {
        long now = _timeProvider.GetTimestamp();
        _recovery.Evaluate(Count, now);
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
                || _queue.TryDequeue((int)level, out entry))
            {
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
        }

        message = default;
        return false;
    }

    private ReleasedMessage Release(in QueuedEntry entry, PriorityLevel level, long now)
    {
        OnReleased();
        var wait = _timeProvider.GetElapsedTime(entry.EnqueuedTimestamp, now);
        _metrics.Released(level, entry.Message.Kind, wait);
        return new ReleasedMessage(entry.Message, level, wait, entry.Token);
    }

    /// <summary>Gets the timestamp ticks until a held message can be released: 0 for now, <see cref="long.MaxValue"/> when nothing is held.</summary>
    internal long GetReleaseDelay(long now)
    {
        if (Count == 0)
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

        // Held but nothing visible: a producer is publishing; it is releasable within instructions.
        return delay == long.MaxValue ? 0 : delay;
    }

    private void OnArrival(long now) => _recovery.OnArrival(Count, now);

    private void OnModeChanged()
    {
        // Throttles differ per mode: let sleeping readers recompute their delay.
        if (Volatile.Read(ref _readWaiters) > 0)
        {
            _readSignal.Pulse();
        }
    }

    private ValueTask<bool> WaitToReadCoreAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        long state = Volatile.Read(ref _state.Value);
        if ((state & ~CompletedBit) > 0 && GetReleaseDelay(_timeProvider.GetTimestamp()) == 0)
        {
            return new ValueTask<bool>(true);
        }

        return state == CompletedBit ? new ValueTask<bool>(false) : WaitToReadSlowAsync(cancellationToken);
    }

    private async ValueTask<bool> WaitToReadSlowAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _readWaiters);
        try
        {
            while (true)
            {
                var signalled = _readSignal.WaitTask;
                long state = Volatile.Read(ref _state.Value);
                long delay = long.MaxValue;
                if ((state & ~CompletedBit) > 0)
                {
                    long now = _timeProvider.GetTimestamp();
                    _recovery.Evaluate(state & ~CompletedBit, now);
                    delay = GetReleaseDelay(now);
                    if (delay == 0)
                    {
                        return true;
                    }
                }
                else if (state == CompletedBit)
                {
                    return false;
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
            Interlocked.Decrement(ref _readWaiters);
        }
    }
}
