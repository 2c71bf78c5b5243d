namespace DuisPrioritiser.Tuning;

/// <summary>One setting that changed.</summary>
/// <param name="Setting">The configuration key below the <c>DuisPrioritiser</c> section, such as <c>Traffic:Bulk:MinShare</c>.</param>
/// <param name="Before">The value before, as configuration text; <see langword="null"/> when the setting was absent.</param>
/// <param name="After">The value after, as configuration text; <see langword="null"/> when the setting was removed.</param>
public sealed record TuningChange(string Setting, string? Before, string? After)
{
    /// <summary>Returns <c>Setting: Before -> After</c>.</summary>
    /// <returns>The change as text.</returns>
    public override string ToString() => $"{Setting}: {Before ?? "(none)"} -> {After ?? "(none)"}";
}
