using DuisPrioritiser.Classification;
using DuisPrioritiser.Release;

namespace StormSimulator.Simulation;

/// <summary>
/// The back-end as the release loop's <see cref="IResponseHandler"/>: each call takes the scenario's latency on the
/// virtual clock; during the <see cref="BackendOutage"/> every call fails at once, asynchronously, like a refused
/// connection or a 503. Records each message's wait (arrival to the first call that reached a working back-end),
/// every call made during the outage, and the release order once the back-end has returned.
/// </summary>
/// <remarks>Handler calls come from the release loop on thread-pool threads: all bookkeeping takes one lock.</remarks>
internal sealed class SimulatedBackEnd : IResponseHandler
{
    private const byte Critical = (byte)PriorityLevel.Critical;
    private readonly Lock _lock = new();
    private readonly VirtualClock _clock;
    private readonly ArrivalTrace _trace;
    private readonly ScenarioOptions _options;
    private readonly BackendOutage? _outage;
    private readonly long _callTicks;
    private readonly Random _random;
    private readonly int[] _handled;
    private readonly long[] _arrivedByLevel = new long[PriorityLevels.Count];
    private readonly long[] _releasedByLevel = new long[PriorityLevels.Count];
    private long _arrived;
    private long _released;
    private bool _windowOpen;
    private bool _windowClosed;

    public SimulatedBackEnd(VirtualClock clock, ArrivalTrace trace, ScenarioOptions options, BackendOutage? outage)
    {
        _clock = clock;
        _trace = trace;
        _options = options;
        _outage = outage;
        _callTicks = Math.Max(1, (long)Math.Round(options.Workers * (double)TimeSpan.TicksPerSecond / options.Capacity));
        _random = new Random(options.Seed + 1);
        _handled = new int[trace.Count];
        WaitTicks = new long[trace.Count];
        Array.Fill(WaitTicks, -1L);
    }

    /// <summary>Gets each message's wait in ticks: from arrival to the start of its first call while the back-end was up; -1 until then.</summary>
    public long[] WaitTicks { get; }

    /// <summary>Gets all handler calls made.</summary>
    public long Calls { get; private set; }

    /// <summary>Gets the handler calls made while the back-end was down (each failed).</summary>
    public long CallsDuringOutage { get; private set; }

    /// <summary>Gets the calls that failed (outage and <c>--failure-rate</c>).</summary>
    public long Failures { get; private set; }

    /// <summary>Gets the number of messages handled successfully at least once.</summary>
    public int HandledDistinct { get; private set; }

    /// <summary>Gets the number of successful handlings beyond the first of a message (0 when exactly once).</summary>
    public int Duplicates { get; private set; }

    /// <summary>Gets the releases whose level differed from the trace's classification.</summary>
    public long LevelMismatches { get; private set; }

    /// <summary>Gets the number of handler calls started and not yet finished.</summary>
    public int Running { get; private set; }

    /// <summary>Gets the time (ticks) the outage backlog was first all released, or -1.</summary>
    public long ClearTicks { get; private set; } = -1;

    /// <summary>Gets the busy worker time of successful calls that started before the backlog cleared, in ticks.</summary>
    public long BusyTicksBeforeClear { get; private set; }

    /// <summary>Gets how many Critical messages were waiting (arrived, not yet released to a working back-end) when the back-end returned; -1 without an outage or before it ended.</summary>
    public long CriticalHeldAtRecovery { get; private set; } = -1;

    /// <summary>Gets the releases from the back-end's return until no Critical message was held.</summary>
    public long WindowReleases { get; private set; }

    /// <summary>Gets the Critical releases among <see cref="WindowReleases"/>.</summary>
    public long WindowCriticalReleases { get; private set; }

    /// <summary>Gets the position (0-based, within the window) of the first non-Critical release after the return, or -1.</summary>
    public long FirstNonCriticalInWindow { get; private set; } = -1;

