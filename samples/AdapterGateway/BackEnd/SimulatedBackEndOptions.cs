using System.ComponentModel.DataAnnotations;

namespace AdapterGateway.BackEnd;

/// <summary>The simulated back-end's capacity, bound from the <c>AdapterGateway:BackEnd</c> section.</summary>
internal sealed class SimulatedBackEndOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "AdapterGateway:BackEnd";

    /// <summary>Gets or sets how long the back-end takes to process one message.</summary>
    /// <value>The default value is 50 milliseconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan Latency { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Gets or sets how many messages the back-end processes at once. Calls beyond it queue inside the back-end, so
    /// its latency grows, as a real system's does, and the adaptive in-flight limit backs off.
    /// </summary>
    /// <value>The default value is 4.</value>
    [Range(1, 10_000)]
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>Gets or sets how many of the most recently processed messages <c>GET /processed</c> shows.</summary>
    /// <value>The default value is 1,000.</value>
    [Range(1, 1_000_000)]
    public int RecentCapacity { get; set; } = 1_000;
}
