namespace DuisPrioritiser.Release;

/// <summary>A point-in-time view of a scheduler, for diagnostics, health checks and dashboards.</summary>
public sealed class SchedulerSnapshot
{
    internal SchedulerSnapshot(IReadOnlyList<LevelSnapshot> levels, long capacity, long inFlight, bool isCompleted, DateTimeOffset takenAt)
    {
        Levels = levels;
        Capacity = capacity;
        InFlight = inFlight;
        IsCompleted = isCompleted;
        TakenAt = takenAt;
        long total = 0;
        foreach (var level in levels)
        {
            total += level.Count;
        }

        LevelsTotal = total;
    }

    /// <summary>Gets one entry per level, highest first.</summary>
    public IReadOnlyList<LevelSnapshot> Levels { get; }

    /// <summary>Gets the number of messages held: across levels, plus <see cref="DeferredCount"/>.</summary>
    public long TotalCount => LevelsTotal + DeferredCount;

    /// <summary>Gets the number of held messages set aside by per-alert-code throttles (not counted in <see cref="Levels"/>).</summary>
    public long DeferredCount { get; internal init; }

    /// <summary>Gets the traffic mode at the time of the snapshot.</summary>
    public Draining.TrafficMode Mode { get; internal init; }

    /// <summary>Gets the configured capacity.</summary>
    public long Capacity { get; }

    /// <summary>Gets the number of released messages not yet acknowledged.</summary>
    public long InFlight { get; }

    /// <summary>Gets a value indicating whether <see cref="IResponseReleaseScheduler.Complete"/> has been called.</summary>
    public bool IsCompleted { get; }

    /// <summary>Gets how many duplicate messages the scheduler has suppressed since it started.</summary>
    public long DuplicatesSuppressed { get; internal init; }

    /// <summary>
    /// Gets how many remembered message keys the duplicate window forgot before <see cref="Deduplication.DeduplicationOptions.MaxAge"/>
    /// because their part of the window was full (a copy of such a message arriving later is accepted again, a
    /// redelivery). It grows steadily once more than about half of <see cref="Deduplication.DeduplicationOptions.MaxCount"/>
    /// distinct messages arrive within MaxAge: raise MaxCount if redeliveries come later than that.
    /// </summary>
    public long DuplicateKeysEvicted { get; internal init; }

    /// <summary>Gets when the snapshot was taken.</summary>
    public DateTimeOffset TakenAt { get; }

    private long LevelsTotal { get; }

    /// <inheritdoc />
    public override string ToString()
        => $"{Mode}: {TotalCount}/{Capacity} held ({DeferredCount} deferred), {InFlight} in flight: " + string.Join(", ", Levels.Select(l => $"{l.Level} {l.Count} (oldest {l.OldestWait})"));
}
