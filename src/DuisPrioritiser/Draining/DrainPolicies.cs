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

    /// <summary>
    /// Wraps <paramref name="inner"/> in traffic management: per-level release-rate limits per <see cref="TrafficMode"/>,
    /// maximum waits (overdue messages go first, within <see cref="TrafficOptions.OverdueShare"/> of releases) and
    /// minimum shares while backlogged. Decisions stay O(levels) and allocation-free.
    /// </summary>
    /// <param name="inner">The policy that decides when no bound, share or throttle applies (strict or weighted).</param>
    /// <param name="options">The traffic settings; copied, so later changes have no effect. Per-code limits are applied by the scheduler, not the policy.</param>
    /// <param name="timeProvider">The clock whose timestamps the scheduler passes in <see cref="DrainState.Timestamp"/>; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="inner"/> or <paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A share, wait or rate is out of range, or the minimum shares add up to more than 0.9; the message names the setting.</exception>
    public static IDrainPolicy Bounded(IDrainPolicy inner, TrafficOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        DependencyInjection.Internal.TrafficOptionsValidator.ValidateTraffic(options, errors);
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid traffic options: " + string.Join(" ", errors), nameof(options));
        }

        return new BoundedDrainPolicy(inner, options, timeProvider ?? TimeProvider.System);
    }

    /// <summary>
    /// Creates the policy <paramref name="options"/> selects: <see cref="ResponsePrioritisationOptions.Drain"/>'s policy,
    /// wrapped by <see cref="Bounded"/> when <see cref="TrafficOptions.Enabled"/> (the default).
    /// </summary>
    /// <param name="options">The options.</param>
    /// <param name="timeProvider">The scheduler's clock; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public static IDrainPolicy Create(ResponsePrioritisationOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var inner = Create(options.Drain);
        return options.Traffic is { Enabled: true } traffic ? Bounded(inner, traffic, timeProvider) : inner;
    }
}
