using System.Collections.Concurrent;
using System.Threading.Channels;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Diagnostics;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Storage;
using DuisPrioritiser.Storage.Internal;
using Microsoft.Extensions.Logging;

namespace DuisPrioritiser.Release.Internal;

/// <summary>
/// Connects the scheduler to a store that is not embedded (a remote, possibly shared one) through the batch
/// <see cref="IBacklogStore"/> API: it gathers concurrent intake into one append, claims a level's next messages in a
/// batch into a small local buffer when the drain policy chooses that level, renews the leases of what it holds
/// claimed, wakes readers on the store's change notification, and forwards acknowledgements.
/// </summary>
/// <remarks>
/// <para><b>State for the policy.</b> The store's per-level state (global, for a shared store) plus this scheduler's
/// claimed-but-unreleased messages (held in the <see cref="LocalBacklog"/> buffer, counted by the gate).</para>
/// <para><b>One claim per level at a time.</b> A per-level flag stops a burst of readers claiming the same level
/// many times; the buffer is refilled only when the policy chooses a level whose buffer is empty, so a message is
/// claimed from a shared store only shortly before it is released.</para>
/// <para><b>Outage.</b> A claim that fails (<see cref="BacklogStoreUnavailableException"/> or any other error) is
/// logged and retried after a back-off; an append that fails is the caller's (not accepted); an acknowledgement that
/// fails propagates to the caller and the message's lease expires, so it is released again (at-least-once).</para>
/// </remarks>
internal sealed class RemoteBacklogBridge : IAsyncDisposable
{
    /// <summary>How many messages one claim takes at most.</summary>
    internal const int ClaimBatchSize = 32;

    /// <summary>How many concurrent appends one store call carries at most.</summary>
    internal const int AppendBatchSize = 256;

    private static readonly TimeSpan s_claimBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_claimWait = TimeSpan.FromMilliseconds(20);

    private readonly IBacklogStore _store;
    private readonly LocalBacklog _buffer;
    private readonly AlertCodeLanes _lanes;
    private readonly BacklogGate _gate;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly int[] _claiming = new int[PriorityLevels.Count];
    private readonly long[] _retryAt = new long[PriorityLevels.Count];
    private readonly ConcurrentDictionary<long, byte> _claimed = new();
    private readonly Channel<PendingAppend> _appends = Channel.CreateUnbounded<PendingAppend>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _appendLoop;
    private readonly Task _leaseLoop;
    private readonly IBacklogChangeNotifier? _notifier;
    private Outage? _outage;
    private int _disposed;

    public RemoteBacklogBridge(IBacklogStore store, LocalBacklog buffer, AlertCodeLanes lanes, BacklogGate gate, TimeProvider timeProvider, ILogger logger)
    {
        _store = store;
        _buffer = buffer;
        _lanes = lanes;
        _gate = gate;
        _timeProvider = timeProvider;
        _logger = logger;
        PollTicks = ToTicks(s_poll);
        ClaimWaitTicks = ToTicks(s_claimWait);
        _notifier = store as IBacklogChangeNotifier;
        if (_notifier is not null)
        {
            _notifier.BacklogChanged += OnBacklogChanged;
        }

        _appendLoop = Task.Run(AppendLoopAsync);
        _leaseLoop = store is IBacklogLeaseRenewal renewal ? Task.Run(() => RenewLoopAsync(renewal)) : Task.CompletedTask;
    }

    /// <summary>Gets how long an idle reader sleeps before looking at the store again (it also wakes on a change notification).</summary>
    public long PollTicks { get; }

    /// <summary>Gets how long a reader waits for a claim to land before looking again.</summary>
    public long ClaimWaitTicks { get; }

    public bool IsShared => (_store.Capabilities & BacklogStoreCapabilities.Shared) != 0;

    /// <summary>Gets the store's unclaimed messages across levels.</summary>
    public long TotalDepth
    {
        get
        {
            long total = 0;
            for (int i = 0; i < PriorityLevels.Count; i++)
            {
                total += GetDepth(i);
            }

            return total;
        }
    }

