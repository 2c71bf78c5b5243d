using DuisPrioritiser.Classification;

namespace DuisPrioritiser.Draining.Internal;

/// <summary>Always the highest non-empty level. Stateless, so trivially thread-safe.</summary>
internal sealed class StrictPriorityDrainPolicy : IDrainPolicy
{
    public static readonly StrictPriorityDrainPolicy Instance = new();

    public bool TrySelectLevel(in DrainState state, out PriorityLevel level)
    {
        for (int i = 0; i < PriorityLevels.Count; i++)
        {
            if (state.GetCount((PriorityLevel)i) > 0)
            {
                level = (PriorityLevel)i;
                return true;
            }
        }

        level = default;
        return false;
    }

    public void OnReleased(PriorityLevel level, in DrainState state)
    {
    }
}
