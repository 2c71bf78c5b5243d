namespace DuisPrioritiser.Tuning;

/// <summary>The outcome of a change to the tunable settings.</summary>
public sealed class TuningResult
{
    internal TuningResult(bool applied, IReadOnlyList<TuningChange> changes, IReadOnlyList<TuningChange> ignored, IReadOnlyList<string> errors)
    {
        Applied = applied;
        Changes = changes;
        Ignored = ignored;
        Errors = errors;
    }

    /// <summary>Gets a value indicating whether the change was valid and is in force (also when it changed nothing).</summary>
    public bool Applied { get; }

    /// <summary>Gets the settings that changed, in configuration-key order; empty when refused or when nothing changed.</summary>
    public IReadOnlyList<TuningChange> Changes { get; }

    /// <summary>Gets the start-time settings whose configured value changed; they take effect at the next start.</summary>
    public IReadOnlyList<TuningChange> Ignored { get; }

    /// <summary>Gets why the change was refused, one message per problem naming the setting; empty when applied.</summary>
    public IReadOnlyList<string> Errors { get; }
}
