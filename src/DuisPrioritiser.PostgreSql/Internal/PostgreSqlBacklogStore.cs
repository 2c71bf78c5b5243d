using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Channels;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Release;
using DuisPrioritiser.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace DuisPrioritiser.PostgreSql.Internal;

/// <summary>
/// The backlog on PostgreSQL, shared by every scheduler that points at the same schema and prefix.
/// </summary>
/// <remarks>
/// <para><b>Durable accept.</b> Appends from concurrent callers are queued to one committer loop, which takes
/// everything waiting (up to <see cref="PostgreSqlBacklogOptions.MaxGroupCommitSize"/>) and writes it in one
/// statement, one transaction, one WAL flush (group commit); each caller's task completes after that commit.</para>
/// <para><b>Claims</b> take the head of one level with <c>FOR UPDATE SKIP LOCKED</c> and set a lease (owner, expiry
/// by the database clock, so instances' clocks do not matter). A live instance renews the leases of what it holds
/// (<see cref="RenewLeasesAsync"/>); every instance reaps expired leases, which puts a dead instance's claims back
/// at their original place in their level.</para>
/// <para><b>Level state</b> is answered from a view refreshed in the background from the counters table (kept
/// exact in the same statements that change the backlog) and one index probe per level; on wake-up by
/// <c>LISTEN/NOTIFY</c>, or every refresh interval otherwise. It is global and may lag by that interval.</para>
/// <para><b>Unavailable.</b> A failure to reach the server (connection refused or lost, server shutting down,
/// timeout) is thrown as <see cref="BacklogStoreUnavailableException"/>; the background loops keep retrying and
/// <see cref="IsAvailable"/> turns true again once a statement succeeds.</para>
/// <para>Thread-safe: every public member may be called from any thread.</para>
/// </remarks>
internal sealed class PostgreSqlBacklogStore : IBacklogStore, IBacklogLeaseRenewal, IBacklogChangeNotifier, IBacklogStoreHealth
{
    private const int ShardCount = 32;
    private const int ReapBatch = 1_000;
    private const int PurgeBatch = 10_000;
    private const int MaxAcknowledgementsPerCommit = 4_096;
    private static readonly TimeSpan s_retryAfter = TimeSpan.FromSeconds(5);

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly PostgreSqlBacklogOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly BacklogSql _sql;
    private readonly TimeSpan _retention;
    private readonly Guid _owner = Guid.NewGuid();
    private readonly short _appendShard;
    private readonly short _releaseShard;
    private readonly Channel<AppendRequest> _appends = Channel.CreateUnbounded<AppendRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<AcknowledgeRequest> _acknowledgements = Channel.CreateUnbounded<AcknowledgeRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private Task _acknowledger = Task.CompletedTask;
    private static readonly TimeSpan s_refreshGap = TimeSpan.FromMilliseconds(50);
    private Task _refresher = Task.CompletedTask;
    private int _dirty;
    private LevelView[] _view = CreateEmptyView();
    private Task _committer = Task.CompletedTask;
    private Task _listener = Task.CompletedTask;
    private Task _maintenance = Task.CompletedTask;
    private int _opened;
    private int _disposed;
    private volatile bool _available = true;
    private volatile string? _lastError;
    private long _unavailableSinceUtcTicks; // 0 while available
    private readonly long[] _releasedHere = new long[PriorityLevels.Count]; // claimed by this instance, for ReleasedElsewhere

    public PostgreSqlBacklogStore(NpgsqlDataSource dataSource, bool ownsDataSource, PostgreSqlBacklogOptions options, TimeSpan deduplicationRetention, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(deduplicationRetention, TimeSpan.Zero);
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _options = options.ValidatedCopy();
        _retention = deduplicationRetention;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _sql = new BacklogSql(_options.Schema, _options.TablePrefix);
        _appendShard = (short)Random.Shared.Next(ShardCount);
        _releaseShard = (short)(ShardCount + _appendShard);
    }

    /// <inheritdoc />
    public event EventHandler? BacklogChanged;

    /// <inheritdoc />
    public BacklogStoreCapabilities Capabilities => BacklogStoreCapabilities.Durable | BacklogStoreCapabilities.Shared;

