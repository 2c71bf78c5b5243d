using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Release;

/// <summary>
/// Accepts DUIS messages fast, classifies each by priority, holds them in a lock-free multi-level queue and releases
/// them in the order a drain policy decides. Nothing accepted is dropped: every accepted message is released
/// exactly once.
/// </summary>
/// <remarks>
/// <para>All members are thread-safe. Any number of producers and consumers may call concurrently.</para>
/// <para>Writers: <see cref="TryEnqueue(DuisMessage)"/> never blocks; <see cref="EnqueueAsync(DuisMessage, CancellationToken)"/> honours
/// <see cref="QueueFullMode"/>. A message that is not accepted stays the caller's responsibility.</para>
/// <para>Readers: <see cref="TryDequeue"/>, <see cref="DequeueAsync"/>, <see cref="WaitToReadAsync"/> and
/// <see cref="ReadAllAsync"/>; report each released message's outcome with <see cref="AcknowledgeAsync"/>.</para>
/// <para>After <see cref="Complete"/>, writes are refused and readers drain the backlog, then end.</para>
/// </remarks>
public interface IResponseReleaseScheduler : IAsyncDisposable
{
    /// <summary>Gets a task that completes once <see cref="Complete"/> has been called and every held message has been released.</summary>
    Task Completion { get; }

    /// <summary>Classifies <paramref name="message"/> and enqueues it without blocking.</summary>
    /// <param name="message">The message.</param>
    /// <returns><see langword="true"/> if accepted; <see langword="false"/> if at capacity or completed (the message stays the caller's).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">A durable journal is configured: use <see cref="EnqueueAsync(DuisMessage, CancellationToken)"/>, which completes once the message is durable.</exception>
    bool TryEnqueue(DuisMessage message);

    /// <summary>Enqueues <paramref name="message"/> at an explicit <paramref name="level"/>, bypassing classification, without blocking.</summary>
    /// <param name="message">The message.</param>
    /// <param name="level">The level to hold it at.</param>
    /// <returns><see langword="true"/> if accepted; <see langword="false"/> if at capacity or completed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not defined.</exception>
    /// <exception cref="InvalidOperationException">A durable journal is configured: use <see cref="EnqueueAsync(DuisMessage, CancellationToken)"/>.</exception>
    bool TryEnqueue(DuisMessage message, PriorityLevel level);

    /// <summary>
    /// Classifies and enqueues <paramref name="message"/>. When at capacity it returns <see langword="false"/> at once
    /// under <see cref="QueueFullMode.Reject"/>, or waits for space under <see cref="QueueFullMode.Wait"/>.
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels a wait for space.</param>
    /// <returns><see langword="true"/> if accepted; <see langword="false"/> if rejected as full, because the scheduler completed, or because a remote backlog store could not be reached.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting; the message was not accepted.</exception>
    /// <exception cref="Journal.JournalWriteException">The journal could not make the message durable (disk full): it was not accepted.</exception>
    ValueTask<bool> EnqueueAsync(DuisMessage message, CancellationToken cancellationToken = default);

    /// <summary>
    /// Classifies and enqueues <paramref name="message"/> like <see cref="EnqueueAsync(DuisMessage, CancellationToken)"/>, and says why it was or was not
    /// accepted, including <see cref="EnqueueResult.AcceptedDuplicate"/> for a suppressed redelivery. With a durable
    /// journal it completes only once the message is on stable storage, so the adapter may then acknowledge the DCC.
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels a wait for space.</param>
    /// <returns>
    /// The outcome; acknowledge the DCC with a 2xx for <see cref="EnqueueResult.Accepted"/> and <see cref="EnqueueResult.AcceptedDuplicate"/>.
    /// <see cref="EnqueueResult.Unavailable"/>: a remote backlog store could not be reached and nothing was stored.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting; the message was not accepted.</exception>
    /// <exception cref="Journal.JournalWriteException">The journal could not make the message durable (disk full): it was not accepted.</exception>
    /// <remarks>The default implementation, for other implementers, maps <see cref="EnqueueAsync(DuisMessage, CancellationToken)"/>: <see langword="false"/> becomes <see cref="EnqueueResult.RejectedFull"/>.</remarks>
    async ValueTask<EnqueueResult> EnqueueWithResultAsync(DuisMessage message, CancellationToken cancellationToken = default)
        => await EnqueueAsync(message, cancellationToken).ConfigureAwait(false) ? EnqueueResult.Accepted : EnqueueResult.RejectedFull;