    /// <summary>Tells the back-end that message <paramref name="index"/> has arrived (was enqueued), for the held counts.</summary>
    public void OnArrived(int index)
    {
        lock (_lock)
        {
            _arrived++;
            _arrivedByLevel[_trace.Levels[index]]++;
        }
    }

    /// <summary>Gets the messages held per level (arrived, not yet released to a working back-end), highest first.</summary>
    public long[] HeldByLevel()
    {
        lock (_lock)
        {
            var held = new long[PriorityLevels.Count];
            for (int i = 0; i < held.Length; i++)
            {
                held[i] = _arrivedByLevel[i] - _releasedByLevel[i];
            }

            return held;
        }
    }

    /// <summary>Gets how many times message <paramref name="index"/> was handled successfully.</summary>
    public int HandledCount(int index) => Volatile.Read(ref _handled[index]);

    public async ValueTask HandleAsync(ReleasedMessage message, CancellationToken cancellationToken)
    {
        int index = _trace.IndexOf(message.Message);
        long now = _clock.Ticks;
        bool down = _outage is { } outage && outage.Contains(now);
        long duration = _callTicks;
        lock (_lock)
        {
            Calls++;
            if (down)
            {
                CallsDuringOutage++;
                Failures++;
            }
            else
            {
                OnReachedBackEnd(message, index, now);
                if (_options.LatencyJitter > 0)
                {
                    duration = Math.Max(1, (long)Math.Round(_callTicks * (1 + (_options.LatencyJitter * ((2 * _random.NextDouble()) - 1)))));
                }

                Running++;
            }
        }

        if (down)
        {
            // A refused connection: the failure arrives asynchronously, at once.
            await Task.Yield();
            throw new HttpRequestException("503 Service Unavailable (simulated back-end outage)");
        }

        bool failed;
        try
        {
            await Task.Delay(TimeSpan.FromTicks(duration), _clock, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_lock)
            {
                Running--;
                failed = _options.FailureRate > 0 && _random.NextDouble() < _options.FailureRate;
                if (failed)
                {
                    Failures++;
                }
                else
                {
                    if (++_handled[index] == 1)
                    {
                        HandledDistinct++;
                    }
                    else
                    {
                        Duplicates++;
                    }

                    if (ClearTicks < 0 || now < ClearTicks)
                    {
                        BusyTicksBeforeClear += duration;
                    }
                }
            }
        }

        if (failed)
        {
            throw new HttpRequestException("500 Internal Server Error (simulated --failure-rate)");
        }
    }

    /// <summary>Under the lock: the first call of a message that reached a working back-end is its release.</summary>
    private void OnReachedBackEnd(ReleasedMessage message, int index, long now)
    {
        if (WaitTicks[index] >= 0)
        {
            return; // a retry after a --failure-rate failure
        }

        byte level = _trace.Levels[index];
        if ((byte)message.Level != level)
        {
            LevelMismatches++;
        }

        WaitTicks[index] = now - _trace.ArrivalTicks[index];
        _released++;
        _releasedByLevel[level]++;
        if (ClearTicks < 0 && _released == _arrived && _arrived >= _trace.BacklogCount)
        {
            ClearTicks = now;
        }

        if (_outage is null || now < _outage.EndTicks || _windowClosed)
        {
            return;
        }

        if (!_windowOpen)
        {
            // The first release after the back-end returned: Critical held now is what the outage left.
            _windowOpen = true;
            CriticalHeldAtRecovery = _arrivedByLevel[Critical] - (_releasedByLevel[Critical] - (level == Critical ? 1 : 0));
            if (CriticalHeldAtRecovery == 0)
            {
                _windowClosed = true;
                return;
            }
        }

        WindowReleases++;
        if (level == Critical)
        {
            WindowCriticalReleases++;
        }
        else if (FirstNonCriticalInWindow < 0)
        {
            FirstNonCriticalInWindow = WindowReleases - 1;
        }

        if (_arrivedByLevel[Critical] == _releasedByLevel[Critical])
        {
            _windowClosed = true; // no Critical message held any more
        }
    }
}
