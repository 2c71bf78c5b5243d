using System.Diagnostics.Metrics;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Diagnostics;
using DuisPrioritiser.Release;

namespace DuisPrioritiser.AspNetCore.Admin.Internal;

/// <summary>
/// Keeps the last hour of what the dashboard shows: once a second it takes the scheduler's snapshot (held per level)
/// and reads the library's own instruments — release, rejection and dead-letter counters, the release-wait
/// histogram, the in-flight limit — through a <see cref="MeterListener"/> limited to this application's meters (by
/// <see cref="Meter.Scope"/>, the host's <see cref="IMeterFactory"/>), so two hosts in one process never mix.
/// </summary>
/// <remarks>
/// Written by hand because no library keeps a rolling in-process history of chosen instruments; it reads the same
/// instruments OpenTelemetry exports, so the dashboard and Prometheus can never disagree about what is counted.
/// Thread-safe: measurement callbacks run on the threads that record (intake, release); counters use
/// <see cref="Interlocked"/>, the wait samples and the history are guarded by locks held for a few instructions.
/// </remarks>
internal sealed class DashboardCollector : IDisposable
{
    /// <summary>The number of one-second points kept: one hour.</summary>
    internal const int HistoryLength = 3600;

    /// <summary>The window the wait percentiles are computed over.</summary>
    internal static readonly TimeSpan WaitWindow = TimeSpan.FromSeconds(60);

    private const int WaitSamplesPerLevel = 4096;

    /// <summary>The attribute naming the level on the library's instruments (a public telemetry name).</summary>
    private const string PriorityAttribute = "duis.priority";

    /// <summary>The attribute naming why a message was refused (OpenTelemetry's <c>error.type</c>).</summary>
    private const string ErrorTypeAttribute = "error.type";

    private readonly IResponseReleaseScheduler _scheduler;
    private readonly IReleaseControl? _release;
    private readonly TimeProvider _timeProvider;
    private readonly MeterListener _listener;
    private readonly ITimer _timer;
    private readonly Lock _historyLock = new();
    private readonly DashboardPoint[] _history = new DashboardPoint[HistoryLength];
    private readonly WaitSamples[] _waits = [.. Enumerable.Range(0, PriorityLevels.Count).Select(_ => new WaitSamples())];
    private readonly Dictionary<string, long> _rejectedByReason = new(StringComparer.Ordinal);
    private long _released;
    private long _rejected;
    private long _deadLettered;
    private long _enqueued;
    private int _inFlightLimit = -1;
    private int _breakerState = -1;
    private long _sequence;
    private int _disposed;

