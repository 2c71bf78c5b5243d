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

        TotalCount = total;
    }

    /// <summary>Gets one entry per level, highest first.</summary>
    public IReadOnlyList<LevelSnapshot> Levels { get; }

    /// <summary>Gets the number of messages held across levels.</summary>
    public long TotalCount { get; }

    /// <summary>Gets the configured capacity.</summary>
    public long Capacity { get; }

    /// <summary>Gets the number of released messages not yet acknowledged.</summary>
    public long InFlight { get; }

    /// <summary>Gets a value indicating whether <see cref="IResponseReleaseScheduler.Complete"/> has been called.</summary>
    public bool IsCompleted { get; }

    /// <summary>Gets how many duplicate messages the scheduler has suppressed since it started.</summary>
    public long DuplicatesSuppressed { get; internal init; }

    /// <summary>Gets when the snapshot was taken.</summary>
    public DateTimeOffset TakenAt { get; }

    /// <inheritdoc />
    public override string ToString()
        => $"{TotalCount}/{Capacity} held, {InFlight} in flight: " + string.Join(", ", Levels.Select(l => $"{l.Level} {l.Count} (oldest {l.OldestWait})"));
}
