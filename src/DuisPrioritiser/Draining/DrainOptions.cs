using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace DuisPrioritiser.Draining;

/// <summary>Options for the drain policy built from configuration.</summary>
public sealed class DrainOptions
{
    /// <summary>Gets or sets the built-in policy to use (ignored when a custom <see cref="IDrainPolicy"/> is registered).</summary>
    /// <value>The default value is <see cref="DrainPolicyKind.StrictPriority"/>.</value>
    [EnumDataType(typeof(DrainPolicyKind))]
    public DrainPolicyKind Policy { get; set; } = DrainPolicyKind.StrictPriority;

    /// <summary>Gets or sets the per-level weights of <see cref="DrainPolicyKind.WeightedFair"/>.</summary>
    /// <value>The default value is 32 : 16 : 8 : 4 : 1 from Critical to Bulk.</value>
    [Required]
    [ValidateObjectMembers]
    public PriorityLevelWeights Weights { get; set; } = new();
}