    /// <summary>
    /// Reads, classifies and enqueues a raw DUIS message without blocking. Never throws for bad input: invalid bytes
    /// are returned as <see cref="IntakeStatus.RejectedInvalid"/> with the parse error, and nothing is enqueued.
    /// </summary>
    /// <param name="xml">The raw UTF-8 message bytes, kept (not copied) in the envelope: do not change them afterwards.</param>
    /// <returns>The outcome, with the level and envelope when accepted.</returns>
    /// <exception cref="InvalidOperationException">A durable journal is configured: use <see cref="EnqueueAsync(ReadOnlyMemory{byte}, CancellationToken)"/>.</exception>
    IntakeResult TryEnqueue(ReadOnlyMemory<byte> xml);

    /// <summary>
    /// Reads, classifies and enqueues a raw DUIS message. When at capacity it returns
    /// <see cref="IntakeStatus.RejectedFull"/> at once under <see cref="QueueFullMode.Reject"/>, or waits for space under
    /// <see cref="QueueFullMode.Wait"/>. Invalid bytes are returned as <see cref="IntakeStatus.RejectedInvalid"/>; when a
    /// remote backlog store cannot be reached the message is not stored and the result is <see cref="IntakeStatus.Unavailable"/>.
    /// </summary>
    /// <param name="xml">The raw UTF-8 message bytes, kept (not copied) in the envelope: do not change them afterwards.</param>
    /// <param name="cancellationToken">Cancels a wait for space.</param>
    /// <returns>The outcome, with the level and envelope when accepted.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting; the message was not accepted.</exception>
    /// <exception cref="Journal.JournalWriteException">The journal could not make the message durable (disk full): it was not accepted.</exception>
    ValueTask<IntakeResult> EnqueueAsync(ReadOnlyMemory<byte> xml, CancellationToken cancellationToken = default);

    /// <summary>Releases the next message the drain policy chooses, without blocking.</summary>
    /// <param name="message">The released message.</param>
    /// <returns><see langword="true"/> if a message was released.</returns>
    bool TryDequeue(out ReleasedMessage message);

    /// <summary>Waits for and releases the next message.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The released message.</returns>
    /// <exception cref="InvalidOperationException">The scheduler has completed and holds no more messages.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<ReleasedMessage> DequeueAsync(CancellationToken cancellationToken = default);

    /// <summary>Waits until a message may be available to release.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see langword="true"/> when messages are held; <see langword="false"/> once completed and empty.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default);

    /// <summary>Releases messages as they become available, until the scheduler is completed and empty.</summary>
    /// <param name="cancellationToken">Ends the enumeration.</param>
    /// <returns>The released messages, in release order.</returns>
    IAsyncEnumerable<ReleasedMessage> ReadAllAsync(CancellationToken cancellationToken = default);

    /// <summary>Reports how a released message finished, ending its time in flight.</summary>
    /// <param name="message">The released message.</param>
    /// <param name="outcome">How it finished.</param>
    /// <param name="cancellationToken">Cancels waiting for the acknowledgement to be recorded.</param>
    /// <returns>A task that completes when the acknowledgement is recorded.</returns>
    /// <exception cref="ArgumentException"><paramref name="message"/> is a default instance.</exception>
    ValueTask AcknowledgeAsync(ReleasedMessage message, ReleaseOutcome outcome = ReleaseOutcome.Handled, CancellationToken cancellationToken = default);

    /// <summary>Refuses further writes; readers release the backlog and then end. Idempotent.</summary>
    void Complete();

    /// <summary>Takes a snapshot of depth and oldest wait per level.</summary>
    /// <returns>The snapshot.</returns>
    SchedulerSnapshot GetSnapshot();
}
