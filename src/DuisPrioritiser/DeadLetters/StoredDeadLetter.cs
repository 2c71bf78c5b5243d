using DuisPrioritiser.Classification;

namespace DuisPrioritiser.DeadLetters;

/// <summary>A dead letter as an <see cref="IDeadLetterStore"/> keeps it: the exact bytes the DCC sent and why it could not be handled.</summary>
public sealed class StoredDeadLetter
{
    /// <summary>Initialises a stored dead letter.</summary>
    /// <param name="id">The store's id (positive).</param>
    /// <param name="level">The level it was released from, and is replayed at.</param>
    /// <param name="reason">Why it was dead-lettered (see <see cref="Release.DeadLetter"/> for the built-in reasons).</param>
    /// <param name="attempts">How many handler calls were made.</param>
    /// <param name="deadLetteredAt">When it was dead-lettered.</param>
    /// <param name="receivedAt">When it was received.</param>
    /// <param name="error">The last failure, as text, or <see langword="null"/>.</param>
    /// <param name="rawMessage">The exact bytes of the message.</param>
    /// <exception cref="ArgumentNullException"><paramref name="reason"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not positive, or <paramref name="attempts"/> is negative.</exception>
    public StoredDeadLetter(long id, PriorityLevel level, string reason, int attempts, DateTimeOffset deadLetteredAt, DateTimeOffset receivedAt, string? error, ReadOnlyMemory<byte> rawMessage)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(id);
        ArgumentNullException.ThrowIfNull(reason);
        ArgumentOutOfRangeException.ThrowIfNegative(attempts);
        Id = id;
        Level = level;
        Reason = reason;
        Attempts = attempts;
        DeadLetteredAt = deadLetteredAt;
        ReceivedAt = receivedAt;
        Error = error;
        RawMessage = rawMessage;
    }

    /// <summary>Gets the store's id.</summary>
    public long Id { get; }

    /// <summary>Gets the level it was released from (and is replayed at).</summary>
    public PriorityLevel Level { get; }

    /// <summary>Gets why it was dead-lettered.</summary>
    public string Reason { get; }

    /// <summary>Gets how many handler calls were made.</summary>
    public int Attempts { get; }

    /// <summary>Gets when it was dead-lettered.</summary>
    public DateTimeOffset DeadLetteredAt { get; }

    /// <summary>Gets when the message was received.</summary>
    public DateTimeOffset ReceivedAt { get; }

    /// <summary>Gets the last failure as text (type and message), or <see langword="null"/>.</summary>
    public string? Error { get; }

    /// <summary>Gets the exact bytes of the message.</summary>
    public ReadOnlyMemory<byte> RawMessage { get; }

    /// <inheritdoc />
    public override string ToString() => $"dead letter {Id} ({Level}, {Reason}, {Attempts} attempt(s), {RawMessage.Length} bytes)";
}
