using System.ComponentModel.DataAnnotations;

namespace DuisPrioritiser.Health;

/// <summary>Thresholds of the DuisPrioritiser health check.</summary>
public sealed class HealthOptions
{
    /// <summary>
    /// Gets or sets how long the oldest Critical message may wait before the check reports Degraded: an engineer on
    /// site or a prepayment customer is waiting.
    /// </summary>
    /// <value>The default value is 60 seconds. Must be positive.</value>
    public TimeSpan CriticalWaitDegradedAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Gets or sets how many handler calls must fail in a row (with no success between) before the check reports
    /// Unhealthy. Applies only when the release pipeline has no circuit breaker; with one (the default),
    /// <see cref="UnhealthyAfterBreakerOpenFor"/> decides.
    /// </summary>
    /// <value>The default value is 10.</value>
    [Range(1, 1_000_000)]
    public int UnhealthyAfterConsecutiveFailures { get; set; } = 10;

    /// <summary>Gets or sets a value indicating whether Recovery mode alone makes the check report Degraded.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool DegradedWhileRecovering { get; set; } = true;

    /// <summary>
    /// Gets or sets how long the back-end's circuit breaker may stay open (or half-open, without closing) before the
    /// check reports Unhealthy; while open for less, it reports Degraded.
    /// </summary>
    /// <value>The default value is 5 minutes. Must be positive.</value>
    public TimeSpan UnhealthyAfterBreakerOpenFor { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Gets or sets how long a remote backlog store (PostgreSQL) may stay unreachable before the check reports
    /// Unhealthy; while unreachable for less, it reports Degraded (intake answers Unavailable, the release loop waits).
    /// </summary>
    /// <value>The default value is 1 minute. Must be positive.</value>
    public TimeSpan UnhealthyAfterStoreUnavailableFor { get; set; } = TimeSpan.FromMinutes(1);
}
