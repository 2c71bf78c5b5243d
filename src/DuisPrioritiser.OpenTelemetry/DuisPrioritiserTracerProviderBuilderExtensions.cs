using DuisPrioritiser.Diagnostics;

namespace OpenTelemetry.Trace;

/// <summary>Subscribes an OpenTelemetry tracer provider to DuisPrioritiser's spans.</summary>
public static class DuisPrioritiserTracerProviderBuilderExtensions
{
    /// <summary>
    /// Adds the <c>DuisPrioritiser</c> activity source: one <c>duis_prioritiser.handle</c> span per handler attempt,
    /// linked to the trace of the request that delivered the message.
    /// </summary>
    /// <param name="builder">The tracer provider builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static TracerProviderBuilder AddDuisPrioritiserInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(DuisPrioritiserTelemetry.ActivitySourceName);
    }
}
