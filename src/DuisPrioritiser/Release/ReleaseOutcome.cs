namespace DuisPrioritiser.Release;

/// <summary>How a released message finished, reported through <see cref="IResponseReleaseScheduler.AcknowledgeAsync"/>.</summary>
public enum ReleaseOutcome
{
    /// <summary>The handler processed the message.</summary>
    Handled = 0,

    /// <summary>The message could not be handled and was given to a dead-letter sink.</summary>
    DeadLettered = 1,

    /// <summary>
    /// The attempt failed and the message should be tried again later: it is held again at the <b>front of its own
    /// level</b>, in its original order (ahead of everything queued at that level), counted in that level's depth and
    /// oldest wait, and released again by the drain policy. Its <see cref="ReleasedMessage.Attempts"/> is one higher
    /// on its next release. With a durable journal it stays in the journal, so it survives a restart.
    /// </summary>
    Returned = 2,
}
