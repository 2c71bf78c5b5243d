using DuisPrioritiser.Classification;
using DuisPrioritiser.Consolidation;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Release;

/// <summary>A message released by the scheduler, with its level and how long it waited.</summary>
/// <remarks>
/// Report how it finished with <see cref="IResponseReleaseScheduler.AcknowledgeAsync"/>: the scheduler counts it as
/// in flight until then, and a durable journal uses the acknowledgement to mark it complete.
/// </remarks>
public readonly struct ReleasedMessage : IEquatable<ReleasedMessage>
{
    private readonly AlertRepeats? _repeats;

    internal ReleasedMessage(DuisMessage message, PriorityLevel level, TimeSpan wait, long token, long enqueuedTimestamp = 0, int attempts = 0, long locator = 0, AlertRepeats? repeats = null)
    {
        _repeats = repeats;
        Locator = locator;
        Message = message;
        Level = level;
        Wait = wait;
        Token = token;
        EnqueuedTimestamp = enqueuedTimestamp;
        Attempts = attempts;
    }

    /// <summary>Gets the released message; <see langword="null"/> only for a default instance.</summary>
    public DuisMessage Message { get; }

    /// <summary>Gets the level it was released from.</summary>
    public PriorityLevel Level { get; }

    /// <summary>Gets how long it waited in the scheduler, from enqueue to release.</summary>
    public TimeSpan Wait { get; }

    /// <summary>
    /// Gets how many earlier releases of this message were acknowledged with <see cref="ReleaseOutcome.Returned"/>:
    /// 0 on its first release.
    /// </summary>
    public int Attempts { get; }

    /// <summary>
    /// Gets the repeats consolidated into this release (see <see cref="ConsolidationOptions"/>): alerts from the same
    /// device with the same code that arrived while this one was held. Empty unless consolidation is on. The handler is
    /// called once for the group; acknowledging this release acknowledges every repeat with the same outcome.
    /// </summary>
    public AlertRepeats Repeats => _repeats ?? AlertRepeats.None;

    /// <summary>Gets the repeats, or <see langword="null"/> when there are none.</summary>
    internal AlertRepeats? RepeatsOrNull => _repeats is { Count: > 0 } ? _repeats : null;

    /// <summary>Gets this release without its repeats (the dead-letter sink receives each message of a group on its own).</summary>
    internal ReleasedMessage WithoutRepeats() => new(Message, Level, Wait, Token, EnqueuedTimestamp, Attempts, Locator);

    /// <summary>Gets the store's identity for this message, used to acknowledge it (0 when not tracked).</summary>
    internal long Token { get; }

    /// <summary>Gets where the journal holds the message (0 when not held in the journal), so that a returned message is held compactly again.</summary>
    internal long Locator { get; }

    /// <summary>Gets the <see cref="TimeProvider.GetTimestamp"/> value at which it was first enqueued, used to re-hold it in order when returned.</summary>
    internal long EnqueuedTimestamp { get; }

    /// <inheritdoc />
    public bool Equals(ReleasedMessage other)
        => ReferenceEquals(Message, other.Message) && Level == other.Level && Wait == other.Wait && Token == other.Token && Attempts == other.Attempts;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ReleasedMessage other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Message, Level, Wait, Token, Attempts);

    /// <inheritdoc />
    public override string ToString() => $"{Level}: {Message} (waited {Wait})";

    /// <summary>Compares two releases.</summary>
    /// <param name="left">The first release.</param>
    /// <param name="right">The second release.</param>
    /// <returns><see langword="true"/> if they are the same release.</returns>
    public static bool operator ==(ReleasedMessage left, ReleasedMessage right) => left.Equals(right);

    /// <summary>Compares two releases.</summary>
    /// <param name="left">The first release.</param>
    /// <param name="right">The second release.</param>
    /// <returns><see langword="true"/> if they differ.</returns>
    public static bool operator !=(ReleasedMessage left, ReleasedMessage right) => !left.Equals(right);
}