    public DashboardCollector(IResponseReleaseScheduler scheduler, IReleaseControl? release, IMeterFactory? meterFactory, TimeProvider timeProvider, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _scheduler = scheduler;
        _release = release;
        _timeProvider = timeProvider;
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == DuisPrioritiserTelemetry.MeterName
                    && ReferenceEquals(instrument.Meter.Scope, meterFactory)
                    && instrument.Name is DuisPrioritiserTelemetry.MessagesReleased
                        or DuisPrioritiserTelemetry.MessagesRejected
                        or DuisPrioritiserTelemetry.MessagesDeadLettered
                        or DuisPrioritiserTelemetry.MessagesEnqueued
                        or DuisPrioritiserTelemetry.ReleaseWait
                        or DuisPrioritiserTelemetry.ReleaseInFlightLimit
                        or DuisPrioritiserTelemetry.BreakerState)
                {
                    listener.EnableMeasurementEvents(instrument, this);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>(static (instrument, value, tags, state) => ((DashboardCollector)state!).OnLong(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>(static (instrument, value, tags, state) => ((DashboardCollector)state!).OnLong(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>(static (instrument, value, tags, state) => ((DashboardCollector)state!).OnDouble(instrument, value, tags));
        _listener.Start();
        var period = interval ?? TimeSpan.FromSeconds(1);
        _timer = timeProvider.CreateTimer(static state => ((DashboardCollector)state!).Sample(), this, TimeSpan.Zero, period);
    }

    /// <summary>Gets the messages released since the dashboard started.</summary>
    public long Released => Interlocked.Read(ref _released);

    /// <summary>Gets the messages refused since the dashboard started (every reason).</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Gets the messages dead-lettered since the dashboard started.</summary>
    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    /// <summary>Gets the messages accepted since the dashboard started.</summary>
    public long Enqueued => Interlocked.Read(ref _enqueued);

    /// <summary>Gets the release loop's in-flight limit, or <see langword="null"/> when there is no hosted release loop.</summary>
    public int? InFlightLimit
    {
        get
        {
            _listener.RecordObservableInstruments();
            int limit = Volatile.Read(ref _inFlightLimit);
            return limit < 0 ? null : limit;
        }
    }

    /// <summary>
    /// Gets the back-end circuit breaker's state as the release loop reports it (<c>closed</c>, <c>open</c> or
    /// <c>half-open</c>), or <see langword="null"/> when there is no hosted release loop.
    /// </summary>
    public string? BreakerState
    {
        get
        {
            _listener.RecordObservableInstruments();
            return Volatile.Read(ref _breakerState) switch
            {
                0 => "closed",
                1 => "open",
                2 => "half-open",
                _ => null,
            };
        }
    }

    /// <summary>Gets the release loop's pause state, or <see langword="null"/> when it cannot be paused.</summary>
    public bool? IsPaused => _release?.IsPaused;

    /// <summary>Gets the rejections by reason since the dashboard started.</summary>
    public IReadOnlyDictionary<string, long> RejectedByReason()
    {
        lock (_rejectedByReason)
        {
            return new Dictionary<string, long>(_rejectedByReason, StringComparer.Ordinal);
        }
    }

    /// <summary>Gets the p50 and p99 release wait of <paramref name="level"/> over the last <see cref="WaitWindow"/>, in seconds; <see langword="null"/> when nothing was released in it.</summary>
    public (double P50, double P99, int Count)? GetWaitPercentiles(PriorityLevel level)
        => _waits[(int)level].Percentiles(_timeProvider.GetTimestamp(), _timeProvider);

    /// <summary>Copies the history points after sequence number <paramref name="since"/>, oldest first.</summary>
    public DashboardPoint[] GetHistory(long since)
    {
        lock (_historyLock)
        {
            long last = _sequence;
            long first = Math.Max(Math.Max(since + 1, last - HistoryLength + 1), 1);
            if (first > last)
            {
                return [];
            }

            var points = new DashboardPoint[last - first + 1];
            for (long s = first; s <= last; s++)
            {
                points[s - first] = _history[(int)(s % HistoryLength)];
            }

            return points;
        }
    }

    /// <summary>Takes one history point now (the timer calls it every second).</summary>
    internal void Sample()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        var snapshot = _scheduler.GetSnapshot();
        var counts = new long[PriorityLevels.Count];
        foreach (var level in snapshot.Levels)
        {
            if (PriorityLevels.IsDefined(level.Level))
            {
                counts[(int)level.Level] = level.Count;
            }
        }

        long released = Released;
        long rejected = Rejected;
        lock (_historyLock)
        {
            long sequence = _sequence + 1;
            var point = new DashboardPoint(sequence, snapshot.TakenAt, counts, snapshot.DeferredCount, released, rejected, snapshot.InFlight);
            _history[(int)(sequence % HistoryLength)] = point;
            _sequence = sequence;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _timer.Dispose();
        _listener.Dispose();
    }

    private static string? FindTag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == name)
            {
                return tag.Value as string;
            }
        }

        return null;
    }

    private static int LevelOf(string? priority) => priority switch
    {
        "critical" => 0,
        "high" => 1,
        "normal" => 2,
        "low" => 3,
        "bulk" => 4,
        _ => -1,
    };

    private void OnLong(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        switch (instrument.Name)
        {
            case DuisPrioritiserTelemetry.MessagesReleased:
                Interlocked.Add(ref _released, value);
                break;
            case DuisPrioritiserTelemetry.MessagesEnqueued:
                Interlocked.Add(ref _enqueued, value);
                break;
            case DuisPrioritiserTelemetry.MessagesDeadLettered:
                Interlocked.Add(ref _deadLettered, value);
                break;
            case DuisPrioritiserTelemetry.MessagesRejected:
                Interlocked.Add(ref _rejected, value);
                string reason = FindTag(tags, ErrorTypeAttribute) ?? "unknown";
                lock (_rejectedByReason)
                {
                    _rejectedByReason[reason] = _rejectedByReason.GetValueOrDefault(reason) + value;
                }

                break;
            case DuisPrioritiserTelemetry.ReleaseInFlightLimit:
                Volatile.Write(ref _inFlightLimit, (int)Math.Clamp(value, 0, int.MaxValue));
                break;
            case DuisPrioritiserTelemetry.BreakerState:
                Volatile.Write(ref _breakerState, (int)Math.Clamp(value, 0, 2));
                break;
        }
    }

    private void OnDouble(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (instrument.Name == DuisPrioritiserTelemetry.ReleaseWait && LevelOf(FindTag(tags, PriorityAttribute)) is var level and >= 0)
        {
            _waits[level].Add(_timeProvider.GetTimestamp(), value);
        }
    }

    /// <summary>The most recent release waits of one level, with when they were recorded.</summary>
    private sealed class WaitSamples
    {
        private readonly long[] _at = new long[WaitSamplesPerLevel];
        private readonly double[] _seconds = new double[WaitSamplesPerLevel];
        private int _next;
        private int _count;
        private readonly Lock _lock = new();

        public void Add(long timestamp, double seconds)
        {
            lock (_lock)
            {
                _at[_next] = timestamp;
                _seconds[_next] = seconds;
                _next = (_next + 1) % WaitSamplesPerLevel;
                _count = Math.Min(_count + 1, WaitSamplesPerLevel);
            }
        }

        public (double P50, double P99, int Count)? Percentiles(long now, TimeProvider timeProvider)
        {
            double[] window;
            lock (_lock)
            {
                var recent = new List<double>(_count);
                for (int i = 0; i < _count; i++)
                {
                    if (timeProvider.GetElapsedTime(_at[i], now) <= WaitWindow)
                    {
                        recent.Add(_seconds[i]);
                    }
                }

                window = [.. recent];
            }

            if (window.Length == 0)
            {
                return null;
            }

            Array.Sort(window);
            return (Rank(window, 0.50), Rank(window, 0.99), window.Length);
        }

        /// <summary>The nearest-rank percentile of sorted values.</summary>
        private static double Rank(double[] sorted, double quantile)
            => sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
