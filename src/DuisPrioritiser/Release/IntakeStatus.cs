namespace DuisPrioritiser.Release;

/// <summary>The outcome of handing raw DUIS bytes to the scheduler.</summary>
public enum IntakeStatus
{
    /// <summary>Read, classified and accepted: the scheduler will release it.</summary>
    Accepted = 0,

    /// <summary>Read and classified, but refused because the scheduler is at capacity. The bytes stay the caller's.</summary>
    RejectedFull,

    /// <summary>Not a readable DUIS message (see <see cref="IntakeResult.Error"/>); nothing was enqueued.</summary>
    RejectedInvalid,

    /// <summary>Read and classified, but refused because the scheduler has been completed.</summary>
    RejectedCompleted,

    /// <summary>
    /// Read and classified, and it repeats a message accepted recently (a DCC redelivery): not enqueued again, but the
    /// original will be released, so acknowledge it to the DCC like an accepted message.
    /// </summary>
    AcceptedDuplicate,

    /// <summary>
    /// Read and classified, but the backlog store could not be reached (a remote store's server is down or the
    /// network is partitioned), so nothing was stored: the bytes stay the caller's. Answer so that the sender retries
    /// later (<c>MapDuisIntake</c> answers 503 with <c>Retry-After</c>).
    /// </summary>
    Unavailable,
}
