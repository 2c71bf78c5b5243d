namespace DuisPrioritiser.Release;

/// <summary>How a released message finished, reported through <see cref="IResponseReleaseScheduler.AcknowledgeAsync"/>.</summary>
public enum ReleaseOutcome
{
    /// <summary>The handler processed the message.</summary>
    Handled = 0,

    /// <summary>The message could not be handled and was given to a dead-letter sink.</summary>
    DeadLettered = 1,
}