    /// <summary>
    /// Gets the store's unclaimed messages at <paramref name="level"/>; while a claim of the level is under way it reads
    /// at least 1, because the store may already count the claimed messages as gone before they are held here, and in
    /// that moment the policy must not see the level as empty and release lower work instead.
    /// </summary>
    public long GetDepth(int level)
    {
        long depth = Math.Max(0, _store.GetLevelState((PriorityLevel)level).Depth);
        return depth == 0 && Volatile.Read(ref _claiming[level]) != 0 ? 1 : depth;
    }

    /// <summary>Gets the store's running count of messages other schedulers claimed from <paramref name="level"/>.</summary>
    public long GetReleasedElsewhere(int level) => _store.GetLevelState((PriorityLevel)level).ReleasedElsewhere;

    public int GetOccupancyMask()
    {
        int mask = 0;
        for (int i = 0; i < PriorityLevels.Count; i++)
        {
            if (GetDepth(i) > 0)
            {
                mask |= 1 << i;
            }
        }

        return mask;
    }

    public bool TryGetOldest(int level, out DateTimeOffset utc)
    {
        var state = _store.GetLevelState((PriorityLevel)level);
        utc = state.OldestEnqueuedAt ?? default;
        return state.Depth > 0 && state.OldestEnqueuedAt is not null;
    }

    /// <summary>Appends one message, batched with whatever else is being appended; completes once the store answered.</summary>
    public ValueTask<AppendOutcome> AppendAsync(DuisMessage message, PriorityLevel level, DateTimeOffset enqueuedAt, string? key, CancellationToken cancellationToken)
    {
        var pending = new PendingAppend(new BacklogAppend(message, level, enqueuedAt, key));
        if (!_appends.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(ResponseReleaseScheduler), "The scheduler was disposed.");
        }

