using DuisPrioritiser;
using DuisPrioritiser.Classification;

namespace StormSimulator.Simulation;

/// <summary>The outcome of a simulation: every policy's run and statistics, the ideal, and the targets.</summary>
internal sealed class SimulationResult
{
    /// <summary>The most Critical p99 may exceed the ideal by (1.1x).</summary>
    public const double CriticalIdealFactor = 1.1;

    /// <summary>How many times better than FIFO Critical p99 must be (8x).</summary>
    public const double CriticalFifoFactor = 8;

    /// <summary>The least utilisation while a backlog exists (99%).</summary>
    public const double MinUtilisation = 0.99;

    /// <summary>
    /// Statistics of Critical messages that arrived once the Critical backlog had first cleared under the same
    /// schedule (the first Critical arrival after every earlier Critical message had been released): new Critical
    /// work, which overdue or lower work must not hold up.
    /// </summary>
    internal static WaitStatistics NewCriticalStatistics(long[] waitTicks, ArrivalTrace trace)
    {
        long released = long.MinValue; // latest release among the Critical messages so far
        bool cleared = trace.BacklogCount == 0;
        var waits = new List<long>();
        for (int i = 0; i < waitTicks.Length; i++)
        {
            if (trace.Levels[i] != (byte)PriorityLevel.Critical)
            {
                continue;
            }

            cleared |= i >= trace.BacklogCount && trace.ArrivalTicks[i] > released;
            if (cleared)
            {
                waits.Add(waitTicks[i]);
            }

            released = Math.Max(released, trace.ArrivalTicks[i] + waitTicks[i]);
        }

        var array = waits.ToArray();
        Array.Sort(array);
        return WaitStatistics.FromSorted(array);
    }

    public SimulationResult(ScenarioOptions scenario, ArrivalTrace trace, long[] idealWaitTicks, IReadOnlyList<PolicyRun> runs)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(idealWaitTicks);
        ArgumentNullException.ThrowIfNull(runs);
        Scenario = scenario;
        TraceCount = trace.Count;
        BacklogCount = trace.BacklogCount;
        CountByLevel = trace.CountByLevel();
        Runs = runs;
        IdealSortedWaits = WaitStatistics.SortByLevel(idealWaitTicks, trace.Levels, PriorityLevels.Count);
        Ideal = IdealSortedWaits.Select(w => WaitStatistics.FromSorted(w)).ToArray();
        var sorted = new Dictionary<string, long[][]>(StringComparer.Ordinal);
        var stats = new Dictionary<string, WaitStatistics[]>(StringComparer.Ordinal);
        foreach (var run in runs)
        {
            var byLevel = WaitStatistics.SortByLevel(run.WaitTicks, run.Levels, PriorityLevels.Count);
            sorted[run.Name] = byLevel;
            stats[run.Name] = byLevel.Select(w => WaitStatistics.FromSorted(w)).ToArray();
        }

        SortedWaits = sorted;
        Statistics = stats;
        NewCritical = runs.ToDictionary(r => r.Name, r => NewCriticalStatistics(r.WaitTicks, trace), StringComparer.Ordinal);
        IdealNewCritical = NewCriticalStatistics(idealWaitTicks, trace);
        var defaults = new ResponsePrioritisationOptions();
        SchedulerQueue.Configure(defaults, trace, scenario);
        BulkBoundSeconds = defaults.Traffic.Bulk.MaxWait?.TotalSeconds;
        BulkMinShare = defaults.Traffic.Bulk.MinShare;
        OverdueShare = defaults.Traffic.OverdueShare;
    }

    public ScenarioOptions Scenario { get; }

    public int TraceCount { get; }

    public int BacklogCount { get; }

    public long[] CountByLevel { get; }

    public IReadOnlyList<PolicyRun> Runs { get; }

    /// <summary>Gets the ideal's statistics per level, highest first.</summary>
    public IReadOnlyList<WaitStatistics> Ideal { get; }

    public long[][] IdealSortedWaits { get; }

    /// <summary>Gets each policy's statistics per level, highest first.</summary>
    public IReadOnlyDictionary<string, WaitStatistics[]> Statistics { get; }

    public IReadOnlyDictionary<string, long[][]> SortedWaits { get; }

    /// <summary>Gets, per policy, the wait statistics of Critical messages that arrived after the Critical backlog had cleared.</summary>
    public IReadOnlyDictionary<string, WaitStatistics> NewCritical { get; }

    /// <summary>Gets the ideal's statistics of Critical messages that arrived after the Critical backlog had cleared.</summary>
    public WaitStatistics IdealNewCritical { get; }

    /// <summary>Gets the Default policy's Bulk bound in seconds (null when unbounded).</summary>
    public double? BulkBoundSeconds { get; }

    /// <summary>Gets the Default policy's Bulk minimum share.</summary>
    public double BulkMinShare { get; }

    /// <summary>Gets the Default policy's overdue share.</summary>
    public double OverdueShare { get; }

    public PolicyRun? Find(string name) => Runs.FirstOrDefault(r => r.Name == name);

    /// <summary>Evaluates the targets for the Default policy.</summary>
    /// <returns>One line per target, with whether it was met; empty when Default or Fifo did not run.</returns>
    public IReadOnlyList<TargetResult> EvaluateTargets()
    {
        var targets = new List<TargetResult>();
        if (!Statistics.TryGetValue(PolicyNames.Default, out var defaults) || Find(PolicyNames.Default) is not { } run)
        {
            return targets;
        }

        const int Critical = (int)PriorityLevel.Critical;
        const int Bulk = (int)PriorityLevel.Bulk;
        double idealP99 = Ideal[Critical].P99;
        double p99 = defaults[Critical].P99;
        double vsIdeal = idealP99 > 0 ? p99 / idealP99 : (p99 == 0 ? 1 : double.PositiveInfinity);
        targets.Add(new TargetResult(
            "Critical p99 within 1.1x of the ideal",
            $"{p99:0.0} s vs ideal {idealP99:0.0} s = {vsIdeal:0.000}x",
            vsIdeal <= CriticalIdealFactor));
        if (Statistics.TryGetValue(PolicyNames.Fifo, out var fifo))
        {
            double better = p99 > 0 ? fifo[Critical].P99 / p99 : double.PositiveInfinity;
            targets.Add(new TargetResult(
                "Critical p99 at least 8x better than FIFO",
                $"FIFO {fifo[Critical].P99:0.0} s / {p99:0.0} s = {better:0.00}x",
                better >= CriticalFifoFactor));
        }

        double bulkMax = defaults[Bulk].Max;
        targets.Add(new TargetResult(
            "Bulk max wait within its configured bound",
            BulkBoundSeconds is { } bound ? $"{bulkMax:0.0} s vs bound {bound:0} s" : $"{bulkMax:0.0} s, unbounded",
            BulkBoundSeconds is not { } b || bulkMax <= b));
        targets.Add(new TargetResult(
            "Utilisation at least 99% while a backlog exists",
            $"{(run.Utilisation) * 100:0.00}%",
            run.Utilisation >= MinUtilisation));
        return targets;
    }
}

/// <summary>One target and whether it was met.</summary>
internal sealed record TargetResult(string Target, string Measured, bool Met);
