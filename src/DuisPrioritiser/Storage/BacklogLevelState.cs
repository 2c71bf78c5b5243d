namespace DuisPrioritiser.Storage;

/// <summary>The state of one level of an <see cref="IBacklogStore"/>, as the drain policy needs it.</summary>
/// <param name="Depth">How many messages the level holds that are not claimed, returned ones included.</param>
/// <param name="OldestEnqueuedAt">When the oldest of them was accepted; <see langword="null"/> when the level is empty.</param>
/// <remarks>For a shared store both values are global (every scheduler sharing the store) and may lag the truth by the store's refresh interval.</remarks>
public readonly record struct BacklogLevelState(long Depth, DateTimeOffset? OldestEnqueuedAt);
