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

    /// <summary>Gets or sets how many handler attempts must fail in a row (with no success between) before the check reports Unhealthy.</summary>
    /// <value>The default value is 10.</value>
    [Range(1, 1_000_000)]
    public int UnhealthyAfterConsecutiveFailures { get; set; } = 10;

    /// <summary>Gets or sets a value indicating whether Recovery mode alone makes the check report Degraded.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool DegradedWhileRecovering { get; set; } = true;
}
