using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Storage;

/// <summary>One message to append to an <see cref="IBacklogStore"/>.</summary>
public readonly struct BacklogAppend
{
    /// <summary>Initialises an item.</summary>
    /// <param name="message">The message; its <see cref="DuisMessage.RawMessage"/> bytes are what the store keeps.</param>
    /// <param name="level">The level it is held at.</param>
    /// <param name="enqueuedAt">When the scheduler accepted it (its <see cref="DuisMessage.ReceivedAt"/>).</param>
    /// <param name="deduplicationKey">The key a store that deduplicates holds unique, or <see langword="null"/> for a message without one (never suppressed).</param>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    public BacklogAppend(DuisMessage message, PriorityLevel level, DateTimeOffset enqueuedAt, string? deduplicationKey)
    {
        ArgumentNullException.ThrowIfNull(message);
        Message = message;
        Level = level;
        EnqueuedAt = enqueuedAt;
        DeduplicationKey = deduplicationKey;
    }

    /// <summary>Gets the message.</summary>
    public DuisMessage Message { get; }

    /// <summary>Gets the level it is held at.</summary>
    public PriorityLevel Level { get; }

    /// <summary>Gets when it was accepted.</summary>
    public DateTimeOffset EnqueuedAt { get; }

    /// <summary>Gets its deduplication key (ResponseID or RequestID with the response code, kind, alert code, SRV and payload name), or <see langword="null"/>.</summary>
    public string? DeduplicationKey { get; }
}
