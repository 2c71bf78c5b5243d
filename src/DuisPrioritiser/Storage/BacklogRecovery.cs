namespace DuisPrioritiser.Storage;

/// <summary>What <see cref="IBacklogStore.OpenAsync"/> found: the messages held from before the last stop.</summary>
/// <param name="RecoveredCount">How many messages the store holds after opening (for a shared store, across every level, as last seen).</param>
public readonly record struct BacklogRecovery(long RecoveredCount);
