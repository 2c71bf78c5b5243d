using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Release;
using DuisPrioritiser.Release.Internal;
using DuisPrioritiser.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace DuisPrioritiser.Health;

/// <summary>
/// Reports the state of DuisPrioritiser: <see cref="HealthStatus.Unhealthy"/> when the release loop has stopped
/// after errors, while the handler keeps failing, or when a remote backlog store has been unreachable too long,
/// <see cref="HealthStatus.Degraded"/> while recovering from a flood, while Critical work waits too long or while the
/// backlog store is unreachable, else <see cref="HealthStatus.Healthy"/>. The data always carries the mode, depth per
/// level, Critical's oldest wait, the in-flight count, the run of handler failures and the backlog store (kind,
/// reachable, seconds unreachable, last error), for dashboards.
/// </summary>
/// <remarks>
/// The core package depends only on the health-check abstractions. Register the check with <c>.AddHealthCheck()</c>
/// from the <c>DuisPrioritiser.HealthChecks</c> package, or yourself with
/// <c>services.AddHealthChecks().AddCheck&lt;ResponsePrioritisationHealthCheck&gt;("duis_prioritiser")</c>.
/// Thread-safe: each check reads a snapshot.
/// </remarks>
public sealed class ResponsePrioritisationHealthCheck : IHealthCheck
{
    private readonly IResponseReleaseScheduler _scheduler;
    private readonly ResponseReleaseService? _releaseLoop;
    private readonly HealthOptions _options;

