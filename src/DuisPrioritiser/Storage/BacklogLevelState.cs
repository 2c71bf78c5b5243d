namespace DuisPrioritiser.Storage;

/// <summary>The state of one level of an <see cref="IBacklogStore"/>, as the drain policy needs it.</summary>
/// <param name="Depth">How many messages the level holds that are not claimed, returned ones included.</param>
/// <param name="OldestEnqueuedAt">When the oldest of them was accepted; <see langword="null"/> when the level is empty.</param>
/// <remarks>For a shared store both values are global (every scheduler sharing the store) and may lag the truth by the store's refresh interval.</remarks>
public readonly record struct BacklogLevelState(long Depth, DateTimeOffset? OldestEnqueuedAt)
{
    /// <summary>
    /// Gets how many messages other schedulers sharing the store have claimed from the level (a running count; only
    /// its growth between two reads means anything), so that the drain policy's minimum shares count every instance's
    /// releases, not only this scheduler's. A store that is not shared, or does not count, leaves it 0.
    /// </summary>
    /// <value>The default value is 0. It may lag, and may briefly read lower than before (a refresh racing a claim); readers ignore a fall.</value>
    public long ReleasedElsewhere { get; init; }
}
