using DuisPrioritiser.Draining.Internal;

namespace DuisPrioritiser.Draining;

/// <summary>Creates the built-in drain policies.</summary>
public static class DrainPolicies
{
    /// <summary>Creates a policy that always releases from the highest non-empty level. Stateless and thread-safe.</summary>
    /// <returns>The policy.</returns>
    public static IDrainPolicy StrictPriority() => StrictPriorityDrainPolicy.Instance;

    /// <summary>
    /// Creates a deficit-round-robin policy: non-empty levels take turns, each releasing up to its weight per
    /// round, so every backlogged level gets its share and none is starved.
    /// </summary>
    /// <param name="weights">The per-level weights; copied, so later changes have no effect.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="weights"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A weight is less than 1.</exception>
    public static IDrainPolicy WeightedFair(PriorityLevelWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return new WeightedFairDrainPolicy(weights.ToArray());
    }

    /// <summary>Creates the policy that <paramref name="options"/> selects.</summary>
    /// <param name="options">The drain options.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The policy kind is undefined or a weight is invalid.</exception>
    public static IDrainPolicy Create(DrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Policy switch
        {
            DrainPolicyKind.StrictPriority => StrictPriority(),
            DrainPolicyKind.WeightedFair => WeightedFair(options.Weights),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Policy, "Unknown drain policy: use StrictPriority or WeightedFair."),
        };
    }
}
