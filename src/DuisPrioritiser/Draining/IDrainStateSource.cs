namespace DuisPrioritiser.Draining;

/// <summary>Where a <see cref="DrainState"/> reads its values from: the scheduler's queue, or fixed values in tests.</summary>
internal interface IDrainStateSource
{
    TrafficMode Mode { get; }

    long GetCount(int level);

    int GetOccupancyMask();

    TimeSpan GetOldestWait(int level, long timestamp);

    /// <summary>Gets the running count of messages other schedulers sharing the store released from <paramref name="level"/>; 0 when none share it.</summary>
    long GetReleasedElsewhere(int level) => 0;

    /// <summary>Gets a value indicating whether <see cref="GetReleasedElsewhere"/> can be non-zero (a shared store), so policies skip it otherwise.</summary>
    bool SharesReleases => false;
}