    /// <summary>Initialises the check; resolved from DI.</summary>
    /// <param name="scheduler">The scheduler to report on.</param>
    /// <param name="options">The options; <see cref="ResponsePrioritisationOptions.Health"/> holds the thresholds.</param>
    /// <param name="services">The service provider, to find the hosted release loop when there is one.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public ResponsePrioritisationHealthCheck(IResponseReleaseScheduler scheduler, IOptions<ResponsePrioritisationOptions> options, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(services);
        _scheduler = scheduler;
        _options = options.Value.Health;
        _releaseLoop = services.GetService(typeof(ResponseReleaseService)) as ResponseReleaseService;
    }

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var snapshot = _scheduler.GetSnapshot();
        int failures = _releaseLoop?.ConsecutiveFailures ?? 0;
        var criticalWait = snapshot.Levels[(int)PriorityLevel.Critical].OldestWait;
        var gate = _releaseLoop?.Gate;
        var breaker = gate?.State ?? BackendState.Closed;
        var downFor = gate?.DownFor ?? TimeSpan.Zero;
        bool atCapacity = snapshot.TotalCount >= snapshot.Capacity;
        var criticalRetryWait = (_scheduler as ResponseReleaseScheduler)?.GetReturnedOldestWait(PriorityLevel.Critical) ?? TimeSpan.Zero;
        var store = (_scheduler as ResponseReleaseScheduler)?.GetStoreHealth();
        var storeDownFor = store is { IsReachable: false, UnreachableSince: { } since } ? snapshot.TakenAt - since : TimeSpan.Zero;
        if (storeDownFor < TimeSpan.Zero)
        {
            storeDownFor = TimeSpan.Zero;
        }

        var data = new Dictionary<string, object>
        {
            ["mode"] = snapshot.Mode.ToString(),
            ["held"] = snapshot.TotalCount,
            ["capacity"] = snapshot.Capacity,
            ["in_flight"] = snapshot.InFlight,
            ["critical_oldest_wait_seconds"] = criticalWait.TotalSeconds,
            ["consecutive_handler_failures"] = failures,
            ["breaker"] = breaker.ToString().ToLowerInvariant(),
            ["breaker_open_seconds"] = downFor.TotalSeconds,
            ["at_capacity"] = atCapacity,
            ["critical_in_retry_oldest_wait_seconds"] = criticalRetryWait.TotalSeconds,
        };
        if (store is { } known)
        {
            data["store_kind"] = known.Kind;
            data["store_reachable"] = known.IsReachable;
            data["store_unavailable_seconds"] = storeDownFor.TotalSeconds;
            if (known.LastError is { } lastError)
            {
                data["store_last_error"] = lastError;
            }
        }

        var reasons = new List<string>();
        foreach (var level in snapshot.Levels)
        {
            data[$"held_{level.Level.ToString().ToLowerInvariant()}"] = level.Count;
        }

        HealthCheckResult result;
        if (_releaseLoop is { IsFaulted: true })
        {
            result = new HealthCheckResult(
                context?.Registration.FailureStatus ?? HealthStatus.Unhealthy,
                "The release loop has stopped after an error: nothing is being released.",
                data: data);
        }
        else if (store is { IsReachable: false } && storeDownFor >= _options.UnhealthyAfterStoreUnavailableFor)
        {
            data["reason"] = "store_unavailable_too_long";
            result = new HealthCheckResult(
                context?.Registration.FailureStatus ?? HealthStatus.Unhealthy,
                $"The backlog store ({store.Value.Kind}) has been unreachable for {storeDownFor.TotalSeconds:F0} s (threshold {_options.UnhealthyAfterStoreUnavailableFor.TotalSeconds:F0} s): intake answers Unavailable and nothing is released. Last error: {store.Value.LastError}",
                data: data);
        }
        else if (breaker != BackendState.Closed && downFor >= _options.UnhealthyAfterBreakerOpenFor)
        {
            data["reason"] = "breaker_open_too_long";
            result = new HealthCheckResult(
                context?.Registration.FailureStatus ?? HealthStatus.Unhealthy,
                $"The back-end has been down for {downFor.TotalSeconds:F0} s (circuit breaker {breaker}; threshold {_options.UnhealthyAfterBreakerOpenFor.TotalSeconds:F0} s): the backlog is held, nothing is released.",
                data: data);
        }
        else if (gate is { HasBreaker: false } && failures >= _options.UnhealthyAfterConsecutiveFailures)
        {
            result = new HealthCheckResult(
                context?.Registration.FailureStatus ?? HealthStatus.Unhealthy,
                $"The handler has failed {failures} times in a row: messages are being returned to their level and retried.",
                data: data);
        }
        else
        {
            if (store is { IsReachable: false })
            {
                reasons.Add("store_unavailable");
            }

            if (breaker != BackendState.Closed)
            {
                reasons.Add("breaker_" + (breaker == BackendState.Open ? "open" : "half_open"));
            }

            if (atCapacity)
            {
                reasons.Add("at_capacity");
            }

            if (criticalRetryWait >= _options.CriticalWaitDegradedAfter)
            {
                reasons.Add("critical_in_retry");
            }

            if (criticalWait >= _options.CriticalWaitDegradedAfter)
            {
                reasons.Add("critical_wait");
            }

            if (_options.DegradedWhileRecovering && snapshot.Mode == TrafficMode.Recovery)
            {
                reasons.Add("recovery_mode");
            }

            result = default;
        }

        if (result.Description is null && reasons.Count > 0)
        {
            data["reason"] = string.Join(",", reasons);
            result = HealthCheckResult.Degraded(Describe(reasons, snapshot, criticalWait, criticalRetryWait, downFor, store, storeDownFor), data: data);
        }
        else if (result.Description is null)
        {
            result = HealthCheckResult.Healthy($"{snapshot.TotalCount} held, {snapshot.InFlight} in flight.", data);
        }

        return Task.FromResult(result);
    }

    private string Describe(List<string> reasons, SchedulerSnapshot snapshot, TimeSpan criticalWait, TimeSpan criticalRetryWait, TimeSpan downFor, BacklogStoreHealth? store, TimeSpan storeDownFor)
    {
        var parts = new List<string>(reasons.Count);
        foreach (var reason in reasons)
        {
            parts.Add(reason switch
            {
                "store_unavailable" => $"the backlog store ({store?.Kind}) has been unreachable for {storeDownFor.TotalSeconds:F0} s: intake answers Unavailable, release waits",
                "breaker_open" => $"the back-end is down (circuit breaker open for {downFor.TotalSeconds:F0} s): holding the backlog",
                "breaker_half_open" => "the back-end is being probed (circuit breaker half-open)",
                "at_capacity" => $"at capacity ({snapshot.TotalCount} of {snapshot.Capacity} held): intake refuses new messages",
                "critical_in_retry" => $"Critical work has waited {criticalRetryWait.TotalSeconds:F0} s with failed attempts (threshold {_options.CriticalWaitDegradedAfter.TotalSeconds:F0} s)",
                "critical_wait" => $"Critical work has waited {criticalWait.TotalSeconds:F0} s (threshold {_options.CriticalWaitDegradedAfter.TotalSeconds:F0} s)",
                _ => $"recovering from a flood: {snapshot.TotalCount} held",
            });
        }

        var text = string.Join("; ", parts) + ".";
        return char.ToUpperInvariant(text[0]) + text[1..];
    }
}
