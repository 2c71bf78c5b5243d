using System.Collections.Concurrent;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;

namespace DuisPrioritiser.Storage.Internal;

/// <summary>
/// A store that lives in this process (memory, or the file journal): its held messages are a <see cref="LocalBacklog"/>
/// the scheduler reads and writes directly and synchronously (the fast path), and its durability, if any, is two
/// hooks: <see cref="PersistAsync"/> before a message is held and <see cref="ForgetAsync"/> once it is finished.
/// </summary>
/// <remarks>
/// The <see cref="IBacklogStore"/> members are implemented on top of the same parts for callers that use the seam
/// itself (and the store contract tests); the scheduler does not use them, so the in-memory path pays no async call
/// and no allocation per message. Deduplication for an embedded store is the scheduler's duplicate window, so
/// <see cref="AppendAsync"/> reports every item <see cref="AppendOutcome.Accepted"/>.
/// </remarks>
internal abstract class EmbeddedBacklogStore : IBacklogStore, IDisposable
{
    private readonly ConcurrentDictionary<long, (int Level, QueuedEntry Entry)> _claimed = new();
    private long _nextClaimId;
    private int _opened;

    protected EmbeddedBacklogStore(TimeProvider timeProvider, BacklogFairness? fairness = null)
    {
        TimeProvider = timeProvider;
        Backlog = new LocalBacklog(fairness);
    }

    /// <summary>Gets the held messages.</summary>
    public LocalBacklog Backlog { get; }

    public abstract BacklogStoreCapabilities Capabilities { get; }

    /// <summary>Gets a value indicating whether a message must be persisted (an await) before it is held.</summary>
    public bool IsDurable => (Capabilities & BacklogStoreCapabilities.Durable) != 0;

    protected TimeProvider TimeProvider { get; }

    /// <summary>Opens the store once, placing what it recovers in <see cref="Backlog"/>.</summary>
    /// <param name="onRecovered">Told of recovered messages (the scheduler seeds its duplicate window), or <see langword="null"/>.</param>
    /// <param name="seedLimit">How many of the most recently accepted recovered messages <paramref name="onRecovered"/> is told of (the duplicate window holds no more).</param>
    /// <param name="hold">Holds a recovered entry given its level and alert code (the scheduler routes throttled codes to their lanes); <see langword="null"/> to add it to <see cref="Backlog"/>.</param>
    /// <returns>What was recovered.</returns>
    /// <remarks>The last argument of <paramref name="hold"/> is, for a consolidated repeat, the journal id of the head it joined (0 otherwise).</remarks>
    public BacklogRecovery Open(Action<DuisMessage>? onRecovered, int seedLimit = int.MaxValue, Action<int, DuisCode, QueuedEntry, long>? hold = null)
    {
        if (Interlocked.Exchange(ref _opened, 1) != 0)
        {
            throw new InvalidOperationException("The backlog store is already open.");
        }

        return new BacklogRecovery(OpenCore(onRecovered, seedLimit, hold ?? ((level, _, entry, _) => Backlog.Add(level, in entry))));
    }

    /// <summary>Makes <paramref name="message"/> durable at <paramref name="level"/> before it is held; returns its store id and locator.</summary>
    /// <exception cref="InvalidOperationException">The store is not durable.</exception>
    /// <remarks><paramref name="groupHead"/>: for a consolidated repeat, the store id of the held alert it joins (recorded so recovery rebuilds the group), else 0.</remarks>
    public virtual ValueTask<Journal.Internal.JournalPosition> PersistAsync(DuisMessage message, PriorityLevel level, long groupHead = 0)
        => throw new InvalidOperationException("This store is not durable: hold messages directly.");

    /// <summary>Gets the message of a held entry: its envelope, or (when the journal is the backlog) the message read back from its locator.</summary>
    /// <exception cref="IOException">The message could not be read back.</exception>
    public virtual DuisMessage ReadMessage(in QueuedEntry entry, PriorityLevel level)
        => entry.Message ?? throw new InvalidOperationException("This store holds every message in memory.");

    /// <summary>Gets a value indicating whether the store has room on disk for another message (the journal's disk budget).</summary>
    public virtual bool HasRoom => true;

    /// <summary>Records that the message with store id <paramref name="token"/> is finished (handled, dead-lettered, or its intake cancelled).</summary>
    public virtual ValueTask ForgetAsync(long token) => ValueTask.CompletedTask;

