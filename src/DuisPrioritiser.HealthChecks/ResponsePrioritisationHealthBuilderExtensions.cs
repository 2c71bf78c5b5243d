using DuisPrioritiser.Health;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DuisPrioritiser;

/// <summary>Registers the DuisPrioritiser health check.</summary>
public static class ResponsePrioritisationHealthBuilderExtensions
{
    /// <summary>The default name of the health check.</summary>
    public const string DefaultHealthCheckName = "duis_prioritiser";

    /// <summary>
    /// Adds the DuisPrioritiser health check to the host's health checks: Unhealthy while the handler keeps failing,
    /// Degraded while recovering or while Critical work waits longer than
    /// <see cref="HealthOptions.CriticalWaitDegradedAfter"/>. Thresholds come from
    /// <see cref="ResponsePrioritisationOptions.Health"/>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The registration name.</param>
    /// <param name="failureStatus">The status reported instead of Unhealthy, or <see langword="null"/> for Unhealthy.</param>
    /// <param name="tags">Tags for filtering (for example <c>ready</c>).</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    public static IResponsePrioritisationBuilder AddHealthCheck(
        this IResponsePrioritisationBuilder builder,
        string name = DefaultHealthCheckName,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        builder.Services.AddHealthChecks().AddCheck<ResponsePrioritisationHealthCheck>(name, failureStatus, tags ?? []);
        return builder;
    }
}
