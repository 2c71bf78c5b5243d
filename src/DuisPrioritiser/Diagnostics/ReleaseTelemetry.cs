using System.Diagnostics;
using System.Diagnostics.Metrics;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;

namespace DuisPrioritiser.Diagnostics;

/// <summary>
/// The hosted release loop's telemetry: a span around each handler call (carrying the DUIS ids), handler duration,
/// dead-letter counts and the in-flight limit gauge.
/// </summary>
internal sealed class ReleaseTelemetry : IDisposable
{
    internal static readonly ActivitySource ActivitySource = new(
        DuisPrioritiserTelemetry.ActivitySourceName,
        typeof(ReleaseTelemetry).Assembly.GetName().Version?.ToString());

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _deadLettered;
    private readonly Histogram<double> _handlerDuration;

    public ReleaseTelemetry(IMeterFactory? meterFactory, Func<int> inFlightLimit)
    {
        ArgumentNullException.ThrowIfNull(inFlightLimit);
        _meter = SchedulerMetrics.CreateMeter(meterFactory, out _ownsMeter);
        _deadLettered = _meter.CreateCounter<long>(DuisPrioritiserTelemetry.MessagesDeadLettered, "{message}", "Messages given to the dead-letter sink.");
        _handlerDuration = _meter.CreateHistogram(
            DuisPrioritiserTelemetry.HandlerDuration,
            "s",
            "Duration of one handler call.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        _meter.CreateObservableGauge(DuisPrioritiserTelemetry.ReleaseInFlightLimit, inFlightLimit, "{message}", "The release loop's current in-flight limit.");
    }

    /// <summary>Starts the span for one handler call, or returns <see langword="null"/> when nobody listens.</summary>
    public static Activity? StartHandle(in ReleasedMessage message, int attempt)
    {
        if (!ActivitySource.HasListeners())
        {
            return null;
        }

        // The span links to the trace of the request that delivered the message (captured at intake), so a trace
        // viewer can go from a release back to the DCC's delivery, possibly hours earlier.
        var intake = message.Message.IntakeTraceContext;
        var activity = intake is { } context
            ? ActivitySource.StartActivity("duis_prioritiser.handle", ActivityKind.Internal, parentContext: default, links: [new ActivityLink(context)])
            : ActivitySource.StartActivity("duis_prioritiser.handle", ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            var duis = message.Message;
            activity.SetTag(TelemetryTags.Priority, TelemetryTags.Of(message.Level));
            activity.SetTag(TelemetryTags.Kind, TelemetryTags.Of(duis.Kind));
            activity.SetTag(TelemetryTags.RequestId, duis.RequestId);
            activity.SetTag(TelemetryTags.ResponseId, duis.ResponseId);
            if (!duis.ServiceReferenceVariant.IsNone)
            {
                activity.SetTag(TelemetryTags.Srv, duis.ServiceReferenceVariant.ToString());
            }

            activity.SetTag(TelemetryTags.Attempt, attempt);
            activity.SetTag(TelemetryTags.Wait, message.Wait.TotalSeconds);
        }

        return activity;
    }

    /// <summary>Records one handler call; <paramref name="errorType"/> is <see langword="null"/> on success.</summary>
    public void HandlerCompleted(PriorityLevel level, string? errorType, TimeSpan duration)
    {
        if (_handlerDuration.Enabled)
        {
            var priority = new KeyValuePair<string, object?>(TelemetryTags.Priority, TelemetryTags.Of(level));
            if (errorType is null)
            {
                _handlerDuration.Record(duration.TotalSeconds, priority);
            }
            else
            {
                _handlerDuration.Record(duration.TotalSeconds, priority, new KeyValuePair<string, object?>(TelemetryTags.ErrorType, errorType));
            }
        }
    }

    /// <summary>Gets the <c>error.type</c> of a failed handler call: <c>timeout</c>, or the exception's type name.</summary>
    public static string ErrorTypeOf(Exception? exception)
        => exception is TimeoutException ? "timeout" : exception?.GetType().FullName ?? "_OTHER";

    public void DeadLettered(PriorityLevel level, DuisMessageKind kind, string reason)
    {
        if (_deadLettered.Enabled)
        {
            _deadLettered.Add(
                1,
                new KeyValuePair<string, object?>(TelemetryTags.Priority, TelemetryTags.Of(level)),
                new KeyValuePair<string, object?>(TelemetryTags.Kind, TelemetryTags.Of(kind)),
                new KeyValuePair<string, object?>(TelemetryTags.ErrorType, reason));
        }
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
