using DuisPrioritiser.Classification;
using StormSimulator.Simulation;

namespace StormSimulator.ScaleOut;

/// <summary>The outcome of a scale-out run: waits per class against the ideal, conservation counts, and the run's costs.</summary>
internal sealed class ScaleOutResult
{
    /// <summary>The most Critical p99 may exceed the single-instance ideal by on several instances (1.2x, issue 11).</summary>
    public const double CriticalIdealFactor = 1.2;

    public ScaleOutResult(ScenarioOptions scenario, ArrivalTrace trace, long[] idealReleaseTicks, long[] releaseTicks, IEnumerable<int> releaseOrder, int[] releasedBy, long stopTicks)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(idealReleaseTicks);
        ArgumentNullException.ThrowIfNull(releaseTicks);
        ArgumentNullException.ThrowIfNull(releaseOrder);
        ArgumentNullException.ThrowIfNull(releasedBy);
        Scenario = scenario;
        StopTicks = stopTicks;
        TraceCount = trace.Count;
        BacklogCount = trace.BacklogCount;
        CountByLevel = trace.CountByLevel();
        ReleaseTicks = releaseTicks;
        var waits = new long[trace.Count];
        var idealWaits = new long[trace.Count];
        long released = 0;
        for (int i = 0; i < waits.Length; i++)
        {
            idealWaits[i] = idealReleaseTicks[i] - trace.ArrivalTicks[i];
            // Not released when the run stopped: its wait so far (a lower bound), counted at the stop.
            waits[i] = releaseTicks[i] < 0 ? Math.Max(0, stopTicks - trace.ArrivalTicks[i]) : releaseTicks[i] - trace.ArrivalTicks[i];
            if (releaseTicks[i] < 0)
            {
                UnreleasedByLevel[trace.Levels[i]]++;
            }
            released += releaseTicks[i] >= 0 ? 1 : 0;
        }

        Released = released;
        Statistics = [.. WaitStatistics.SortByLevel(waits, trace.Levels, PriorityLevels.Count).Select(w => WaitStatistics.FromSorted(w))];
        Ideal = [.. WaitStatistics.SortByLevel(idealWaits, trace.Levels, PriorityLevels.Count).Select(w => WaitStatistics.FromSorted(w))];
        NewCritical = SimulationResult.NewCriticalStatistics(waits, trace);
        ReleasesByInstance = new long[scenario.Instances];
        foreach (int index in releaseOrder)
        {
            ReleasesByInstance[releasedBy[index]]++;
        }

