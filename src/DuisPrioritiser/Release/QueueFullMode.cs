namespace DuisPrioritiser.Release;

/// <summary>What <see cref="IResponseReleaseScheduler.EnqueueAsync(Duis.DuisMessage, CancellationToken)"/> does when the scheduler is at capacity.</summary>
public enum QueueFullMode
{
    /// <summary>Reject at once: the call returns <see langword="false"/> and the message stays with the caller (for example to answer the DCC with HTTP 503).</summary>
    Reject = 0,

    /// <summary>Wait until space frees up, or the call is cancelled, or the scheduler completes.</summary>
    Wait = 1,
}
