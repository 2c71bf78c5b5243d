namespace DuisPrioritiser.Draining;

/// <summary>Where a <see cref="DrainState"/> reads its values from: the scheduler's queue, or fixed values in tests.</summary>
internal interface IDrainStateSource
{
    TrafficMode Mode { get; }

    long GetCount(int level);

    int GetOccupancyMask();

    TimeSpan GetOldestWait(int level, long timestamp);
}