        return new ValueTask<AppendOutcome>(pending.Task.WaitAsync(cancellationToken));
    }

    /// <summary>
    /// Gets the store's health: what the store says when it implements <see cref="IBacklogStoreHealth"/>, otherwise
    /// what this bridge's own appends and claims saw (unreachable from the first that failed as unavailable until
    /// the next that succeeded).
    /// </summary>
    public BacklogStoreHealth GetHealth()
    {
        if (_store is IBacklogStoreHealth reporting)
        {
            return reporting.GetHealth();
        }

        var outage = Volatile.Read(ref _outage);
        return new BacklogStoreHealth(_store.GetType().Name.ToLowerInvariant(), outage is null, outage?.Error, outage?.Since);
    }

    /// <summary>Starts claiming the next messages of <paramref name="level"/> unless a claim of it is under way or backing off.</summary>
    public void RequestClaim(int level)
    {
        if (_gate.IsCompleted || _stopping.IsCancellationRequested || _timeProvider.GetTimestamp() < Volatile.Read(ref _retryAt[level]))
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _claiming[level], 1, 0) != 0)
        {
            return;
        }

        _ = ClaimAsync(level);
    }

    public ValueTask AcknowledgeAsync(long id, ReleaseOutcome outcome, CancellationToken cancellationToken)
    {
        _claimed.TryRemove(id, out _);
        return _store.AcknowledgeAsync(new[] { new BacklogAcknowledgement(id, outcome) }, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        // The scheduler may be disposed both synchronously and asynchronously (a DI container does both for one
        // instance registered under two service types): the second call has nothing left to do.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_notifier is not null)
        {
            _notifier.BacklogChanged -= OnBacklogChanged;
        }

        _appends.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _appendLoop.ConfigureAwait(false);
        await _leaseLoop.ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task ClaimAsync(int level)
    {
        try
        {
            var batch = new StoredMessage[ClaimBatchSize];
            int count = await _store.ClaimAsync((PriorityLevel)level, batch, _stopping.Token).ConfigureAwait(false);
            OnReached();
            if (count == 0)
            {
                return;
            }

            if (_gate.IsCompleted)
            {
                // Completed while claiming: hand them back rather than hold them where no reader will come.
                var back = new BacklogAcknowledgement[count];
                for (int i = 0; i < count; i++)
                {
                    back[i] = new BacklogAcknowledgement(batch[i].Id, ReleaseOutcome.Returned, "claimed after the scheduler completed");
                }

                await _store.AcknowledgeAsync(back, CancellationToken.None).ConfigureAwait(false);
                Log.BacklogLateClaimReturned(_logger, count);
                return;
            }

            long now = _timeProvider.GetTimestamp();
            var utcNow = _timeProvider.GetUtcNow();
            for (int i = 0; i < count; i++)
            {
                var claimed = batch[i];
                long age = (long)((utcNow - claimed.EnqueuedAt).TotalSeconds * _timeProvider.TimestampFrequency);
                _claimed[claimed.Id] = 0;
                _gate.AddHeld();
                var entry = new QueuedEntry(claimed.Message, now - Math.Max(0, age), claimed.Id, claimed.Attempts);
                if (_lanes.IsEmpty || !_lanes.TryHold(level, claimed.Message.AlertCode, in entry))
                {
                    // A throttled code's claimed messages wait in its lane, in claim order, like local intake.
                    _buffer.Add(level, in entry);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            OnFailed(ex);
            Volatile.Write(ref _retryAt[level], _timeProvider.GetTimestamp() + ToTicks(s_claimBackoff));
            Log.BacklogClaimFailed(_logger, ex, (PriorityLevel)level, s_claimBackoff);
        }
        finally
        {
            // Ended only after the claimed messages are in the buffer: the coordinator reads this side (which counts a
            // claim under way) before the buffer, so a claimed message is never missed on both.
            Volatile.Write(ref _claiming[level], 0);
            _gate.PulseReaders();
        }
    }

    private async Task AppendLoopAsync()
    {
        var reader = _appends.Reader;
        var batch = new List<PendingAppend>(AppendBatchSize);
        var items = new BacklogAppend[AppendBatchSize];
        var outcomes = new AppendOutcome[AppendBatchSize];
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < AppendBatchSize && reader.TryRead(out var pending))
            {
                items[batch.Count] = pending.Item;
                batch.Add(pending);
            }

            try
            {
                await _store.AppendAsync(items.AsMemory(0, batch.Count), outcomes.AsMemory(0, batch.Count)).ConfigureAwait(false);
                OnReached();
                for (int i = 0; i < batch.Count; i++)
                {
                    batch[i].TrySetResult(outcomes[i]);
                }

                _gate.PulseReaders();
            }
            catch (Exception ex)
            {
                OnFailed(ex);
                foreach (var pending in batch)
                {
                    pending.TrySetException(ex);
                }
            }

            Array.Clear(items, 0, batch.Count);
            batch.Clear();
        }
    }

    private async Task RenewLoopAsync(IBacklogLeaseRenewal renewal)
    {
        var period = renewal.LeaseDuration / 3;
        if (period <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                // On the leases' clock, not the scheduler's: a database's lease expires in real time even when the
                // scheduler's clock is virtual, stopped or scaled.
                await Task.Delay(period, renewal.LeaseTimeProvider, _stopping.Token).ConfigureAwait(false);
                var ids = _claimed.Keys.ToArray();
                if (ids.Length == 0)
                {
                    continue;
                }

                try
                {
                    await renewal.RenewLeasesAsync(ids, _stopping.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.BacklogLeaseRenewalFailed(_logger, ex, ids.Length);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private void OnBacklogChanged(object? sender, EventArgs e) => _gate.PulseReaders();

    private void OnReached()
    {
        if (Volatile.Read(ref _outage) is not null)
        {
            Volatile.Write(ref _outage, null);
        }
    }

    private void OnFailed(Exception exception)
    {
        if (exception is not BacklogStoreUnavailableException)
        {
            return;
        }

        // The first failure of an outage sets when it began; later ones keep it and update the error.
        var current = Volatile.Read(ref _outage);
        Volatile.Write(ref _outage, new Outage(exception.Message, current?.Since ?? _timeProvider.GetUtcNow()));
    }

    private long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * _timeProvider.TimestampFrequency);

    private sealed record Outage(string Error, DateTimeOffset Since);

    private sealed class PendingAppend(BacklogAppend item) : TaskCompletionSource<AppendOutcome>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public BacklogAppend Item { get; } = item;
    }
}
