using DuisPrioritiser.Release;

namespace DuisPrioritiser.Storage;

/// <summary>How one claimed message finished, for <see cref="IBacklogStore.AcknowledgeAsync"/>.</summary>
public readonly struct BacklogAcknowledgement
{
    /// <summary>Initialises an acknowledgement.</summary>
    /// <param name="id">The <see cref="StoredMessage.Id"/> of the claimed message.</param>
    /// <param name="outcome">How it finished.</param>
    /// <param name="reason">Why it was dead-lettered or returned; <see langword="null"/> when handled.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not positive, or <paramref name="outcome"/> is not defined.</exception>
    public BacklogAcknowledgement(long id, ReleaseOutcome outcome, string? reason = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(id);
        if (!Enum.IsDefined(outcome))
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Use Handled, DeadLettered or Returned.");
        }

        Id = id;
        Outcome = outcome;
        Reason = reason;
    }

    /// <summary>Gets the id of the claimed message.</summary>
    public long Id { get; }

    /// <summary>Gets how it finished.</summary>
    public ReleaseOutcome Outcome { get; }

    /// <summary>Gets why it was dead-lettered or returned, or <see langword="null"/>.</summary>
    public string? Reason { get; }
}
