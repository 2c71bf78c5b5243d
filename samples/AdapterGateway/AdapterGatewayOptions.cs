using System.ComponentModel.DataAnnotations;

namespace AdapterGateway;

/// <summary>Options of the HTTP intake, bound from the <c>AdapterGateway</c> section.</summary>
internal sealed class AdapterGatewayOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "AdapterGateway";

    /// <summary>
    /// Gets or sets the <c>Retry-After</c> sent with 503 when the scheduler is at capacity: how long the DCC should
    /// wait before resending.
    /// </summary>
    /// <value>The default value is 5 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RetryAfterFull { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets the <c>Retry-After</c> sent with 503 while the gateway is shutting down.</summary>
    /// <value>The default value is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RetryAfterShuttingDown { get; set; } = TimeSpan.FromSeconds(30);
}
