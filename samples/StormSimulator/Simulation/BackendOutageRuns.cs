namespace StormSimulator.Simulation;

/// <summary>
/// Runs the <c>--backend-outage</c> scenario: each scheduler policy through the real release loop
/// (<see cref="ReleaseLoopEngine"/>) with the outage, and again with the same settings and no outage, for comparison.
/// </summary>
internal static class BackendOutageRuns
{
    /// <summary>The policies that have a release loop (FIFO and the prioritised channel are bare queues).</summary>
    public static readonly IReadOnlyList<string> Policies = [PolicyNames.StrictPriority, PolicyNames.Default];

    /// <summary>Runs the scenario.</summary>
    /// <returns>One run per policy, with the outage; each carries its no-outage twin in <see cref="OutageMetrics.NoOutage"/>.</returns>
    public static PolicyRun[] Run(ArrivalTrace trace, ScenarioOptions options, Action<string>? progress)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(options);
        var outage = options.BackendOutage ?? throw new ArgumentException("Set ScenarioOptions.BackendOutage.", nameof(options));
        var names = options.Policies.Count == 0 ? Policies : Policies.Where(options.Policies.Contains).ToArray();
        var runs = new PolicyRun[names.Count * 2];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Parallel ? Environment.ProcessorCount : 1 };
        Parallel.For(0, runs.Length, parallel, i => runs[i] = ReleaseLoopEngine.Run(names[i / 2], trace, options, i % 2 == 0 ? outage : null, progress));
        var result = new PolicyRun[names.Count];
        for (int p = 0; p < names.Count; p++)
        {
            result[p] = runs[2 * p];
            result[p].Outage!.NoOutage = runs[(2 * p) + 1];
        }

        return result;
    }
}
