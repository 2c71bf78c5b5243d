using System.ComponentModel.DataAnnotations;

namespace DuisPrioritiser.Draining;

/// <summary>A token-bucket release-rate limit: at most <see cref="Rate"/> releases per second on average, with bursts of up to <see cref="Burst"/>.</summary>
public sealed class ThrottleOptions
{
    /// <summary>Gets or sets the sustained release rate in messages per second; 0 means unlimited (no throttle).</summary>
    /// <value>The default value is 0 (unlimited).</value>
    [Range(0d, 1_000_000d)]
    public double Rate { get; set; }

    /// <summary>Gets or sets how many releases may happen back to back after an idle period (the bucket size).</summary>
    /// <value>The default value is 1.</value>
    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 1;

    /// <summary>Gets a value indicating whether this limit throttles at all.</summary>
    internal bool IsLimited => Rate > 0;
}
