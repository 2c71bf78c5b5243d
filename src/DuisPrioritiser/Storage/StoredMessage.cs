using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Storage;

/// <summary>A message claimed from an <see cref="IBacklogStore"/>, with the identity used to acknowledge it.</summary>
public readonly struct StoredMessage
{
    /// <summary>Initialises a claimed message.</summary>
    /// <param name="id">The store's identity for the message, positive and unique within the store; used to acknowledge it.</param>
    /// <param name="message">The message, with the exact bytes received.</param>
    /// <param name="level">The level it is held at.</param>
    /// <param name="enqueuedAt">When it was accepted.</param>
    /// <param name="attempts">How many earlier claims of it ended in <see cref="Release.ReleaseOutcome.Returned"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not positive, or <paramref name="attempts"/> is negative.</exception>
    public StoredMessage(long id, DuisMessage message, PriorityLevel level, DateTimeOffset enqueuedAt, int attempts)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(id);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentOutOfRangeException.ThrowIfNegative(attempts);
        Id = id;
        Message = message;
        Level = level;
        EnqueuedAt = enqueuedAt;
        Attempts = attempts;
    }

    /// <summary>Gets the store's identity for the message.</summary>
    public long Id { get; }

    /// <summary>Gets the message; <see langword="null"/> only for a default instance.</summary>
    public DuisMessage Message { get; }

    /// <summary>Gets the level it is held at.</summary>
    public PriorityLevel Level { get; }

    /// <summary>Gets when it was accepted.</summary>
    public DateTimeOffset EnqueuedAt { get; }

    /// <summary>Gets how many earlier claims of it ended in <see cref="Release.ReleaseOutcome.Returned"/> (0 on its first claim).</summary>
    public int Attempts { get; }
}
