using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;
using DuisPrioritiser.Storage;

namespace DuisPrioritiser.Tests.Storage;

/// <summary>
/// A shared, leased, deduplicating store that lives in the test process and answers asynchronously, standing in for
/// a remote store (the way a PostgreSQL store behaves: a bigint sequence, a unique key, claims as leases,
/// change notification). Several schedulers can share one instance. It can be switched off to simulate an outage.
/// </summary>
internal sealed class SharedTestBacklogStore : IBacklogStore, IBacklogLeaseRenewal, IBacklogChangeNotifier
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<long, Row>[] _levels = Enumerable.Range(0, PriorityLevels.Count).Select(_ => new SortedDictionary<long, Row>()).ToArray();
    private readonly Dictionary<string, long> _keys = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;
    private long _nextId;

    public SharedTestBacklogStore(TimeProvider? timeProvider = null, TimeSpan? leaseDuration = null)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
        LeaseDuration = leaseDuration ?? TimeSpan.FromSeconds(30);
    }

    public event EventHandler? BacklogChanged;

    public BacklogStoreCapabilities Capabilities => BacklogStoreCapabilities.Durable | BacklogStoreCapabilities.Shared;

    public TimeSpan LeaseDuration { get; }

    /// <summary>Gets the clock this store's leases expire by (the one it was given).</summary>
    public TimeProvider LeaseTimeProvider => _timeProvider;

    /// <summary>Gets or sets a value indicating whether the store answers; when false every call throws <see cref="BacklogStoreUnavailableException"/>.</summary>
    public bool Available { get; set; } = true;

    public int OpenCount { get; private set; }

    public int AppendCalls { get; private set; }

    public int Renewals { get; private set; }

    public List<(long Id, ReleaseOutcome Outcome, string? Reason)> Acknowledgements { get; } = [];

    public long Total
    {
        get
        {
            lock (_lock)
            {
                return _levels.Sum(l => l.Count);
            }
        }
    }

    public async ValueTask<BacklogRecovery> OpenAsync(CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        ThrowIfUnavailable();
        lock (_lock)
        {
            OpenCount++;
            return new BacklogRecovery(_levels.Sum(l => l.Count));
        }
    }

    public async ValueTask AppendAsync(ReadOnlyMemory<BacklogAppend> batch, Memory<AppendOutcome> outcomes, CancellationToken cancellationToken = default)
    {
        if (outcomes.Length < batch.Length)
        {
            throw new ArgumentException("Too few outcome slots.", nameof(outcomes));
        }

        await Task.Yield();
        ThrowIfUnavailable();
        lock (_lock)
        {
            AppendCalls++;
            for (int i = 0; i < batch.Length; i++)
            {
                var item = batch.Span[i];
                if (item.DeduplicationKey is { } key && _keys.ContainsKey(key))
                {
                    outcomes.Span[i] = AppendOutcome.Duplicate;
                    continue;
                }

                long id = ++_nextId;
                if (item.DeduplicationKey is { } newKey)
                {
                    _keys[newKey] = id;
                }

                _levels[(int)item.Level][id] = new Row(item.Message, item.EnqueuedAt);
                outcomes.Span[i] = AppendOutcome.Accepted;
            }
        }

        BacklogChanged?.Invoke(this, EventArgs.Empty);
    }

    public async ValueTask<int> ClaimAsync(PriorityLevel level, Memory<StoredMessage> destination, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        ThrowIfUnavailable();
        var now = _timeProvider.GetUtcNow();
        int count = 0;
        lock (_lock)
        {
            foreach (var (id, row) in _levels[(int)level])
            {
                if (count == destination.Length)
                {
                    break;
                }

                if (row.LeaseUntil is { } until && until > now)
                {
                    continue;
                }

                row.LeaseUntil = now + LeaseDuration;
                destination.Span[count++] = new StoredMessage(id, row.Message, level, row.EnqueuedAt, row.Attempts);
            }
        }

        return count;
    }

    public async ValueTask AcknowledgeAsync(ReadOnlyMemory<BacklogAcknowledgement> batch, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        ThrowIfUnavailable();
        bool returned = false;
        lock (_lock)
        {
            foreach (var ack in batch.Span)
            {
                Acknowledgements.Add((ack.Id, ack.Outcome, ack.Reason));
                foreach (var level in _levels)
                {
                    if (!level.TryGetValue(ack.Id, out var row) || row.LeaseUntil is null)
                    {
                        continue;
                    }

                    if (ack.Outcome == ReleaseOutcome.Returned)
                    {
                        row.Attempts++;
                        row.LeaseUntil = null;
                        returned = true;
                    }
                    else
                    {
                        level.Remove(ack.Id);
                    }
                }
            }
        }

        if (returned)
        {
            BacklogChanged?.Invoke(this, EventArgs.Empty);
        }
    }

    public async ValueTask<int> RenewLeasesAsync(ReadOnlyMemory<long> ids, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        ThrowIfUnavailable();
        var until = _timeProvider.GetUtcNow() + LeaseDuration;
        int renewed = 0;
        lock (_lock)
        {
            Renewals++;
            foreach (long id in ids.Span)
            {
                foreach (var level in _levels)
                {
                    if (level.TryGetValue(id, out var row) && row.LeaseUntil is not null)
                    {
                        row.LeaseUntil = until;
                        renewed++;
                    }
                }
            }
        }

        return renewed;
    }

    public BacklogLevelState GetLevelState(PriorityLevel level)
    {
        var now = _timeProvider.GetUtcNow();
        lock (_lock)
        {
            long depth = 0;
            DateTimeOffset? oldest = null;
            foreach (var row in _levels[(int)level].Values)
            {
                if (row.LeaseUntil is { } until && until > now)
                {
                    continue;
                }

                depth++;
                oldest = oldest is null || row.EnqueuedAt < oldest ? row.EnqueuedAt : oldest;
            }

            return new BacklogLevelState(depth, oldest);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void ThrowIfUnavailable()
    {
        if (!Available)
        {
            throw new BacklogStoreUnavailableException("The test store is switched off.") { RetryAfter = TimeSpan.FromSeconds(1) };
        }
    }

    private sealed class Row(DuisMessage message, DateTimeOffset enqueuedAt)
    {
        public DuisMessage Message { get; } = message;

        public DateTimeOffset EnqueuedAt { get; } = enqueuedAt;

        public int Attempts { get; set; }

        public DateTimeOffset? LeaseUntil { get; set; }
    }
}