    /// <inheritdoc />
    public TimeSpan LeaseDuration => _options.LeaseTime;

    /// <inheritdoc />
    /// <remarks>The real clock: a lease expires by the database's <c>now()</c>, whatever clock the scheduler runs on.</remarks>
    public TimeProvider LeaseTimeProvider => TimeProvider.System;

    /// <summary>Gets a value indicating whether the last statement reached the server.</summary>
    public bool IsAvailable => _available;

    /// <summary>Gets the last error that made the store unavailable, or <see langword="null"/>.</summary>
    public string? LastError => _lastError;

    /// <inheritdoc />
    public BacklogStoreHealth GetHealth()
    {
        bool available = _available;
        long since = Interlocked.Read(ref _unavailableSinceUtcTicks);
        return available
            ? new BacklogStoreHealth("postgresql", true, null, null)
            : new BacklogStoreHealth("postgresql", false, _lastError, since == 0 ? null : new DateTimeOffset(since, TimeSpan.Zero));
    }

    /// <summary>Gets this instance's lease owner id (what <c>lease_owner</c> holds for its claims).</summary>
    public Guid Owner => _owner;

    /// <summary>Gets the options in use (a validated copy).</summary>
    public PostgreSqlBacklogOptions Options => _options;

    /// <summary>Gets how many messages the backlog holds across every level, claimed ones included, as last seen.</summary>
    public long HeldCount
    {
        get
        {
            long total = 0;
            foreach (var level in Volatile.Read(ref _view))
            {
                total += level.Held;
            }

            return total;
        }
    }

    /// <summary>Gets the number of messages claimed from each level since the store was created, as last seen (global).</summary>
    public long GetReleasedCount(PriorityLevel level) => Volatile.Read(ref _view)[CheckLevel(level)].Released;