    /// <summary>Called when a message is returned, after it is back in <see cref="Backlog"/> (the journal records its attempt count).</summary>
    public virtual ValueTask OnReturnedAsync(QueuedEntry entry, PriorityLevel level) => ValueTask.CompletedTask;

    public ValueTask<BacklogRecovery> OpenAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask<BacklogRecovery>(Open(null));
    }

    public async ValueTask AppendAsync(ReadOnlyMemory<BacklogAppend> batch, Memory<AppendOutcome> outcomes, CancellationToken cancellationToken = default)
    {
        if (outcomes.Length < batch.Length)
        {
            throw new ArgumentException("Give at least one outcome slot per item of the batch.", nameof(outcomes));
        }

        cancellationToken.ThrowIfCancellationRequested();
        for (int i = 0; i < batch.Length; i++)
        {
            var item = batch.Span[i];
            PriorityLevels.ThrowIfUndefined(item.Level);
            var position = IsDurable ? await PersistAsync(item.Message, item.Level).ConfigureAwait(false) : default;
            Backlog.Add((int)item.Level, position.Locator != 0
                ? new QueuedEntry(null, ToTimestamp(item.EnqueuedAt), position.Id, 0, position.Locator)
                : new QueuedEntry(item.Message, ToTimestamp(item.EnqueuedAt), position.Id));
            outcomes.Span[i] = AppendOutcome.Accepted;
        }
    }

    public ValueTask<int> ClaimAsync(PriorityLevel level, Memory<StoredMessage> destination, CancellationToken cancellationToken = default)
    {
        PriorityLevels.ThrowIfUndefined(level);
        cancellationToken.ThrowIfCancellationRequested();
        int count = 0;
        var span = destination.Span;
        while (count < span.Length && Backlog.TryTake((int)level, out var entry))
        {
            // A durable store's entries carry their journal id; a memory store's get one for the claim (never both in one store).
            long id = entry.Token > 0 ? entry.Token : Interlocked.Increment(ref _nextClaimId);
            _claimed[id] = ((int)level, entry);
            span[count++] = new StoredMessage(id, entry.Message ?? ReadMessage(in entry, level), level, ToUtc(entry.EnqueuedTimestamp), entry.Attempts);
        }

        return new ValueTask<int>(count);
    }

    public async ValueTask AcknowledgeAsync(ReadOnlyMemory<BacklogAcknowledgement> batch, CancellationToken cancellationToken = default)
    {
        for (int i = 0; i < batch.Length; i++)
        {
            var ack = batch.Span[i];
            if (!_claimed.TryRemove(ack.Id, out var claimed))
            {
                continue;
            }

            if (ack.Outcome == ReleaseOutcome.Returned)
            {
                var entry = claimed.Entry with { Attempts = claimed.Entry.Attempts + 1 };
                Backlog.Return(claimed.Level, entry);
                await OnReturnedAsync(entry, (PriorityLevel)claimed.Level).ConfigureAwait(false);
            }
            else if (claimed.Entry.Token > 0)
            {
                await ForgetAsync(claimed.Entry.Token).ConfigureAwait(false);
            }
        }
    }

    public BacklogLevelState GetLevelState(PriorityLevel level)
    {
        PriorityLevels.ThrowIfUndefined(level);
        long depth = Backlog.GetCount((int)level);
        return Backlog.TryGetOldestTimestamp((int)level, out long oldest)
            ? new BacklogLevelState(depth, ToUtc(oldest))
            : new BacklogLevelState(depth, null);
    }

    public abstract ValueTask DisposeAsync();

    public abstract void Dispose();

    /// <summary>Opens the store, placing what it recovers in <see cref="Backlog"/>; returns how many.</summary>
    protected abstract long OpenCore(Action<DuisMessage>? onRecovered, int seedLimit, Action<int, DuisCode, QueuedEntry, long> hold);

    private DateTimeOffset ToUtc(long timestamp) => TimeProvider.GetUtcNow() - TimeProvider.GetElapsedTime(timestamp);

    private long ToTimestamp(DateTimeOffset utc)
    {
        var age = TimeProvider.GetUtcNow() - utc;
        return TimeProvider.GetTimestamp() - (long)(age.TotalSeconds * TimeProvider.TimestampFrequency);
    }
}
