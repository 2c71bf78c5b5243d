using DuisPrioritiser.Classification;

namespace DuisPrioritiser.Draining;

/// <summary>Decides which priority level releases the next message.</summary>
/// <remarks>
/// <para>A decision must be O(levels) and allocation-free: it runs once per released message.</para>
/// <para>Implementations must be thread-safe: several consumers may release concurrently. Built-in policies keep
/// their state in a single word updated by compare-and-swap, so their proportions are exact with one consumer
/// and approximate (never lossy) with several.</para>
/// </remarks>
public interface IDrainPolicy
{
    /// <summary>Chooses the level to release from next.</summary>
    /// <param name="state">The current per-level state.</param>
    /// <param name="level">The chosen level, when the method returns <see langword="true"/>.</param>
    /// <returns><see langword="false"/> when no level may release now (all empty, or all held back by the policy).</returns>
    bool TrySelectLevel(in DrainState state, out PriorityLevel level);

    /// <summary>Tells the policy that a message of <paramref name="level"/> was released.</summary>
    /// <param name="level">The level a message was released from.</param>
    /// <param name="state">The state the decision was made from.</param>
    void OnReleased(PriorityLevel level, in DrainState state);
}
