namespace DuisPrioritiser.Draining;

/// <summary>The built-in drain policies.</summary>
public enum DrainPolicyKind
{
    /// <summary>Always release from the highest non-empty level.</summary>
    StrictPriority = 0,

    /// <summary>Deficit round robin across non-empty levels in proportion to their <see cref="PriorityLevelWeights"/>.</summary>
    WeightedFair = 1,
}
