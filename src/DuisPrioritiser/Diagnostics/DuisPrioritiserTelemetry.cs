namespace DuisPrioritiser.Diagnostics;

/// <summary>
/// The names DuisPrioritiser publishes telemetry under. They are public API: dashboards and alerts depend on them,
/// so they never change. Subscribe with OpenTelemetry's <c>AddMeter(DuisPrioritiserTelemetry.MeterName)</c> and
/// <c>AddSource(DuisPrioritiserTelemetry.ActivitySourceName)</c>, or watch with
/// <c>dotnet-counters monitor --counters DuisPrioritiser</c>.
/// </summary>
/// <remarks>
/// Metric tags are low-cardinality only: <c>priority</c> (critical, high, normal, low, bulk), <c>kind</c>
/// (response, device_alert, dcc_alert, smets1_response), <c>reason</c> and <c>outcome</c>. Message ids never go on
/// metrics; they go on spans (<c>duis.request_id</c>, <c>duis.response_id</c>).
/// </remarks>
public static class DuisPrioritiserTelemetry
{
    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/>.</summary>
    public const string MeterName = "DuisPrioritiser";

    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/>.</summary>
    public const string ActivitySourceName = "DuisPrioritiser";

    /// <summary>
    /// Counter, <c>{message}</c>, by <c>priority</c> and <c>duis.alert_code</c>: accepted alerts attached to a held alert of
    /// the same device and code instead of being queued on their own (see <c>Traffic:Consolidation</c>); each is also
    /// counted in <see cref="MessagesEnqueued"/>, and is released with its group.
    /// </summary>
    public const string AlertsConsolidated = "duis_prioritiser.alerts.consolidated";

    /// <summary>Gauge, <c>{message}</c>, by <c>priority</c>: messages held in the queue (messages set aside by a per-alert-code throttle are in <see cref="QueueDeferred"/>).</summary>
    public const string QueueDepth = "duis_prioritiser.queue.depth";

    /// <summary>Gauge, <c>{message}</c>: messages set aside by a per-alert-code throttle until their code's token is due; still held.</summary>
    public const string QueueDeferred = "duis_prioritiser.queue.deferred";

    /// <summary>Gauge, <c>s</c>, by <c>priority</c>: how long the oldest held message has waited.</summary>
    public const string QueueOldestWait = "duis_prioritiser.queue.oldest_wait";

    /// <summary>Counter, <c>{message}</c>, by <c>priority</c> and <c>kind</c>: messages accepted.</summary>
    public const string MessagesEnqueued = "duis_prioritiser.messages.enqueued";

    /// <summary>Counter, <c>{message}</c>, by <c>reason</c> (full, completed, invalid, journal) and <c>kind</c> when known: messages refused.</summary>
    public const string MessagesRejected = "duis_prioritiser.messages.rejected";

    /// <summary>Counter, <c>{message}</c>, by <c>priority</c> and <c>kind</c>: messages released.</summary>
    public const string MessagesReleased = "duis_prioritiser.messages.released";

    /// <summary>Counter, <c>{message}</c>, by <c>kind</c>: redelivered duplicates suppressed.</summary>
    public const string MessagesDuplicate = "duis_prioritiser.messages.duplicate";

    /// <summary>Counter, <c>{message}</c>, by <c>priority</c>, <c>kind</c> and <c>reason</c>: messages given to the dead-letter sink.</summary>
    public const string MessagesDeadLettered = "duis_prioritiser.messages.dead_lettered";

    /// <summary>Histogram, <c>s</c>, by <c>priority</c>: time from acceptance to release.</summary>
    public const string ReleaseWait = "duis_prioritiser.release.wait";

    /// <summary>Gauge, <c>{message}</c>: released messages not yet acknowledged.</summary>
    public const string ReleaseInFlight = "duis_prioritiser.release.in_flight";

    /// <summary>Gauge, <c>{message}</c>: the hosted release loop's current in-flight limit.</summary>
    public const string ReleaseInFlightLimit = "duis_prioritiser.release.in_flight_limit";

    /// <summary>Histogram, <c>s</c>, by <c>priority</c> and <c>outcome</c> (success, failure): one handler call.</summary>
    public const string HandlerDuration = "duis_prioritiser.handler.duration";

    /// <summary>Counter: releases that failed transiently and were returned to the front of their level (tag <c>priority</c>).</summary>
    public const string MessagesReturned = "duis_prioritiser.messages.returned";

    /// <summary>Counter: events of the release pipeline (tag <c>event</c>: <c>retry</c>, <c>timeout</c>, <c>breaker_opened</c>, <c>breaker_half_opened</c>, <c>breaker_closed</c>).</summary>
    public const string ResilienceEvents = "duis_prioritiser.resilience.events";

    /// <summary>Gauge: the back-end circuit breaker's state (0 closed, 1 open, 2 half-open).</summary>
    public const string BreakerState = "duis_prioritiser.release.breaker_state";

    /// <summary>Gauge, no unit: 1 while the scheduler is in Recovery mode, 0 in Normal operation.</summary>
    public const string RecoveryMode = "duis_prioritiser.recovery.mode";
}
