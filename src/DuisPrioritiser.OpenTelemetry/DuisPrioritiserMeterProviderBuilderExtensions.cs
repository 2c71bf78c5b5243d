using DuisPrioritiser.Diagnostics;

namespace OpenTelemetry.Metrics;

/// <summary>Subscribes an OpenTelemetry meter provider to DuisPrioritiser's metrics.</summary>
public static class DuisPrioritiserMeterProviderBuilderExtensions
{
    /// <summary>
    /// Adds the <c>DuisPrioritiser</c> meter: queue depth, waits, releases, rejections, dead letters, the in-flight
    /// limit and the recovery mode (see the operations guide for every instrument and attribute).
    /// </summary>
    /// <param name="builder">The meter provider builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static MeterProviderBuilder AddDuisPrioritiserInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(DuisPrioritiserTelemetry.MeterName);
    }
}
