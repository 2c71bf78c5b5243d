using DuisPrioritiser.Release;

namespace DuisPrioritiser.DeadLetters;

/// <summary>
/// A durable place for messages that can never be handled: it keeps each one's exact bytes, level, reason and
/// attempts, and lets an operator list, count, replay (through <see cref="DeadLetterManager"/>) and purge them.
/// </summary>
/// <remarks>
/// <para>The built-in stores: a file store in <c>&lt;journal directory&gt;/dead-letters</c> when the durable journal is
/// on, else an in-memory store (lost when the process exits). Register another (a database) with
/// <c>UseDeadLetterStore</c>. Implementations must be thread-safe, and <see cref="IDeadLetterSink.DeadLetterAsync"/>
/// must complete only once the dead letter is stored as durably as the store promises: the release loop acknowledges
/// (completes in the journal) only after it returns.</para>
/// <para>Ids are positive, unique within the store and increase in the order dead letters were stored.</para>
/// </remarks>
public interface IDeadLetterStore : IDeadLetterSink
{
    /// <summary>Counts the stored dead letters.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The count.</returns>
    ValueTask<long> CountAsync(CancellationToken cancellationToken = default);

    /// <summary>Lists stored dead letters in id order, starting after <paramref name="afterId"/> (0 for the first page).</summary>
    /// <param name="afterId">The last id of the previous page, or 0.</param>
    /// <param name="limit">The most to return (1 to 10,000).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>At most <paramref name="limit"/> dead letters.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is not between 1 and 10,000, or <paramref name="afterId"/> is negative.</exception>
    ValueTask<IReadOnlyList<StoredDeadLetter>> ListAsync(long afterId = 0, int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>Gets one stored dead letter.</summary>
    /// <param name="id">Its id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The dead letter, or <see langword="null"/> when there is none with that id.</returns>
    ValueTask<StoredDeadLetter?> GetAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Removes one stored dead letter (after a replay, or to purge it).</summary>
    /// <param name="id">Its id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="true"/> if it was removed; <see langword="false"/> if there was none with that id.</returns>
    ValueTask<bool> RemoveAsync(long id, CancellationToken cancellationToken = default);
}
