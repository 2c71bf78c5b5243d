using System.ComponentModel.DataAnnotations;

namespace DuisPrioritiser.Release;

/// <summary>
/// The circuit breaker of the standard release pipeline (Polly's <c>CircuitBreakerStrategy</c>): when enough handler
/// calls fail transiently, it opens and the release loop holds the backlog, in priority order, releasing only one
/// half-open probe per break until the back-end answers again.
/// </summary>
public sealed class BackendCircuitBreakerOptions
{
    /// <summary>Gets or sets a value indicating whether the standard pipeline has a circuit breaker. Without one, the release loop backs off after failures but cannot tell the back-end is down.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>Gets or sets the fraction of calls in <see cref="SamplingDuration"/> that must fail transiently for the breaker to open.</summary>
    /// <value>The default value is 0.5.</value>
    [Range(0.0001, 1.0)]
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Gets or sets how many calls must be made in <see cref="SamplingDuration"/> before the breaker may open.</summary>
    /// <value>The default value is 10.</value>
    [Range(2, int.MaxValue)]
    public int MinimumThroughput { get; set; } = 10;

    /// <summary>
    /// Gets or sets the window over which failures are counted. Successes in the window dilute the failure ratio, so
    /// at high throughput a long window lets many calls fail before the breaker opens: keep it short.
    /// </summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets how long the breaker stays open after it opens; each failed probe doubles it, up to <see cref="MaxBreakDuration"/>.</summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets the longest break: during a long outage one probe is made at least this often.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan MaxBreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}
