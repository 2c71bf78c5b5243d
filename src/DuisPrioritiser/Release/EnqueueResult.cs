namespace DuisPrioritiser.Release;

/// <summary>The outcome of <see cref="IResponseReleaseScheduler.EnqueueWithResultAsync"/>.</summary>
/// <remarks>
/// Acknowledge the DCC with a 2xx for <see cref="Accepted"/> and <see cref="AcceptedDuplicate"/> only; for the
/// others the message stays the caller's (answer with a 5xx so that the DCC resends it).
/// </remarks>
public enum EnqueueResult
{
    /// <summary>The message was accepted (and, with a journal, is durable): it will be released.</summary>
    Accepted = 0,

    /// <summary>
    /// The message repeats one accepted recently (a redelivery): it was not enqueued again, but the original will be
    /// (or was) released, so acknowledge it to the DCC like an accepted message.
    /// </summary>
    AcceptedDuplicate = 1,

    /// <summary>The scheduler is at capacity (under <see cref="QueueFullMode.Reject"/>): not accepted.</summary>
    RejectedFull = 2,

    /// <summary>The scheduler has been completed: not accepted.</summary>
    RejectedCompleted = 3,

    /// <summary>
    /// The backlog store could not be reached (a remote store's server is down or the network is partitioned):
    /// nothing was stored, so the message was not accepted; ask the sender to retry later.
    /// </summary>
    Unavailable = 4,
}
