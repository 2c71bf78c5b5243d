namespace DuisPrioritiser.Release;

/// <summary>Where the hosted release loop hands messages it could not handle: after the last retry, or at shutdown.</summary>
/// <remarks>The built-in sink logs each message at error level (event 4011). Register your own with <c>AddDeadLetterSink</c> to store them for replay.</remarks>
public interface IDeadLetterSink
{
    /// <summary>Takes one dead-lettered message.</summary>
    /// <param name="deadLetter">The message and why it was dead-lettered.</param>
    /// <param name="cancellationToken">Cancels the hand-over.</param>
    /// <returns>A task that completes when the message is stored.</returns>
    ValueTask DeadLetterAsync(DeadLetter deadLetter, CancellationToken cancellationToken);
}
