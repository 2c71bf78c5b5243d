using System.Diagnostics;
using System.Diagnostics.Metrics;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Diagnostics;

/// <summary>
/// The scheduler's instruments on the <c>DuisPrioritiser</c> meter. Created from <see cref="IMeterFactory"/> when
/// one is available (the host's), otherwise from a meter this instance owns and disposes. Recording is a no-op
/// costing one branch when nobody listens.
/// </summary>
internal sealed class SchedulerMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _enqueued;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _released;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _consolidated;
    private readonly Histogram<double> _wait;

    public SchedulerMetrics(IMeterFactory? meterFactory, ISchedulerGauges gauges)
    {
        ArgumentNullException.ThrowIfNull(gauges);
        _meter = CreateMeter(meterFactory, out _ownsMeter);
        _enqueued = _meter.CreateCounter<long>(DuisPrioritiserTelemetry.MessagesEnqueued, "{message}", "Messages accepted.");
        _rejected = _meter.CreateCounter<long>(DuisPrioritiserTelemetry.MessagesRejected, "{message}", "Messages refused (at capacity, completed, invalid, or journal failure).");
        _released = _meter.CreateCounter<long>(DuisPrioritiserTelemetry.MessagesReleased, "{message}", "Messages released.");
        _duplicates = _meter.CreateCounter<long>(DuisPrioritiserTelemetry.MessagesDuplicate, "{message}", "Redelivered duplicates suppressed.");
        _consolidated = _meter.CreateCounter<long>(DuisPrioritiserTelemetry.AlertsConsolidated, "{message}", "Accepted alerts attached to a held alert of the same device and code.");
        _wait = _meter.CreateHistogram(
            DuisPrioritiserTelemetry.ReleaseWait,
            "s",
            "Time from acceptance to release.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.01, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200] });
        // Held and in-flight counts add up across instances (the fleet's backlog is the sum): up-down counters, not gauges.
        _meter.CreateObservableUpDownCounter(DuisPrioritiserTelemetry.QueueDepth, () => ObserveDepth(gauges), "{message}", "Messages held, by priority.");
        _meter.CreateObservableUpDownCounter(DuisPrioritiserTelemetry.QueueDeferred, gauges.GetDeferred, "{message}", "Messages held back by a per-alert-code throttle (also counted as held).");
        _meter.CreateObservableGauge(DuisPrioritiserTelemetry.QueueOldestWait, () => ObserveOldestWait(gauges), "s", "Wait of the oldest held message, by priority.");
        _meter.CreateObservableUpDownCounter(DuisPrioritiserTelemetry.ReleaseInFlight, gauges.GetInFlight, "{message}", "Released messages not yet acknowledged.");
        _meter.CreateObservableGauge(DuisPrioritiserTelemetry.RecoveryMode, gauges.GetRecoveryMode, description: "1 while in Recovery mode, 0 in Normal operation.");
    }

    /// <summary>Creates the library's meter: from the factory when there is one (it owns and caches it), else a new one.</summary>
    internal static Meter CreateMeter(IMeterFactory? meterFactory, out bool owned)
    {
        string? version = typeof(SchedulerMetrics).Assembly.GetName().Version?.ToString();
        owned = meterFactory is null;
        return meterFactory?.Create(new MeterOptions(DuisPrioritiserTelemetry.MeterName) { Version = version })
            ?? new Meter(DuisPrioritiserTelemetry.MeterName, version);
    }

    public void Enqueued(PriorityLevel level, DuisMessageKind kind)
    {
        if (_enqueued.Enabled)
        {
            _enqueued.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Priority, TelemetryTags.Of(level)), new KeyValuePair<string, object?>(TelemetryTags.Kind, TelemetryTags.Of(kind)));
        }
    }

    public void Rejected(string reason, DuisMessageKind? kind)
    {
        if (_rejected.Enabled)
        {
            var tags = new TagList { { TelemetryTags.ErrorType, reason } };
            if (kind is { } k)
            {
                tags.Add(TelemetryTags.Kind, TelemetryTags.Of(k));
            }

            _rejected.Add(1, tags);
        }
    }

    public void Released(PriorityLevel level, DuisMessageKind kind, TimeSpan wait)
    {
        if (!_released.Enabled && !_wait.Enabled)
        {
            return;
        }

        var priority = new KeyValuePair<string, object?>(TelemetryTags.Priority, TelemetryTags.Of(level));
        if (_released.Enabled)
        {
            _released.Add(1, priority, new KeyValuePair<string, object?>(TelemetryTags.Kind, TelemetryTags.Of(kind)));
        }

        if (_wait.Enabled)
        {
            _wait.Record(wait.TotalSeconds, priority);
        }
    }

    public void Duplicate(DuisMessageKind kind)
    {
        if (_duplicates.Enabled)
        {
            _duplicates.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Kind, TelemetryTags.Of(kind)));
        }
    }

    public void Consolidated(PriorityLevel level, DuisCode alertCode)
    {
        if (_consolidated.Enabled)
        {
            _consolidated.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Priority, TelemetryTags.Of(level)), new KeyValuePair<string, object?>(TelemetryTags.AlertCode, alertCode.ToString()));
        }
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private static IEnumerable<Measurement<long>> ObserveDepth(ISchedulerGauges gauges)
    {
        for (int i = 0; i < PriorityLevels.Count; i++)
        {
            yield return new Measurement<long>(gauges.GetDepth(i), new KeyValuePair<string, object?>(TelemetryTags.Priority, TelemetryTags.Of((PriorityLevel)i)));
        }
    }

    private static IEnumerable<Measurement<double>> ObserveOldestWait(ISchedulerGauges gauges)
    {
        for (int i = 0; i < PriorityLevels.Count; i++)
        {
            yield return new Measurement<double>(gauges.GetOldestWait(i).TotalSeconds, new KeyValuePair<string, object?>(TelemetryTags.Priority, TelemetryTags.Of((PriorityLevel)i)));
        }
    }
}
