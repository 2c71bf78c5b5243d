using Polly;

namespace DuisPrioritiser.Release.Internal;

/// <summary>What <c>ConfigureResilience</c> and <c>ClassifyFailures</c> registered: read once when the release loop builds its pipeline.</summary>
internal sealed class ReleaseResilienceSetup
{
    /// <summary>Gets or sets the pipeline callback; <see langword="null"/> for the standard strategies only.</summary>
    public Action<ResiliencePipelineBuilder, ReleaseResilienceContext>? Configure { get; set; }

    /// <summary>Gets or sets the integrator's transient-failure predicate; <see langword="null"/> for "every failure but <see cref="DuisPermanentFailureException"/> is transient".</summary>
    public Func<Exception, bool>? IsTransient { get; set; }
}
