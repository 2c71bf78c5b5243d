namespace DuisPrioritiser.Release;

/// <summary>Where the hosted release loop hands messages it could not handle: after the last retry, or at shutdown.</summary>
/// <remarks>The release loop logs each dead letter at error level (event 4011) and, by default, hands it to the <see cref="DeadLetters.IDeadLetterStore"/> (durable with the journal), which keeps its bytes for replay. Register your own with <c>UseDeadLetterSink</c> (or a store with <c>UseDeadLetterStore</c>).</remarks>
public interface IDeadLetterSink
{
    /// <summary>Takes one dead-lettered message.</summary>
    /// <param name="deadLetter">The message and why it was dead-lettered.</param>
    /// <param name="cancellationToken">Cancels the hand-over.</param>
    /// <returns>A task that completes when the message is stored.</returns>
    ValueTask DeadLetterAsync(DeadLetter deadLetter, CancellationToken cancellationToken);
}
