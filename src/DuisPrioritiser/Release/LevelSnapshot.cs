using DuisPrioritiser.Classification;

namespace DuisPrioritiser.Release;

/// <summary>The state of one priority level at a moment.</summary>
/// <param name="Level">The level.</param>
/// <param name="Count">The number of messages held.</param>
/// <param name="OldestWait">How long the oldest held message has waited; zero when empty.</param>
public readonly record struct LevelSnapshot(PriorityLevel Level, long Count, TimeSpan OldestWait);
