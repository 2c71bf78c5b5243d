namespace StormSimulator.Simulation;

/// <summary>What a policy's run under <c>--backend-outage</c> measured beyond the waits, and the same policy's run without the outage.</summary>
internal sealed class OutageMetrics
{
    /// <summary>Gets the outage.</summary>
    public required BackendOutage Outage { get; init; }

    /// <summary>Gets the messages dead-lettered (0 expected: an outage is transient).</summary>
    public long DeadLettered { get; init; }

    /// <summary>Gets the handler calls made while the back-end was down.</summary>
    public long BackendCallsDuringOutage { get; init; }

    /// <summary>Gets all handler calls made in the run.</summary>
    public long BackendCalls { get; init; }

    /// <summary>Gets the number of times the circuit breaker opened (the first opening and every failed half-open probe).</summary>
    public long BreakerOpenings { get; init; }

    /// <summary>Gets the Critical messages held when the back-end returned.</summary>
    public long CriticalHeldAtRecovery { get; init; }

    /// <summary>Gets the releases from the back-end's return until no Critical message was held.</summary>
    public long WindowReleases { get; init; }

    /// <summary>Gets the Critical releases among <see cref="WindowReleases"/>.</summary>
    public long WindowCriticalReleases { get; init; }

    /// <summary>Gets the position of the first non-Critical release in that window, or -1.</summary>
    public long FirstNonCriticalInWindow { get; init; }

    /// <summary>Gets the messages handled more than once (0 expected).</summary>
    public long Duplicates { get; init; }

    /// <summary>Gets the fraction of releases that were Critical from the back-end's return until no Critical message was held; <see langword="null"/> when none was held.</summary>
    public double? CriticalShareAfterOutage => WindowReleases == 0 ? null : WindowCriticalReleases / (double)WindowReleases;

    /// <summary>Gets the same policy's run with the same settings and no outage; <see langword="null"/> for the no-outage run itself.</summary>
    public PolicyRun? NoOutage { get; set; }
}
