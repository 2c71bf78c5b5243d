namespace StormSimulator.Simulation;

/// <summary>What one policy did with the trace.</summary>
internal sealed class PolicyRun
{
    /// <summary>Gets or sets the policy name.</summary>
    public required string Name { get; init; }

    /// <summary>Gets each message's wait in the queue (release minus arrival), in ticks; -1 if never released.</summary>
    public required long[] WaitTicks { get; init; }

    /// <summary>Gets the level each message was released from (the trace's classification).</summary>
    public required byte[] Levels { get; init; }

    /// <summary>Gets the time the outage backlog was cleared (the queue first empty after it), in ticks; -1 if never.</summary>
    public long ClearTicks { get; init; }

    /// <summary>Gets the back-end utilisation while the backlog existed (busy worker time over worker time, from 0 to the clear time).</summary>
    public double Utilisation { get; init; }

    /// <summary>Gets the releases made while Bulk and a higher level both held messages.</summary>
    public long ContestedReleases { get; init; }

    /// <summary>Gets the Bulk releases among <see cref="ContestedReleases"/>.</summary>
    public long ContestedBulkReleases { get; init; }

    /// <summary>Gets the lowest Bulk share of releases over one-minute windows with at least 1,000 releases made while Bulk held messages; <see langword="null"/> when there is none.</summary>
    public double? MinWindowBulkShare { get; init; }

    /// <summary>Gets the backlog by level (highest first), sampled every <see cref="SampleTicks"/> from t = 0.</summary>
    public required IReadOnlyList<long[]> BacklogSamples { get; init; }

    /// <summary>Gets the sampling interval in ticks.</summary>
    public long SampleTicks { get; init; }

    /// <summary>Gets the traffic-mode changes (time in ticks, new mode), for schedulers that have modes.</summary>
    public required IReadOnlyList<(long Ticks, string Mode)> ModeChanges { get; init; }

    /// <summary>Gets the number of releases (each message exactly once when the run conserved messages).</summary>
    public long Releases { get; init; }

    /// <summary>Gets the number of back-end calls that failed and were retried.</summary>
    public long Failures { get; init; }

    /// <summary>Gets the number of releases whose level the scheduler decided differently from the trace (0 expected).</summary>
    public long LevelMismatches { get; init; }

    /// <summary>Gets what the <c>--backend-outage</c> scenario measured; <see langword="null"/> in the other scenarios.</summary>
    public OutageMetrics? Outage { get; init; }

    /// <summary>Gets how long the run took on the wall clock.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Gets the Bulk share of contested releases.</summary>
    public double? ContestedBulkShare => ContestedReleases == 0 ? null : ContestedBulkReleases / (double)ContestedReleases;

    /// <summary>Gets the clear time in seconds.</summary>
    public double ClearSeconds => ClearTicks < 0 ? double.NaN : ClearTicks / (double)TimeSpan.TicksPerSecond;
}
