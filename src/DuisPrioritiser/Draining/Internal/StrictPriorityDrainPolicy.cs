using System.Numerics;
using DuisPrioritiser.Classification;

namespace DuisPrioritiser.Draining.Internal;

/// <summary>Always the highest non-empty level. Stateless, so trivially thread-safe.</summary>
internal sealed class StrictPriorityDrainPolicy : IDrainPolicy
{
    public static readonly StrictPriorityDrainPolicy Instance = new();

    public bool TrySelectLevel(in DrainState state, out PriorityLevel level)
    {
        int mask = state.GetOccupancyMask();
        level = (PriorityLevel)BitOperations.TrailingZeroCount(mask);
        return mask != 0;
    }

    public void OnReleased(PriorityLevel level, in DrainState state)
    {
    }
}
