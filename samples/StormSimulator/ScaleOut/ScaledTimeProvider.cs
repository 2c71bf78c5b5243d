using System.Diagnostics;

namespace StormSimulator.ScaleOut;

/// <summary>
/// Scaled time for a run on the real clock: simulated time runs <see cref="Speed"/> times faster than wall-clock time
/// from <see cref="Start"/>, stands still at t = 0 before it (while the outage backlog is accepted), and never runs
/// past <see cref="Limit"/> (the simulation's own progress: it waits there for a host that fell behind; see
/// <see cref="ScaleOutSimulation"/>). Timers are wall-clock timers with their periods divided by the speed, so
/// everything the scheduler times (waits, shares, recovery hysteresis, poll intervals, lease renewals) runs in
/// simulated units.
/// </summary>
/// <remarks>Simulated time never goes backwards: a reading is at least every earlier reading.</remarks>
internal sealed class ScaledTimeProvider : TimeProvider
{
    private readonly DateTimeOffset _origin;
    private readonly Lock _lock = new();
    private State _state = new(0, 0); // accumulated simulated ticks; Stopwatch timestamp it runs from (0: stopped)
    private long _last;
    private long _heldBackTicks;
    private long _heldSince;
    private int _valveOpenings; // Stopwatch timestamp the current hold began; 0 when not holding

    /// <summary>The longest the clock stands at its limit at a time (wall-clock): then it runs on until the limit passes it.</summary>
    public static readonly TimeSpan MaxHold = TimeSpan.FromSeconds(2);

    /// <summary>Initialises a clock that reads <paramref name="origin"/> until <see cref="Start"/>.</summary>
    /// <param name="origin">The simulated time t = 0.</param>
    /// <param name="speed">Simulated seconds per wall-clock second, greater than 0.</param>
    public ScaledTimeProvider(DateTimeOffset origin, double speed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(speed);
        _origin = origin;
        Speed = speed;
    }

    /// <summary>Gets how many simulated seconds pass per wall-clock second.</summary>
    public double Speed { get; }

    /// <summary>Gets or sets the latest simulated time (ticks since t = 0) the clock may show now; <see langword="null"/> for no limit.</summary>
    public Func<long>? Limit { get; set; }

    /// <summary>Gets the wall-clock time the clock stood at its <see cref="Limit"/> instead of running.</summary>
    public TimeSpan HeldBack => TimeSpan.FromTicks((long)(Volatile.Read(ref _heldBackTicks) / Speed));

    /// <summary>Gets how many times a hold lasted <see cref="MaxHold"/> and the clock ran on past its limit.</summary>
    public int HoldsCutShort => Volatile.Read(ref _valveOpenings);

    /// <summary>Gets the simulated time since t = 0, in ticks (0 before <see cref="Start"/>).</summary>
    public long SimulatedTicks
    {
        get
        {
            var state = Volatile.Read(ref _state);
            long ticks = state.RunningSince == 0 ? state.Accumulated : state.Accumulated + (long)(Stopwatch.GetElapsedTime(state.RunningSince).Ticks * Speed);
            if (state.RunningSince != 0 && Limit is { } limit)
            {
                long bound = limit();
                if (ticks > bound)
                {
                    ticks = HoldAt(bound);
                }
                else if (Volatile.Read(ref _heldSince) != 0)
                {
                    lock (_lock)
                    {
                        _heldSince = 0;
                    }
                }
            }

            long last = Volatile.Read(ref _last);
            while (ticks > last)
            {
                long seen = Interlocked.CompareExchange(ref _last, ticks, last);
                if (seen == last)
                {
                    return ticks;
                }

                last = seen;
            }

            return last;
        }
    }

    /// <inheritdoc />
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>Starts simulated time (t = 0 is now).</summary>
    public void Start()
    {
        lock (_lock)
        {
            if (_state.RunningSince == 0)
            {
                Volatile.Write(ref _state, new State(_state.Accumulated, Stopwatch.GetTimestamp()));
            }
        }
    }

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => _origin.AddTicks(SimulatedTicks);

    /// <inheritdoc />
    public override long GetTimestamp() => SimulatedTicks;

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        => new ScaledTimer(System.CreateTimer(callback, state, ToReal(dueTime), ToReal(period)), this);

    /// <summary>Waits until simulated time reaches <paramref name="simulatedTicks"/> (returns at once if it has).</summary>
    /// <param name="simulatedTicks">The simulated time since t = 0, in ticks.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes at or after that time.</returns>
    public async Task DelayUntilAsync(long simulatedTicks, CancellationToken cancellationToken)
    {
        while (true)
        {
            long remaining = simulatedTicks - SimulatedTicks;
            if (remaining <= 0)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromTicks(Math.Clamp((long)(remaining / Speed), TimeSpan.TicksPerMillisecond, TimeSpan.TicksPerSecond)), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Holds the clock at <paramref name="bound"/>: it runs on from there once the limit allows.</summary>
    private long HoldAt(long bound)
    {
        lock (_lock)
        {
            var state = _state;
            long now = Stopwatch.GetTimestamp();
            long ticks = state.Accumulated + (long)(Stopwatch.GetElapsedTime(state.RunningSince, now).Ticks * Speed);
            bound = Math.Max(bound, state.Accumulated);
            if (ticks > bound)
            {
                if (_heldSince == 0)
                {
                    _heldSince = now;
                }
                else if (Stopwatch.GetElapsedTime(_heldSince, now) > MaxHold)
                {
                    // Something waits for simulated time to pass (a back-off, a poll): let it run rather than hang.
                    _valveOpenings += _heldSince > 0 ? 1 : 0;
                    _heldSince = -1;
                }

                if (_heldSince > 0)
                {
                    _heldBackTicks += ticks - bound;
                    Volatile.Write(ref _state, new State(bound, now));
                    return bound;
                }

                return ticks;
            }

            _heldSince = 0;
            return ticks;
        }
    }

    /// <summary>Converts a simulated duration to wall-clock time; infinite stays infinite, a positive one stays positive.</summary>
    private TimeSpan ToReal(TimeSpan simulated)
        => simulated == Timeout.InfiniteTimeSpan || simulated <= TimeSpan.Zero ? simulated : TimeSpan.FromTicks(Math.Max(1, (long)(simulated.Ticks / Speed)));

    private sealed record State(long Accumulated, long RunningSince);

    private sealed class ScaledTimer(ITimer inner, ScaledTimeProvider clock) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(clock.ToReal(dueTime), clock.ToReal(period));

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
