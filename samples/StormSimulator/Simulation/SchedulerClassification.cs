using DuisPrioritiser.Classification;

namespace StormSimulator.Simulation;

/// <summary>
/// The classification the trace is labelled with: the library's built-in DUIS classifier, exactly what
/// <c>AddResponsePrioritisation()</c> registers, so a message's class in the report is the level the real
/// scheduler gives it.
/// </summary>
internal static class SchedulerClassification
{
    /// <summary>Creates the chain the scheduler builds by default (no overrides): the DUIS defaults, then Normal.</summary>
    /// <returns>The classifier.</returns>
    public static IPriorityClassifier CreateChain() => PriorityClassifier.Combine(PriorityLevel.Normal, DuisDefaultPriorityClassifier.Instance);
}
