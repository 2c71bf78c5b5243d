using DuisPrioritiser.Classification;
using DuisPrioritiser.Diagnostics;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuisPrioritiser.DeadLetters;

/// <summary>
/// The operator's view of dead letters: list, count, replay (back into the scheduler at the original level) and
/// purge, over the registered <see cref="IDeadLetterStore"/>. Registered by <c>UseHandler</c>; resolve it to build an
/// admin endpoint.
/// </summary>
/// <remarks>
/// <para><b>Replay</b> reads the stored bytes again (so the message is exactly what the DCC sent), enqueues it at its
/// stored level without classifying it again and without duplicate suppression, and removes it from the store only
/// after the scheduler accepted it (durably, with a journal). A crash between the two can replay it twice, never lose
/// it. With a scheduler other than the built-in one, replay uses <see cref="IResponseReleaseScheduler.EnqueueAsync(DuisMessage, CancellationToken)"/>
/// (classified again).</para>
/// <para>All members are thread-safe.</para>
/// </remarks>
public sealed class DeadLetterManager
{
    private readonly IDeadLetterStore _store;
    private readonly IResponseReleaseScheduler _scheduler;
    private readonly ILogger _logger;
    private readonly DuisReaderLimits _readerLimits;

    /// <summary>Initialises a manager.</summary>
    /// <param name="store">The store.</param>
    /// <param name="scheduler">The scheduler that replayed messages go back into.</param>
    /// <param name="options">The options (for the reader's size limit).</param>
    /// <param name="logger">The logger; none when <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="store"/>, <paramref name="scheduler"/> or <paramref name="options"/> is <see langword="null"/>.</exception>
    public DeadLetterManager(IDeadLetterStore store, IResponseReleaseScheduler scheduler, Microsoft.Extensions.Options.IOptions<ResponsePrioritisationOptions> options, ILogger<DeadLetterManager>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _scheduler = scheduler;
        _readerLimits = DuisReaderLimits.From(options.Value.Reader, nameof(options));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Gets the store.</summary>
    public IDeadLetterStore Store => _store;

    /// <summary>Counts the stored dead letters.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The count.</returns>
    public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => _store.CountAsync(cancellationToken);

    /// <summary>Lists stored dead letters in id order, after <paramref name="afterId"/>.</summary>
    /// <param name="afterId">The last id of the previous page, or 0.</param>
    /// <param name="limit">The most to return (1 to 10,000).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The page.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> or <paramref name="afterId"/> is out of range.</exception>
    public ValueTask<IReadOnlyList<StoredDeadLetter>> ListAsync(long afterId = 0, int limit = 100, CancellationToken cancellationToken = default)
        => _store.ListAsync(afterId, limit, cancellationToken);

    /// <summary>Replays one dead letter into the scheduler at its original level, then removes it from the store.</summary>
    /// <param name="id">Its id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>What happened; only <see cref="DeadLetterReplayResult.Replayed"/> removes it.</returns>
    /// <exception cref="Journal.JournalWriteException">The journal could not make it durable; it stays in the store.</exception>
    /// <exception cref="Storage.BacklogStoreUnavailableException">A remote backlog store cannot be reached; the dead letter stays in the store.</exception>
    public async ValueTask<DeadLetterReplayResult> ReplayAsync(long id, CancellationToken cancellationToken = default)
    {
        var stored = await _store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return DeadLetterReplayResult.NotFound;
        }

        // A copy: the store's buffer may be reused or released.
        if (!DuisReader.TryRead(stored.RawMessage.ToArray(), _readerLimits, out var message, out _))
        {
            return DeadLetterReplayResult.Invalid;
        }

        if (stored.ReceivedAt != default)
        {
            message.StampReceivedAt(stored.ReceivedAt);
        }

        EnqueueResult result;
        if (_scheduler is ResponseReleaseScheduler builtIn)
        {
            result = await builtIn.EnqueueReplayAsync(message, PriorityLevels.IsDefined(stored.Level) ? stored.Level : PriorityLevel.Normal, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            result = await _scheduler.EnqueueAsync(message, cancellationToken).ConfigureAwait(false) ? EnqueueResult.Accepted : EnqueueResult.RejectedFull;
        }

        switch (result)
        {
            case EnqueueResult.Accepted or EnqueueResult.AcceptedDuplicate:
                await _store.RemoveAsync(id, CancellationToken.None).ConfigureAwait(false);
                Log.DeadLetterReplayed(_logger, id, stored.Level);
                return DeadLetterReplayResult.Replayed;
            case EnqueueResult.RejectedFull:
                return DeadLetterReplayResult.RejectedFull;
            case EnqueueResult.Unavailable:
                // The dead letter stays stored; the caller (the admin API, an operator) retries when the store is back.
                throw new Storage.BacklogStoreUnavailableException("The backlog store cannot be reached: dead letter " + id + " was not replayed and stays stored. Retry later.");
            default:
                return DeadLetterReplayResult.RejectedCompleted;
        }
    }

    /// <summary>Replays every stored dead letter, in id order, until the scheduler refuses one.</summary>
    /// <param name="cancellationToken">Cancels the operation (those replayed so far stay replayed).</param>
    /// <returns>How many were replayed.</returns>
    public async ValueTask<int> ReplayAllAsync(CancellationToken cancellationToken = default)
    {
        int replayed = 0;
        long after = 0;
        while (true)
        {
            var page = await _store.ListAsync(after, 500, cancellationToken).ConfigureAwait(false);
            if (page.Count == 0)
            {
                return replayed;
            }

            foreach (var letter in page)
            {
                after = letter.Id;
                var result = await ReplayAsync(letter.Id, cancellationToken).ConfigureAwait(false);
                if (result == DeadLetterReplayResult.Replayed)
                {
                    replayed++;
                }
                else if (result is DeadLetterReplayResult.RejectedFull or DeadLetterReplayResult.RejectedCompleted)
                {
                    return replayed;
                }
            }
        }
    }

    /// <summary>Deletes one dead letter without replaying it.</summary>
    /// <param name="id">Its id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="true"/> if it was deleted.</returns>
    public ValueTask<bool> PurgeAsync(long id, CancellationToken cancellationToken = default) => _store.RemoveAsync(id, cancellationToken);

    /// <summary>Deletes every stored dead letter.</summary>
    /// <param name="cancellationToken">Cancels the operation (those deleted so far stay deleted).</param>
    /// <returns>How many were deleted.</returns>
    public async ValueTask<long> PurgeAllAsync(CancellationToken cancellationToken = default)
    {
        long purged = 0;
        while (true)
        {
            var page = await _store.ListAsync(0, 500, cancellationToken).ConfigureAwait(false);
            if (page.Count == 0)
            {
                return purged;
            }

            foreach (var letter in page)
            {
                if (await _store.RemoveAsync(letter.Id, cancellationToken).ConfigureAwait(false))
                {
                    purged++;
                }
            }
        }
    }
}
