using System.ComponentModel.DataAnnotations;

namespace DuisPrioritiser.AspNetCore;

/// <summary>Options of the receive endpoint mapped by <see cref="DuisIntakeEndpointRouteBuilderExtensions.MapDuisIntake(Microsoft.AspNetCore.Routing.IEndpointRouteBuilder, string)"/>.</summary>
/// <remarks>
/// Bound from the <see cref="SectionName"/> section by <c>AddDuisIntake(configuration)</c>, or configured in code with
/// <c>AddDuisIntake(options => ...)</c>. Without either, the defaults apply. The largest accepted body is the reader's
/// <c>DuisPrioritiser:Reader:MaxMessageBytes</c>, so the endpoint and the reader can never disagree.
/// </remarks>
public sealed class DuisIntakeOptions
{
    /// <summary>The configuration section name the options bind from by default.</summary>
    public const string SectionName = "DuisIntake";

    /// <summary>Gets or sets the <c>Retry-After</c> sent with 503 when the scheduler is at capacity.</summary>
    /// <value>The default value is 5 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RetryAfterFull { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets the <c>Retry-After</c> sent with 503 once the scheduler has been completed (the application is stopping).</summary>
    /// <value>The default value is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RetryAfterCompleted { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets the <c>Retry-After</c> sent with 503 when the store could not make the message durable (a full
    /// disk, an unreachable database) or the scheduler gave an outcome this endpoint does not know.
    /// </summary>
    /// <value>The default value is 10 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RetryAfterUnavailable { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets the client-certificate (mutual TLS) requirement of the endpoint.</summary>
    public DuisClientCertificateOptions ClientCertificate { get; } = new();
}
