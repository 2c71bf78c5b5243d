namespace StormSimulator.Simulation;

/// <summary>The policy names used in the report and in summary.json.</summary>
internal static class PolicyNames
{
    /// <summary>A plain FIFO queue: what an adapter does today.</summary>
    public const string Fifo = "Fifo";

    /// <summary><c>Channel.CreateUnboundedPrioritized</c>: strict priority, unordered within a priority.</summary>
    public const string PrioritizedChannel = "PrioritizedChannel";

    /// <summary>The real scheduler with <c>DrainPolicies.StrictPriority()</c>.</summary>
    public const string StrictPriority = "StrictPriority";

    /// <summary>The real scheduler with the policy <c>AddResponsePrioritisation()</c> registers by default.</summary>
    public const string Default = "Default";

    /// <summary>Gets every simulated policy, in report order.</summary>
    public static IReadOnlyList<string> All { get; } = [Fifo, PrioritizedChannel, StrictPriority, Default];
}