    /// <inheritdoc />
    public async ValueTask<BacklogRecovery> OpenAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _opened, 1) != 0)
        {
            throw new InvalidOperationException("The PostgreSQL backlog store is already open.");
        }

        try
        {
            if (_options.ApplySchemaOnStart)
            {
                await Schema.PostgreSqlSchema.ApplyAsync(_dataSource, _options.Schema, _options.TablePrefix, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await Schema.PostgreSqlSchema.VerifyAsync(_dataSource, _options.Schema, _options.TablePrefix, cancellationToken).ConfigureAwait(false);
            }

            await RefreshViewAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnavailable(ex, cancellationToken))
        {
            Volatile.Write(ref _opened, 0);
            throw Unavailable(ex);
        }
        catch
        {
            Volatile.Write(ref _opened, 0);
            throw;
        }

        var stopping = _stopping.Token;
        _committer = Task.Run(() => CommitLoopAsync(stopping), CancellationToken.None);
        _acknowledger = Task.Run(() => AcknowledgeLoopAsync(stopping), CancellationToken.None);
        _listener = Task.Run(() => ListenLoopAsync(stopping), CancellationToken.None);
        _maintenance = Task.Run(() => MaintenanceLoopAsync(stopping), CancellationToken.None);
        _refresher = Task.Run(() => RefreshLoopAsync(stopping), CancellationToken.None);
        return new BacklogRecovery(HeldCount);
    }

    /// <inheritdoc />
    public ValueTask AppendAsync(ReadOnlyMemory<BacklogAppend> batch, Memory<AppendOutcome> outcomes, CancellationToken cancellationToken = default)
    {
        if (outcomes.Length < batch.Length)
        {
            throw new ArgumentException("The outcomes buffer must be at least as long as the batch.", nameof(outcomes));
        }

        ThrowIfNotOpen();
        if (batch.IsEmpty)
        {
            return ValueTask.CompletedTask;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (batch.Length > _options.MaxGroupCommitSize)
        {
            return AppendInChunksAsync(batch, outcomes, cancellationToken);
        }

        var request = new AppendRequest(batch, outcomes, cancellationToken);
        ObjectDisposedException.ThrowIf(!_appends.Writer.TryWrite(request), this);
        return new ValueTask(request.Completion.Task);
    }

    /// <inheritdoc />
    public async ValueTask<int> ClaimAsync(PriorityLevel level, Memory<StoredMessage> destination, CancellationToken cancellationToken = default)
    {
        int index = CheckLevel(level);
        ThrowIfNotOpen();
        if (destination.IsEmpty)
        {
            return 0;
        }

        int limit = Math.Min(destination.Length, _options.ClaimBatchSize);
        try
        {
            var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var connectionScope = connection.ConfigureAwait(false);
            var command = new NpgsqlCommand(_sql.Claim, connection);
            await using var commandScope = command.ConfigureAwait(false);
            command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)index });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = _owner });
            command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = _options.LeaseTime, NpgsqlDbType = NpgsqlDbType.Interval });
            command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = _releaseShard });
            int count = 0;
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                var span = destination.Span;
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    long sequence = reader.GetInt64(0);
                    var enqueuedAt = new DateTimeOffset(reader.GetFieldValue<DateTime>(1), TimeSpan.Zero);
                    var envelope = reader.GetFieldValue<byte[]>(2);
                    var payload = reader.GetFieldValue<byte[]>(3);
                    int attempts = reader.GetInt32(4);
                    var message = EnvelopeCodec.Read(envelope, payload);
                    destination.Span[count++] = new StoredMessage(sequence, message, level, enqueuedAt, attempts);
                }
            }

            MarkAvailable();
            if (count > 0)
            {
                // Counted here before the view shows it, so that ReleasedElsewhere never counts this claim as another's.
                Interlocked.Add(ref _releasedHere[index], count);
                AdjustView(index, readyDelta: -count, heldDelta: 0, releasedDelta: count);
            }
            else
            {
                // The view said the level held ready messages, but other instances claimed them since it was read
                // (their claims send no notification). An empty SKIP LOCKED claim means nothing there is claimable by
                // this instance now (rows another claimer has locked are its to release), so the level reads empty at
                // once, and a refresh follows: otherwise this instance's policy keeps choosing the empty level, one
                // claim round trip after another, while its readers could release the lower work it holds.
                ClearReady(index);
            }

            return count;
        }
        catch (Exception ex) when (IsUnavailable(ex, cancellationToken))
        {
            throw Unavailable(ex);
        }
    }

    /// <inheritdoc />
    /// <remarks>Concurrent acknowledgements are grouped into one statement batch and one transaction, like appends.</remarks>
    public ValueTask AcknowledgeAsync(ReadOnlyMemory<BacklogAcknowledgement> batch, CancellationToken cancellationToken = default)
    {
        ThrowIfNotOpen();
        if (batch.IsEmpty)
        {
            return ValueTask.CompletedTask;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        var request = new AcknowledgeRequest(batch);
        ObjectDisposedException.ThrowIf(!_acknowledgements.Writer.TryWrite(request), this);
        return new ValueTask(request.Completion.Task.WaitAsync(cancellationToken));
    }

    private async Task AcknowledgeLoopAsync(CancellationToken stopping)
    {
        var pending = new List<AcknowledgeRequest>();
        try
        {
            while (await _acknowledgements.Reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                pending.Clear();
                int items = 0;
                while (items < MaxAcknowledgementsPerCommit && _acknowledgements.Reader.TryRead(out var next))
                {
                    pending.Add(next);
                    items += next.Batch.Length;
                }

                try
                {
                    await ExecuteAcknowledgeAsync(pending, items, stopping).ConfigureAwait(false);
                    foreach (var request in pending)
                    {
                        request.Completion.TrySetResult();
                    }
                }
                catch (Exception ex)
                {
                    var failure = IsUnavailable(ex, stopping) ? Unavailable(ex) : ex;
                    foreach (var request in pending)
                    {
                        request.Completion.TrySetException(failure);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task ExecuteAcknowledgeAsync(List<AcknowledgeRequest> requests, int items, CancellationToken stopping)
    {
        var handled = new List<long>(items);
        var returned = new List<long>();
        var deadLettered = new List<long>();
        var reasons = new List<string>();
        foreach (var request in requests)
        {
            foreach (var acknowledgement in request.Batch.Span)
            {
                switch (acknowledgement.Outcome)
                {
                    case ReleaseOutcome.Handled:
                        handled.Add(acknowledgement.Id);
                        break;
                    case ReleaseOutcome.Returned:
                        returned.Add(acknowledgement.Id);
                        break;
                    default:
                        deadLettered.Add(acknowledgement.Id);
                        reasons.Add(acknowledgement.Reason ?? "dead-lettered");
                        break;
                }
            }
        }

        var connection = await _dataSource.OpenConnectionAsync(stopping).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);

        // One batch, one round trip, one implicit transaction: the three outcomes commit together.
        var command = new NpgsqlBatch(connection);
        await using var commandScope = command.ConfigureAwait(false);
        if (handled.Count > 0)
        {
            command.BatchCommands.Add(Command(_sql.Handle, Array(handled), OwnerParameter(), Shard(_releaseShard)));
        }

        if (deadLettered.Count > 0)
        {
            command.BatchCommands.Add(Command(_sql.DeadLetter, Array(deadLettered), new NpgsqlParameter<string[]> { TypedValue = [.. reasons] }, OwnerParameter(), Shard(_releaseShard)));
        }

        if (returned.Count > 0)
        {
            command.BatchCommands.Add(Command(_sql.Return, Array(returned), OwnerParameter(), Shard(_releaseShard)));
            command.BatchCommands.Add(Command(_sql.Notify, new NpgsqlParameter<string> { TypedValue = _sql.Channel }, new NpgsqlParameter<string> { TypedValue = "returned" }));
        }

        int done = 0;
        var reader = await command.ExecuteReaderAsync(stopping).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            do
            {
                while (await reader.ReadAsync(stopping).ConfigureAwait(false))
                {
                    if (reader.GetFieldType(0) == typeof(int))
                    {
                        done += reader.GetInt32(0);
                    }
                }
            }
            while (await reader.NextResultAsync(stopping).ConfigureAwait(false));
        }

        MarkAvailable();
        Volatile.Write(ref _dirty, 1);
        if (done < items)
        {
            Log.LeasesLost(_logger, items - done);
        }
    }

    /// <inheritdoc />
    public BacklogLevelState GetLevelState(PriorityLevel level)
    {
        int index = CheckLevel(level);
        var view = Volatile.Read(ref _view)[index];
        return new BacklogLevelState(Math.Max(0, view.Ready), view.Ready > 0 ? view.Oldest : null)
        {
            // Every instance's claims (the counters) less this one's: what the others released, for the policy's shares.
            ReleasedElsewhere = view.Released - Volatile.Read(ref _releasedHere[index]),
        };
    }

    /// <inheritdoc />
    public async ValueTask<int> RenewLeasesAsync(ReadOnlyMemory<long> ids, CancellationToken cancellationToken = default)
    {
        ThrowIfNotOpen();
        if (ids.IsEmpty)
        {
            return 0;
        }

        try
        {
            var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var connectionScope = connection.ConfigureAwait(false);
            var command = new NpgsqlCommand(_sql.Renew, connection);
            await using var commandScope = command.ConfigureAwait(false);
            command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = ids.ToArray() });
            command.Parameters.Add(OwnerParameter());
            command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = _options.LeaseTime, NpgsqlDbType = NpgsqlDbType.Interval });
            int renewed = (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            MarkAvailable();
            return renewed;
        }
        catch (Exception ex) when (IsUnavailable(ex, cancellationToken))
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>Refreshes the level view from the database now (the background loop does this on its own).</summary>
    public async Task RefreshViewAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var command = new NpgsqlCommand(_sql.State, connection);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = PriorityLevels.Count });
        var view = CreateEmptyView();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                int level = reader.GetInt32(0);
                view[level] = new LevelView(
                    reader.GetInt64(1),
                    reader.GetInt64(2),
                    reader.GetInt64(3),
                    reader.IsDBNull(4) ? null : new DateTimeOffset(reader.GetFieldValue<DateTime>(4), TimeSpan.Zero));
            }
        }

        MarkAvailable();
        var previous = Interlocked.Exchange(ref _view, view);
        for (int i = 0; i < view.Length; i++)
        {
            if (view[i].Ready > previous[i].Ready)
            {
                RaiseChanged();
                break;
            }
        }
    }

    /// <summary>Makes expired leases claimable again now (the background loop does this on its own).</summary>
    /// <returns>How many leases were reaped.</returns>
    public async Task<int> ReapExpiredLeasesAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var command = new NpgsqlCommand(_sql.Reap, connection);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = ReapBatch });
        command.Parameters.Add(Shard(_releaseShard));
        int reaped = (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        if (reaped > 0)
        {
            Log.LeasesReaped(_logger, reaped);
            RaiseChanged();
        }

        return reaped;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _appends.Writer.TryComplete();
        _acknowledgements.Writer.TryComplete();
        try
        {
            // Let the committers finish what is queued (each caller learns its outcome), then stop the loops.
            await Task.WhenAll(_committer, _acknowledger).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.CommitterSlowToStop(_logger);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_committer, _acknowledger, _listener, _maintenance, _refresher).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        while (_appends.Reader.TryRead(out var request))
        {
            request.Completion.TrySetException(new ObjectDisposedException(nameof(PostgreSqlBacklogStore)));
        }

        while (_acknowledgements.Reader.TryRead(out var acknowledgement))
        {
            acknowledgement.Completion.TrySetException(new ObjectDisposedException(nameof(PostgreSqlBacklogStore)));
        }

        _stopping.Dispose();
        if (_ownsDataSource)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal static bool IsUnavailable(Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            return false;
        }

        return exception switch
        {
            PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exception
                || postgres.SqlState is "57P01" or "57P02" or "57P03" // admin/crash shutdown, cannot connect now
                || postgres.SqlState is "53300" // too many connections
                || postgres.SqlState is "40001" or "40P01", // serialization failure, deadlock: retry later
            NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is SocketException or IOException or TimeoutException,
            SocketException or TimeoutException => true,
            InvalidOperationException when exception.Source == "Npgsql" => true, // pool exhausted or connection broken
            _ => false,
        };
    }

    private static LevelView[] CreateEmptyView() => new LevelView[PriorityLevels.Count];

    private static int CheckLevel(PriorityLevel level)
    {
        if ((uint)level >= (uint)PriorityLevels.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(level), level, $"Use a level from 0 to {PriorityLevels.Count - 1}.");
        }

        return (int)level;
    }

    private static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static NpgsqlParameter<long[]> Array(List<long> ids) => new() { TypedValue = [.. ids] };

    private static NpgsqlParameter<short> Shard(short shard) => new() { TypedValue = shard };

    private NpgsqlParameter<Guid> OwnerParameter() => new() { TypedValue = _owner };

    private void ThrowIfNotOpen()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Volatile.Read(ref _opened) == 0)
        {
            throw new InvalidOperationException("Open the PostgreSQL backlog store (OpenAsync) before using it.");
        }
    }

    private BacklogStoreUnavailableException Unavailable(Exception exception)
    {
        _lastError = exception.Message;
        Interlocked.CompareExchange(ref _unavailableSinceUtcTicks, _timeProvider.GetUtcNow().UtcTicks, 0);
        _available = false;
        Log.Unavailable(_logger, exception);
        return new BacklogStoreUnavailableException("The PostgreSQL backlog cannot be reached: " + exception.Message, exception) { RetryAfter = s_retryAfter };
    }

    private void MarkAvailable()
    {
        if (!_available)
        {
            _available = true;
            _lastError = null;
            Interlocked.Exchange(ref _unavailableSinceUtcTicks, 0);
            Log.Available(_logger);
        }
    }

    private void ClearReady(int level)
    {
        Volatile.Write(ref _dirty, 1);
        while (true)
        {
            var current = Volatile.Read(ref _view);
            if (current[level].Ready == 0)
            {
                return;
            }

            var next = (LevelView[])current.Clone();
            next[level] = next[level] with { Ready = 0, Oldest = null };
            if (ReferenceEquals(Interlocked.CompareExchange(ref _view, next, current), current))
            {
                return;
            }
        }
    }

    private void AdjustView(int level, long readyDelta, long heldDelta, long releasedDelta)
    {
        Volatile.Write(ref _dirty, 1);
        while (true)
        {
            var current = Volatile.Read(ref _view);
            var next = (LevelView[])current.Clone();
            var entry = next[level];
            next[level] = entry with { Ready = entry.Ready + readyDelta, Held = entry.Held + heldDelta, Released = entry.Released + releasedDelta };
            if (ReferenceEquals(Interlocked.CompareExchange(ref _view, next, current), current))
            {
                return;
            }
        }
    }

    private void RaiseChanged()
    {
        try
        {
            BacklogChanged?.Invoke(this, EventArgs.Empty);
        }
        catch (Exception ex)
        {
            Log.ChangeHandlerFailed(_logger, ex);
        }
    }

    private async ValueTask AppendInChunksAsync(ReadOnlyMemory<BacklogAppend> batch, Memory<AppendOutcome> outcomes, CancellationToken cancellationToken)
    {
        for (int start = 0; start < batch.Length; start += _options.MaxGroupCommitSize)
        {
            int length = Math.Min(_options.MaxGroupCommitSize, batch.Length - start);
            var request = new AppendRequest(batch.Slice(start, length), outcomes.Slice(start, length), cancellationToken);
            ObjectDisposedException.ThrowIf(!_appends.Writer.TryWrite(request), this);

            await request.Completion.Task.ConfigureAwait(false);
        }
    }

    private async Task CommitLoopAsync(CancellationToken stopping)
    {
        var pending = new List<AppendRequest>();
        try
        {
            while (await _appends.Reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                pending.Clear();
                int items = 0;
                while (items < _options.MaxGroupCommitSize && _appends.Reader.TryPeek(out var next)
                    && (items == 0 || items + next.Batch.Length <= _options.MaxGroupCommitSize))
                {
                    _appends.Reader.TryRead(out next);
                    if (next!.CancellationToken.IsCancellationRequested)
                    {
                        next.Completion.TrySetCanceled(next.CancellationToken);
                        continue;
                    }

                    pending.Add(next);
                    items += next.Batch.Length;
                }

                if (pending.Count > 0)
                {
                    await CommitAsync(pending, items, stopping).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task CommitAsync(List<AppendRequest> requests, int items, CancellationToken stopping)
    {
        var levels = new short[items];
        var receivedAt = new DateTime[items];
        var keys = new string?[items];
        var envelopes = new byte[items][];
        var payloads = new byte[items][];
        var order = new int[items];
        var firstOfKey = new Dictionary<string, int>(StringComparer.Ordinal);
        var duplicateOf = new int[items];
        int i = 0;
        foreach (var request in requests)
        {
            foreach (var item in request.Batch.Span)
            {
                levels[i] = (short)item.Level;
                receivedAt[i] = item.EnqueuedAt.UtcDateTime;
                envelopes[i] = EnvelopeCodec.Write(item.Message);
                payloads[i] = item.Message.RawMessage.ToArray();
                order[i] = i;
                duplicateOf[i] = -1;
                if (item.DeduplicationKey is { } key)
                {
                    if (firstOfKey.TryGetValue(key, out int first))
                    {
                        duplicateOf[i] = first; // a second copy in this very batch: not sent, a duplicate of the first
                    }
                    else
                    {
                        firstOfKey.Add(key, i);
                        keys[i] = key;
                    }
                }

                i++;
            }
        }

        Debug.Assert(i == items, "Every item of every request is in the arrays.");
        HashSet<string> fresh;
        try
        {
            fresh = await ExecuteAppendAsync(levels, receivedAt, keys, envelopes, payloads, order, duplicateOf, stopping).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var failure = IsUnavailable(ex, stopping) ? Unavailable(ex) : ex;
            foreach (var request in requests)
            {
                request.Completion.TrySetException(failure);
            }

            return;
        }

        i = 0;
        var accepted = new int[PriorityLevels.Count];
        foreach (var request in requests)
        {
            var outcomes = request.Outcomes.Span;
            for (int j = 0; j < request.Batch.Length; j++, i++)
            {
                var key = duplicateOf[i] >= 0 ? null : keys[i];
                bool isAccepted = duplicateOf[i] < 0 && (key is null || fresh.Contains(key));
                outcomes[j] = isAccepted ? AppendOutcome.Accepted : AppendOutcome.Duplicate;
                if (isAccepted)
                {
                    accepted[levels[i]]++;
                }
            }

            request.Completion.TrySetResult();
        }

        for (int level = 0; level < accepted.Length; level++)
        {
            if (accepted[level] > 0)
            {
                AdjustView(level, accepted[level], accepted[level], 0);
            }
        }
    }

    private async Task<HashSet<string>> ExecuteAppendAsync(short[] levels, DateTime[] receivedAt, string?[] keys, byte[][] envelopes, byte[][] payloads, int[] order, int[] duplicateOf, CancellationToken stopping)
    {
        // Leave out the in-batch duplicates; they are answered from the first copy's outcome.
        int sent = 0;
        for (int i = 0; i < duplicateOf.Length; i++)
        {
            if (duplicateOf[i] < 0)
            {
                sent++;
            }
        }

        if (sent < duplicateOf.Length)
        {
            var keep = new int[sent];
            for (int i = 0, k = 0; i < duplicateOf.Length; i++)
            {
                if (duplicateOf[i] < 0)
                {
                    keep[k++] = i;
                }
            }

            levels = [.. keep.Select(k => levels[k])];
            receivedAt = [.. keep.Select(k => receivedAt[k])];
            keys = [.. keep.Select(k => keys[k])];
            envelopes = [.. keep.Select(k => envelopes[k])];
            payloads = [.. keep.Select(k => payloads[k])];
            order = [.. keep];
        }

        var connection = await _dataSource.OpenConnectionAsync(stopping).ConfigureAwait(false);

        await using var connectionScope = connection.ConfigureAwait(false);
        var batch = new NpgsqlBatch(connection);
        await using var batchScope = batch.ConfigureAwait(false);
        batch.BatchCommands.Add(Command(
            _sql.Append,
            new NpgsqlParameter<short[]> { TypedValue = levels },
            new NpgsqlParameter<DateTime[]> { TypedValue = receivedAt, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz },
            new NpgsqlParameter<string?[]> { TypedValue = keys, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
            new NpgsqlParameter<byte[][]> { TypedValue = envelopes, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea },
            new NpgsqlParameter<byte[][]> { TypedValue = payloads, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea },
            new NpgsqlParameter<int[]> { TypedValue = order },
            new NpgsqlParameter<TimeSpan> { TypedValue = _retention, NpgsqlDbType = NpgsqlDbType.Interval },
            Shard(_appendShard)));

        // In the same implicit transaction: delivered to listeners only when the accepts commit.
        batch.BatchCommands.Add(Command(_sql.Notify, new NpgsqlParameter<string> { TypedValue = _sql.Channel }, new NpgsqlParameter<string> { TypedValue = "appended" }));
        var fresh = new HashSet<string>(StringComparer.Ordinal);
        var reader = await batch.ExecuteReaderAsync(stopping).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(stopping).ConfigureAwait(false))
            {
                fresh.Add(reader.GetString(0));
            }

            while (await reader.NextResultAsync(stopping).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(stopping).ConfigureAwait(false))
                {
                }
            }
        }

        MarkAvailable();
        return fresh;
    }

    private async Task ListenLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var connection = await _dataSource.OpenConnectionAsync(stopping).ConfigureAwait(false);
                await using var connectionScope = connection.ConfigureAwait(false);
                connection.Notification += (_, _) =>
                {
                    Volatile.Write(ref _dirty, 1);
                    RaiseChanged();
                };
                using (var listen = new NpgsqlCommand($"LISTEN {_sql.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stopping).ConfigureAwait(false);
                }

                // After (re)connecting, a notification may have been missed: refresh and wake readers.
                Volatile.Write(ref _dirty, 1);
                RaiseChanged();
                while (!stopping.IsCancellationRequested)
                {
                    // Returns on a notification (handled above) or after the timeout; throws if the connection broke.
                    await connection.WaitAsync(TimeSpan.FromSeconds(30), stopping).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (IsUnavailable(ex, stopping))
            {
                Unavailable(ex);
                await DelayAsync(ReconnectDelay, stopping).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.BackgroundFailed(_logger, "listen", ex);
                await DelayAsync(ReconnectDelay, stopping).ConfigureAwait(false);
            }
        }
    }

    private TimeSpan ReconnectDelay => _options.PollInterval < TimeSpan.FromSeconds(1) ? _options.PollInterval : TimeSpan.FromSeconds(1);

    // Keeps the level view current: soon after local activity or a notification (the dirty flag), and every poll
    // interval regardless. A poll also wakes readers, in case a notification was lost.
    private async Task RefreshLoopAsync(CancellationToken stopping)
    {
        var lastPoll = _timeProvider.GetTimestamp();
        while (!stopping.IsCancellationRequested)
        {
            await DelayAsync(s_refreshGap, stopping).ConfigureAwait(false);
            bool poll = _timeProvider.GetElapsedTime(lastPoll) >= _options.PollInterval;
            if (!poll && Interlocked.Exchange(ref _dirty, 0) == 0)
            {
                continue;
            }

            try
            {
                await RefreshViewAsync(stopping).ConfigureAwait(false);
                if (poll)
                {
                    lastPoll = _timeProvider.GetTimestamp();
                    RaiseChanged();
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (IsUnavailable(ex, stopping))
            {
                Unavailable(ex);
                Volatile.Write(ref _dirty, 1);
                await DelayAsync(ReconnectDelay, stopping).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.BackgroundFailed(_logger, "refresh", ex);
                await DelayAsync(ReconnectDelay, stopping).ConfigureAwait(false);
            }
        }
    }

    private async Task MaintenanceLoopAsync(CancellationToken stopping)
    {
        // Reaping runs more often than the lease lasts, so an expired lease waits at most about a third of a lease.
        var period = _options.LeaseTime / 3;
        if (period > TimeSpan.FromSeconds(5))
        {
            period = TimeSpan.FromSeconds(5);
        }

        while (!stopping.IsCancellationRequested)
        {
            try
            {
                // On the leases' clock (the database's, real time), like the scheduler's renewals.
                await DelayAsync(period, LeaseTimeProvider, stopping).ConfigureAwait(false);
                while (await ReapExpiredLeasesAsync(stopping).ConfigureAwait(false) == ReapBatch)
                {
                }

                var connection = await _dataSource.OpenConnectionAsync(stopping).ConfigureAwait(false);

                await using var connectionScope = connection.ConfigureAwait(false);
                var purge = new NpgsqlCommand(_sql.PurgeDedup, connection);
                await using var purgeScope = purge.ConfigureAwait(false);
                purge.Parameters.Add(new NpgsqlParameter<int> { TypedValue = PurgeBatch });
                await purge.ExecuteNonQueryAsync(stopping).ConfigureAwait(false);
                MarkAvailable();
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (IsUnavailable(ex, stopping))
            {
                Unavailable(ex);
            }
            catch (Exception ex)
            {
                Log.BackgroundFailed(_logger, "maintenance", ex);
            }
        }
    }

    private Task DelayAsync(TimeSpan delay, CancellationToken stopping) => DelayAsync(delay, _timeProvider, stopping);

    private static async Task DelayAsync(TimeSpan delay, TimeProvider clock, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(delay, clock, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private readonly record struct LevelView(long Ready, long Held, long Released, DateTimeOffset? Oldest);

    private sealed class AcknowledgeRequest(ReadOnlyMemory<BacklogAcknowledgement> batch)
    {
        public ReadOnlyMemory<BacklogAcknowledgement> Batch { get; } = batch;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class AppendRequest(ReadOnlyMemory<BacklogAppend> batch, Memory<AppendOutcome> outcomes, CancellationToken cancellationToken)
    {
        public ReadOnlyMemory<BacklogAppend> Batch { get; } = batch;

        public Memory<AppendOutcome> Outcomes { get; } = outcomes;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
