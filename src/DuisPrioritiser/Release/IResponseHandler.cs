namespace DuisPrioritiser.Release;

/// <summary>The integrator's back-end: called by the hosted release loop for every released message, within the in-flight limit.</summary>
/// <remarks>
/// Throw to report a failure: the message is retried with backoff (<see cref="ReleaseOptions"/>), then dead-lettered.
/// Honour <c>cancellationToken</c>: it is cancelled at <see cref="ReleaseOptions.HandlerTimeout"/> and when shutdown
/// gives up waiting. Calls run concurrently.
/// </remarks>
public interface IResponseHandler
{
    /// <summary>Handles one released message.</summary>
    /// <param name="message">The released message, with its level and wait.</param>
    /// <param name="cancellationToken">Cancelled on time-out or forced shutdown.</param>
    /// <returns>A task that completes when the message is handled.</returns>
    ValueTask HandleAsync(ReleasedMessage message, CancellationToken cancellationToken);
}