        (ClearTicks, Utilisation) = ComputeClear(trace, releaseTicks, scenario.ServiceTicks);
        (IdealClearTicks, _) = ComputeClear(trace, idealReleaseTicks, scenario.ServiceTicks);
        var flood = Enumerable.Range(0, trace.BacklogCount).Where(i => releaseTicks[i] >= 0).ToArray();
        LastFloodCriticalReleaseTicks = flood.Where(i => trace.Levels[i] == (byte)PriorityLevel.Critical).Select(i => releaseTicks[i]).DefaultIfEmpty(-1).Max();
        var floodBulk = flood.Where(i => trace.Levels[i] == (byte)PriorityLevel.Bulk).Select(i => releaseTicks[i]).Order().ToArray();
        FloodBulkReleasedBeforeLastCritical = floodBulk.Count(t => t < LastFloodCriticalReleaseTicks);
        FloodBulkCount = floodBulk.Length;
    }

    public ScenarioOptions Scenario { get; }

    /// <summary>Gets the simulated time the run stopped at, in ticks.</summary>
    public long StopTicks { get; }

    /// <summary>Gets the messages of each level not released when the run stopped (all 0 for a complete run).</summary>
    public long[] UnreleasedByLevel { get; } = new long[PriorityLevels.Count];

    /// <summary>Gets a value indicating whether every arrival was released (the run was not stopped at its wall-clock limit).</summary>
    public bool Complete => Released == TraceCount;

    public int TraceCount { get; }

    public int BacklogCount { get; }

    public long[] CountByLevel { get; }

    /// <summary>Gets each message's release time in simulated ticks from t = 0 (-1 if never released).</summary>
    public long[] ReleaseTicks { get; }

    /// <summary>Gets the number of distinct messages released.</summary>
    public long Released { get; }

    /// <summary>Gets the number of messages accepted (committed) by the instances.</summary>
    public long Accepted { get; init; }

    /// <summary>Gets the number of accepts the store suppressed as duplicates (0: the scenario has no DCC redeliveries).</summary>
    public long DuplicatesSuppressed { get; init; }

    /// <summary>Gets the number of releases of a message released before (at-least-once redeliveries; 0 expected without failures).</summary>
    public long DuplicateReleases { get; init; }

    /// <summary>Gets the releases whose level the scheduler decided differently from the trace (0 expected).</summary>
    public long LevelMismatches { get; init; }

    /// <summary>Gets the rows left in the backlog table at the end (0 expected).</summary>
    public long LeftInBacklog { get; init; }

    /// <summary>Gets the rows in the dead-letter table at the end (0 expected).</summary>
    public long DeadLettered { get; init; }

    /// <summary>Gets the wall-clock seconds the outage backlog took to be accepted (with the clock stopped at t = 0).</summary>
    public double BacklogIntakeSeconds { get; init; }

    /// <summary>Gets the wall-clock seconds from t = 0 until every message was released and acknowledged.</summary>
    public double DrainSeconds { get; init; }

    /// <summary>Gets the most an ongoing arrival was fed after its trace time, in simulated seconds.</summary>
    public double MaxFeedLagSeconds { get; init; }

    /// <summary>Gets the wall-clock seconds the clock was held back waiting for the host.</summary>
    public double HeldBackSeconds { get; init; }

    /// <summary>Gets how many holds were cut short after <see cref="ScaledTimeProvider.MaxHold"/>.</summary>
    public int HoldsCutShort { get; init; }

    /// <summary>Gets how long the whole run took on the wall clock.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Gets the wait statistics per level, highest first.</summary>
    public WaitStatistics[] Statistics { get; }

    /// <summary>Gets the ideal schedule's statistics per level (one pre-emptive priority queue at the scenario's capacity).</summary>
    public WaitStatistics[] Ideal { get; }

    /// <summary>Gets the statistics of Critical messages that arrived after the Critical backlog first cleared.</summary>
    public WaitStatistics NewCritical { get; }

    /// <summary>Gets how many releases each instance made.</summary>
    public long[] ReleasesByInstance { get; }

    /// <summary>Gets the time the backlog was first cleared (every arrival so far released), in ticks; -1 if never.</summary>
    public long ClearTicks { get; }

    /// <summary>Gets the same for the ideal schedule.</summary>
    public long IdealClearTicks { get; }

    /// <summary>Gets the back-end utilisation from t = 0 to the clear time (releases x 1 / capacity over the time).</summary>
    public double Utilisation { get; }

    /// <summary>Gets the release time of the last Critical message of the outage backlog, in ticks.</summary>
    public long LastFloodCriticalReleaseTicks { get; }

    /// <summary>Gets the outage backlog's Bulk messages released before its last Critical one (the Bulk minimum share).</summary>
    public long FloodBulkReleasedBeforeLastCritical { get; }

    /// <summary>Gets the number of Bulk messages in the outage backlog.</summary>
    public long FloodBulkCount { get; }

    /// <summary>Gets Critical p99 over the ideal's.</summary>
    public double CriticalRatio => Ideal[(int)PriorityLevel.Critical].P99 > 0 ? Statistics[(int)PriorityLevel.Critical].P99 / Ideal[(int)PriorityLevel.Critical].P99 : double.NaN;

    /// <summary>Gets the messages accepted and neither released nor still in the backlog table.</summary>
    public long Lost => Accepted - Released - LeftInBacklog;

    /// <summary>Throws if a message was lost, released twice, misclassified, or left in the database.</summary>
    /// <exception cref="InvalidOperationException">The run did not conserve messages.</exception>
    public void ThrowIfNotConserved()
    {
        var problems = new List<string>();
        if (Accepted != TraceCount)
        {
            problems.Add($"{Accepted:N0} of {TraceCount:N0} accepted");
        }

        if (Released != TraceCount || Lost != 0)
        {
            problems.Add($"{Released:N0} of {TraceCount:N0} released");
        }

        if (DuplicateReleases != 0)
        {
            problems.Add($"{DuplicateReleases:N0} released twice");
        }

        if (LevelMismatches != 0)
        {
            problems.Add($"{LevelMismatches:N0} released from another level than the trace's");
        }

        if (LeftInBacklog != 0 || DeadLettered != 0)
        {
            problems.Add($"{LeftInBacklog:N0} rows left in the backlog table, {DeadLettered:N0} dead-lettered");
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException("The scale-out run did not conserve messages: " + string.Join("; ", problems) + ".");
        }
    }

    private static (long Clear, double Utilisation) ComputeClear(ArrivalTrace trace, long[] releaseTicks, long serviceTicks)
    {
        if (trace.BacklogCount == 0)
        {
            return (0, 1);
        }

        var times = releaseTicks.Where(t => t >= 0).Order().ToArray();
        int arrived = 0;
        for (int k = 0; k < times.Length; k++)
        {
            long t = times[k];
            while (arrived < trace.Count && trace.ArrivalTicks[arrived] <= t)
            {
                arrived++;
            }

            if (k + 1 == arrived && (k + 1 == times.Length || times[k + 1] > t))
            {
                double utilisation = t <= 0 ? 1 : Math.Min(1, (k + 1) * (double)serviceTicks / t);
                return (t, utilisation);
            }
        }

        return (-1, double.NaN);
    }
}
