using System.ComponentModel.DataAnnotations;
using DuisPrioritiser.Classification;

namespace DuisPrioritiser.Draining;

/// <summary>
/// Relative release shares per level for <see cref="DrainPolicyKind.WeightedFair"/>: while every level has a
/// backlog, level <c>i</c> receives <c>weight(i) / sum(weights)</c> of releases.
/// </summary>
public sealed class PriorityLevelWeights
{
    /// <summary>Gets or sets the weight of <see cref="PriorityLevel.Critical"/>.</summary>
    /// <value>The default value is 32.</value>
    [Range(1, 1_000_000)]
    public int Critical { get; set; } = 32;

    /// <summary>Gets or sets the weight of <see cref="PriorityLevel.High"/>.</summary>
    /// <value>The default value is 16.</value>
    [Range(1, 1_000_000)]
    public int High { get; set; } = 16;

    /// <summary>Gets or sets the weight of <see cref="PriorityLevel.Normal"/>.</summary>
    /// <value>The default value is 8.</value>
    [Range(1, 1_000_000)]
    public int Normal { get; set; } = 8;

    /// <summary>Gets or sets the weight of <see cref="PriorityLevel.Low"/>.</summary>
    /// <value>The default value is 4.</value>
    [Range(1, 1_000_000)]
    public int Low { get; set; } = 4;

    /// <summary>Gets or sets the weight of <see cref="PriorityLevel.Bulk"/>.</summary>
    /// <value>The default value is 1.</value>
    [Range(1, 1_000_000)]
    public int Bulk { get; set; } = 1;

    /// <summary>Gets the weight of <paramref name="level"/>.</summary>
    /// <param name="level">The level.</param>
    /// <returns>The weight.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not defined.</exception>
    public int Get(PriorityLevel level) => level switch
    {
        PriorityLevel.Critical => Critical,
        PriorityLevel.High => High,
        PriorityLevel.Normal => Normal,
        PriorityLevel.Low => Low,
        PriorityLevel.Bulk => Bulk,
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "Undefined priority level."),
    };

    /// <summary>Copies the weights into a new array indexed by level.</summary>
    /// <returns>The weights, highest level first.</returns>
    internal int[] ToArray() => [Critical, High, Normal, Low, Bulk];
}
