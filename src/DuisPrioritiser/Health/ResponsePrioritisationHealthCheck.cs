using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Release;
using DuisPrioritiser.Release.Internal;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace DuisPrioritiser.Health;

/// <summary>
/// Reports the state of DuisPrioritiser: <see cref="HealthStatus.Unhealthy"/> when the release loop has stopped
/// after errors or while the handler keeps failing,
/// <see cref="HealthStatus.Degraded"/> while recovering from a flood or while Critical work waits too long, else
/// <see cref="HealthStatus.Healthy"/>. The data always carries the mode, depth per level, Critical's oldest wait,
/// the in-flight count and the run of handler failures, for dashboards.
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
        var data = new Dictionary<string, object>
        {
            ["mode"] = snapshot.Mode.ToString(),
            ["held"] = snapshot.TotalCount,
            ["capacity"] = snapshot.Capacity,
            ["in_flight"] = snapshot.InFlight,
            ["critical_oldest_wait_seconds"] = criticalWait.TotalSeconds,
            ["consecutive_handler_failures"] = failures,
        };
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
        else if (failures >= _options.UnhealthyAfterConsecutiveFailures)
        {
            result = new HealthCheckResult(
                context?.Registration.FailureStatus ?? HealthStatus.Unhealthy,
                $"The handler has failed {failures} times in a row: messages are being retried and dead-lettered.",
                data: data);
        }
        else if (criticalWait >= _options.CriticalWaitDegradedAfter)
        {
            result = HealthCheckResult.Degraded($"Critical work has waited {criticalWait.TotalSeconds:F0} s (threshold {_options.CriticalWaitDegradedAfter.TotalSeconds:F0} s).", data: data);
        }
        else if (_options.DegradedWhileRecovering && snapshot.Mode == TrafficMode.Recovery)
        {
            result = HealthCheckResult.Degraded($"Recovering from a flood: {snapshot.TotalCount} held.", data: data);
        }
        else
        {
            result = HealthCheckResult.Healthy($"{snapshot.TotalCount} held, {snapshot.InFlight} in flight.", data);
        }

        return Task.FromResult(result);
    }
}
