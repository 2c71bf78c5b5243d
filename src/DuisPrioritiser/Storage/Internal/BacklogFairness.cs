using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Storage.Internal;

/// <summary>
/// Which levels of a <see cref="LocalBacklog"/> release fairly between flows, into how many flow buckets, and the flow
/// key (read from <see cref="TrafficOptions"/> once, when the store is built).
/// </summary>
/// <param name="LevelMask">Bit <c>i</c> set when level <c>i</c> is fair.</param>
/// <param name="BucketCount">The number of flow buckets per fair level.</param>
/// <param name="FlowKey">The flow of a message.</param>
/// <param name="Seed">The flow hash seed; <see langword="null"/> for a random one (tests pass a fixed one).</param>
internal sealed record BacklogFairness(int LevelMask, int BucketCount, Func<DuisMessage, ulong> FlowKey, ulong? Seed = null)
{
    /// <summary>The default flow key: the device the message concerns; messages that name none share one flow.</summary>
    public static readonly Func<DuisMessage, ulong> DeviceFlowKey = static message => message.Device is { } device ? device.Value : 0;

    /// <summary>Reads the fairness settings of <paramref name="traffic"/>; <see langword="null"/> when no level is fair.</summary>
    /// <param name="traffic">The traffic options (validated).</param>
    /// <returns>The settings, or <see langword="null"/>.</returns>
    public static BacklogFairness? From(TrafficOptions traffic)
    {
        int mask = 0;
        foreach (var level in PriorityLevels.All)
        {
            if (traffic.Get(level).FairQueueing)
            {
                mask |= 1 << (int)level;
            }
        }

        return mask == 0 ? null : new BacklogFairness(mask, traffic.FlowBuckets, traffic.FlowKey ?? DeviceFlowKey, traffic.FlowHashSeed);
    }
}
