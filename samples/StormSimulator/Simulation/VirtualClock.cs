namespace StormSimulator.Simulation;

/// <summary>
/// A virtual clock whose timers the simulator can see: <see cref="NextDue"/> says when the earliest timer fires, so
/// the discrete-event loop jumps straight to the next thing that can happen instead of stepping through time.
/// </summary>
/// <remarks>
/// Written by hand because <c>FakeTimeProvider</c> (Microsoft.Extensions.TimeProvider.Testing) does not expose its
/// pending timers: driving the real release loop (whose handler calls, Polly retry delays, breaker breaks and gate
/// waits are all timers on this clock) with fixed steps would either lose precision or cost millions of empty steps.
/// Timers fire only inside <see cref="AdvanceTo"/>, in due order (ties in creation order), on the caller's thread —
/// as <c>FakeTimeProvider.Advance</c> fires them. Thread-safe: the release loop creates and cancels timers from the
/// thread pool while the simulator advances.
/// </remarks>
internal sealed class VirtualClock : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly PriorityQueue<Timer, (long Due, long Sequence)> _timers = new();
    private readonly DateTimeOffset _start;
    private long _now;
    private long _sequence;

    /// <summary>Initialises a clock reading <paramref name="start"/>.</summary>
    public VirtualClock(DateTimeOffset start) => _start = start;

    /// <summary>Gets the current virtual time in ticks from the start.</summary>
    public long Ticks => Volatile.Read(ref _now);

    /// <inheritdoc/>
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc/>
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <summary>Gets the number of times a timer has been scheduled (created or changed) so far: the simulator's sign that something is still starting.</summary>
    public long Scheduled => Volatile.Read(ref _sequence);

    /// <summary>Gets the number of timer callbacks run so far.</summary>
    public long Fired { get; private set; }

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() => _start.AddTicks(Volatile.Read(ref _now));

    /// <inheritdoc/>
    public override long GetTimestamp() => Volatile.Read(ref _now);

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new Timer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Gets the virtual time (ticks from the start) at which the earliest live timer fires, or <see cref="long.MaxValue"/>.</summary>
    public long NextDue()
    {
        lock (_lock)
        {
            while (_timers.TryPeek(out var timer, out var key))
            {
                if (timer.IsCurrent(key.Sequence))
                {
                    return key.Due;
                }

                _timers.Dequeue(); // cancelled or rescheduled: a stale entry
            }

            return long.MaxValue;
        }
    }

    /// <summary>Moves the clock to <paramref name="ticks"/> (never backwards), firing every timer due by then in order, each at its own due time.</summary>
    public void AdvanceTo(long ticks)
    {
        while (true)
        {
            Timer? timer;
            lock (_lock)
            {
                if (!_timers.TryPeek(out timer, out var key) || key.Due > ticks)
                {
                    if (ticks > _now)
                    {
                        Volatile.Write(ref _now, ticks);
                    }

                    return;
                }

                _timers.Dequeue();
                if (!timer.IsCurrent(key.Sequence))
                {
                    continue;
                }

                if (key.Due > _now)
                {
                    Volatile.Write(ref _now, key.Due);
                }

                timer.OnFiring(this);
                Fired++;
            }

            timer.Invoke();
        }
    }

    private void Schedule(Timer timer, long due, out long sequence)
    {
        sequence = ++_sequence;
        _timers.Enqueue(timer, (due, sequence));
    }

    private sealed class Timer(VirtualClock clock, TimerCallback callback, object? state) : ITimer
    {
        private long _sequence; // the live queue entry's sequence; 0 when not scheduled
        private long _period;   // ticks; 0 for a one-shot timer
        private bool _disposed;

        public bool IsCurrent(long sequence) => _sequence == sequence && !_disposed;

        /// <summary>Called under the clock's lock when this timer's entry fires: reschedules a periodic timer.</summary>
        public void OnFiring(VirtualClock owner)
        {
            if (_period > 0)
            {
                owner.Schedule(this, owner._now + _period, out _sequence);
            }
            else
            {
                _sequence = 0;
            }
        }

        public void Invoke() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._lock)
            {
                if (_disposed)
                {
                    return false;
                }

                _sequence = 0;
                _period = period == Timeout.InfiniteTimeSpan || period <= TimeSpan.Zero ? 0 : period.Ticks;
                if (dueTime != Timeout.InfiniteTimeSpan)
                {
                    clock.Schedule(this, clock._now + Math.Max(0, dueTime.Ticks), out _sequence);
                }

                return true;
            }
        }

        public void Dispose()
        {
            lock (clock._lock)
            {
                _disposed = true;
                _sequence = 0;
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
