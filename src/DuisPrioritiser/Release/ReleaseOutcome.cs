namespace DuisPrioritiser.Release;

/// <summary>How a released message finished, reported through <see cref="IResponseReleaseScheduler.AcknowledgeAsync"/>.</summary>
public enum ReleaseOutcome
{
    /// <summary>The handler processed the message.</summary>
    Handled = 0,

    /// <summary>The message could not be handled and was given to a dead-letter sink.</summary>
    DeadLettered = 1,

    /// <summary>
    /// The message could not be handled for a transient reason (the back-end is unavailable): it is held again at the
    /// front of its own level, in its original order, with <see cref="ReleasedMessage.Attempts"/> one higher, and the
    /// drain policy releases it again. Nothing is lost; with a durable store it survives a restart.
    /// </summary>
    Returned = 2,
}
