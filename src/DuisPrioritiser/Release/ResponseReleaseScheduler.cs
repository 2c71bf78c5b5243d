using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Consolidation.Internal;
using DuisPrioritiser.Deduplication.Internal;
using DuisPrioritiser.DependencyInjection.Internal;
using DuisPrioritiser.Diagnostics;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Journal;
using DuisPrioritiser.Journal.Internal;
using DuisPrioritiser.Release.Internal;
using DuisPrioritiser.Storage;
using DuisPrioritiser.Storage.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuisPrioritiser.Release;

/// <summary>The built-in <see cref="IResponseReleaseScheduler"/>.</summary>
/// <remarks>
/// <para><b>Parts.</b> The scheduler composes parts with one job each (see <c>docs/architecture.md</c>):
/// <em>intake</em> reads, classifies and deduplicates; the <em>gate</em> admits against capacity and tracks
/// completion; the <em>store</em> (<see cref="IBacklogStore"/>: memory, the file journal, or a remote one) holds
/// accepted messages until acknowledged; the <em>release coordinator</em> asks the drain policy which level goes next
/// and applies throttles and recovery mode. This class only routes calls between them.</para>
/// <para><b>Fast path.</b> With an embedded store (memory or journal) the scheduler reads and writes the store's
/// lock-free queue directly: no async call and no allocation per message in memory. A remote store is driven
/// through its batch API by a bridge that gathers concurrent appends and claims a level's messages in batches.</para>
/// <para><b>Durable stores</b> (the journal, a remote store): a message is made durable before it is accepted, so the
/// synchronous <c>TryEnqueue</c> overloads throw <see cref="InvalidOperationException"/> (they are documented never to
/// block, and durability takes a disk flush or a round trip); use <c>EnqueueAsync</c>.</para>
/// <para>Construct it directly, or register it with <c>services.AddResponsePrioritisation()</c>.</para>
/// </remarks>
public sealed partial class ResponseReleaseScheduler : IResponseReleaseScheduler, IDisposable, ISchedulerGauges, IRecoveryControl
{
    private readonly SchedulerIntake _intake;
    private readonly BacklogGate _gate;
    private readonly IBacklogStore _store;
    private readonly bool _ownsStore;
    private readonly EmbeddedBacklogStore? _embedded;
    private readonly RemoteBacklogBridge? _remote;
    private readonly LocalBacklog _backlog;
    private readonly ReleaseCoordinator _release;
    private readonly RecoveryModeController _recovery;
    private readonly BackendDowntime _downtime = new();
    private readonly IDrainPolicy _policy;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly QueueFullMode _fullMode;
    private readonly SchedulerMetrics _metrics;
    private readonly AlertConsolidator? _consolidator;

    /// <summary>True for the memory store without duplicate suppression: intake goes straight to the queue.</summary>
    private readonly bool _direct;

    /// <summary>Initialises a scheduler.</summary>
    /// <param name="options">The options; validated and copied, so later changes have no effect.</param>
    /// <param name="classifier">
    /// The classifier. When <see langword="null"/>, the explicit overrides in <paramref name="options"/>, then the
    /// built-in <see cref="DuisDefaultPriorityClassifier"/>, then <see cref="ResponsePrioritisationOptions.DefaultLevel"/> decide.
    /// </param>
    /// <param name="drainPolicy">The drain policy; when <see langword="null"/>, the one <paramref name="options"/> selects.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="logger">The logger; none when <see langword="null"/>.</param>
    /// <param name="meterFactory">Creates the <c>DuisPrioritiser</c> meter; when <see langword="null"/> the scheduler owns its own meter.</param>
    /// <param name="backlogStore">
    /// Where accepted messages are held until acknowledged. When <see langword="null"/>, the scheduler creates and owns
    /// the store <paramref name="options"/> select: the file journal when <see cref="JournalOptions.Directory"/>
    /// is set, otherwise memory. A store given here is opened by the scheduler (its <see cref="IBacklogStore.OpenAsync"/>
    /// is waited for in this constructor) and owned, that is disposed, by the caller.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> is invalid; the message says what to fix.</exception>
    /// <exception cref="JournalCorruptedException">The configured journal is damaged before its last good record.</exception>
    /// <exception cref="JournalLockedException">Another scheduler (in this or another process) has the configured journal directory open.</exception>
    /// <exception cref="IOException">The configured journal directory cannot be read or written.</exception>
    /// <exception cref="BacklogStoreUnavailableException"><paramref name="backlogStore"/> cannot be reached.</exception>
    /// <exception cref="NotSupportedException">Consolidation of repeated alerts is on (<see cref="Consolidation.ConsolidationOptions"/>) with a remote <paramref name="backlogStore"/>, which does not support it.</exception>
    public ResponseReleaseScheduler(
        ResponsePrioritisationOptions options,
        IPriorityClassifier? classifier = null,
        IDrainPolicy? drainPolicy = null,
        TimeProvider? timeProvider = null,
        ILogger<ResponseReleaseScheduler>? logger = null,
        IMeterFactory? meterFactory = null,
        IBacklogStore? backlogStore = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ResponsePrioritisationOptionsValidation.ThrowIfInvalid(options);

        _fullMode = options.FullMode;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _intake = new SchedulerIntake(options, classifier, _timeProvider, _logger);
        _policy = drainPolicy ?? DrainPolicies.Create(options, _timeProvider);
        _gate = new BacklogGate(options.Capacity);
        _recovery = new RecoveryModeController(options.Recovery, _timeProvider, _logger);
        _recovery.ModeChanged += OnModeChanged;
        var lanes = AlertCodeLanes.Create(options.Traffic, _timeProvider.TimestampFrequency);

        _consolidator = AlertConsolidator.Create(options.Traffic.Consolidation, _timeProvider.TimestampFrequency);
        if (_consolidator is not null && backlogStore is not null and not EmbeddedBacklogStore)
        {
            throw new NotSupportedException(
                $"{ResponsePrioritisationOptions.SectionName}:Traffic:Consolidation is on, but the backlog store {backlogStore.GetType().Name} is a remote store, which does not " +
                "support consolidation of repeated alerts: clear Traffic:Consolidation:Levels and Traffic:Consolidation:AlertCodes, or use the memory store or the file journal.");
        }

        _ownsStore = backlogStore is null;
        var fairness = BacklogFairness.From(options.Traffic);
        _store = backlogStore ?? (options.Journal.IsEnabled
            ? new FileJournalBacklogStore(options.Journal, _timeProvider, _logger, fairness)
            : new MemoryBacklogStore(_timeProvider, fairness));
        if (_store is EmbeddedBacklogStore embedded)
        {
            // Recovered messages were accepted before the restart: they are held even beyond capacity, never dropped.
            // Throttled alert codes' recovered messages go to their code's lane, like new ones, keeping their order.
            _embedded = embedded;
            _backlog = embedded.Backlog;
            // A consolidated repeat's record names the head it joined: it is attached to that head's group again.
            var backlog = _backlog;
            var consolidator = _consolidator;
            consolidator?.BeginRecovery();
            var recovered = embedded.Open(_intake.Seed, _intake.SeedCapacity, (level, code, entry, groupHead) =>
            {
                if (consolidator is not null && consolidator.TryAttachRecovered(level, in entry, groupHead))
                {
                    return;
                }

                if (lanes.IsEmpty || !lanes.TryHold(level, code, in entry))
                {
                    backlog.Add(level, in entry);
                }
            });
            consolidator?.EndRecovery();
            _gate.AddHeld(recovered.RecoveredCount);
        }
        else
        {
            // A remote store: opened here (construction is synchronous), then driven through its batch API.
            var recovered = _store.OpenAsync().AsTask().GetAwaiter().GetResult();
            Log.BacklogStoreOpened(_logger, _store.GetType().Name, recovered.RecoveredCount);
            _backlog = new LocalBacklog();
            _remote = new RemoteBacklogBridge(_store, _backlog, lanes, _gate, _timeProvider, _logger);
        }

        _direct = _embedded is { IsDurable: false } && !_intake.Deduplicates;
        _release = new ReleaseCoordinator(_policy, _backlog, _gate, _recovery, lanes, _timeProvider, _remote, _downtime, _embedded, _logger) { Consolidator = _consolidator };

        // Last: the observable gauges read this instance, so they are registered only once it is fully built
        // (a journal that refuses to open must not leave gauges pointing at a half-built scheduler).
        _metrics = new SchedulerMetrics(meterFactory, this);
        _release.Metrics = _metrics;
    }

    /// <inheritdoc />
    public Task Completion => _gate.Completion;

    /// <summary>Gets the number of messages held (with a shared store: this scheduler's claimed ones plus the store's unclaimed ones).</summary>
    public long Count => _release.HeldCount;

    /// <summary>Gets the record of back-end downtime that the release loop keeps, which the drain policy's wait bounds discount.</summary>
    internal BackendDowntime Downtime => _downtime;

    /// <summary>Gets the number of messages held again after <see cref="ReleaseOutcome.Returned"/>.</summary>
    internal long ReturnedCount => _backlog.ReturnedCount;

    /// <summary>Gets the oldest wait among returned Critical messages (for the health check).</summary>
    internal TimeSpan GetReturnedOldestWait(PriorityLevel level)
        => _release.GetReturnedOldestWait((int)level);

    /// <summary>Gets the drain policy in use.</summary>
    public IDrainPolicy DrainPolicy => _policy is Tuning.Internal.SwappableDrainPolicy swappable ? swappable.Current : _policy;

    /// <summary>Gets how many duplicate messages were suppressed (reported as <see cref="EnqueueResult.AcceptedDuplicate"/> and not enqueued again).</summary>
    public long DuplicatesSuppressed => _intake.DuplicatesSuppressed;

    /// <summary>Gets a value indicating whether the durable file journal holds the backlog (see <see cref="JournalOptions"/>).</summary>
    public bool IsJournaled => _store is FileJournalBacklogStore;

    /// <inheritdoc />
    public TrafficMode Mode => _recovery.Mode;

    /// <summary>Gets the backlog store in use.</summary>
    internal IBacklogStore Store => _store;

    /// <summary>Gets the backlog store's health (for the health check): a remote store's as it or this scheduler saw it; an embedded store is always reachable.</summary>
    internal BacklogStoreHealth GetStoreHealth()
        => _remote?.GetHealth()
            ?? (_store as IBacklogStoreHealth)?.GetHealth()
            ?? new BacklogStoreHealth(_store is FileJournalBacklogStore ? "journal" : "memory", true, null, null);

    /// <summary>Gets a value indicating whether held messages survive a restart (the journal, a durable remote store).</summary>
    internal bool IsDurable => (_store.Capabilities & BacklogStoreCapabilities.Durable) != 0;

    /// <summary>Gets the journal, for tests.</summary>
    /// <summary>Gets the held entries of an embedded store, for tests.</summary>
    internal LocalBacklog Backlog => _backlog;

    internal IMessageJournal? Journal => (_store as FileJournalBacklogStore)?.Journal;

    /// <summary>Gets the consolidation of repeated alerts, or <see langword="null"/> when it is off; for tests.</summary>
    internal AlertConsolidator? Consolidator => _consolidator;

    /// <inheritdoc />
    public bool TryEnqueue(DuisMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return TryEnqueueChecked(message, Classify(message)) is EnqueueStatus.Accepted or EnqueueStatus.Duplicate;
    }

    /// <inheritdoc />
    public bool TryEnqueue(DuisMessage message, PriorityLevel level)
    {
        ArgumentNullException.ThrowIfNull(message);
        PriorityLevels.ThrowIfUndefined(level);
        return TryEnqueueChecked(message, level) is EnqueueStatus.Accepted or EnqueueStatus.Duplicate;
    }

    /// <inheritdoc />
    public IntakeResult TryEnqueue(ReadOnlyMemory<byte> xml)
    {
        if (!_intake.TryRead(xml, out var message, out var error))
        {
            _metrics.Rejected("invalid", null);
            return IntakeResult.Invalid(error);
        }

        var level = Classify(message);
        return IntakeResult.Read(ToIntakeStatus(TryEnqueueChecked(message, level)), level, message);
    }

    /// <inheritdoc />
    public ValueTask<bool> EnqueueAsync(DuisMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        var level = Classify(message);
        if (!_direct)
        {
            return IsAcceptedAsync(EnqueueCheckedAsync(message, level, cancellationToken));
        }

        var status = TryEnqueueCore(message, level, final: _fullMode == QueueFullMode.Reject);
        if (status != EnqueueStatus.Full || _fullMode == QueueFullMode.Reject)
        {
            return new ValueTask<bool>(status == EnqueueStatus.Accepted);
        }

        return EnqueueWaitingAsync(message, level, cancellationToken);
    }

    /// <summary>
    /// Classifies and enqueues <paramref name="message"/> like <see cref="EnqueueAsync(DuisMessage, CancellationToken)"/>, and says why it was or was
    /// not accepted. With a durable store, the task completes only once the message is on stable storage.
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels a wait for space (under <see cref="QueueFullMode.Wait"/>).</param>
    /// <returns>
    /// <see cref="EnqueueResult.Accepted"/> or <see cref="EnqueueResult.AcceptedDuplicate"/>: acknowledge the DCC with a 2xx;
    /// otherwise the message stays the caller's. <see cref="EnqueueResult.Unavailable"/>: a remote store could not be
    /// reached, nothing was stored (answer so that the sender retries later).
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting; the message was not accepted.</exception>
    /// <exception cref="JournalWriteException">The journal could not make the message durable (disk full): it was not accepted.</exception>
    public ValueTask<EnqueueResult> EnqueueWithResultAsync(DuisMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<EnqueueResult>(cancellationToken);
        }

        return EnqueueCheckedAsync(message, Classify(message), cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IntakeResult> EnqueueAsync(ReadOnlyMemory<byte> xml, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<IntakeResult>(cancellationToken);
        }

        if (!_intake.TryRead(xml, out var message, out var error))
        {
            _metrics.Rejected("invalid", null);
            return new ValueTask<IntakeResult>(IntakeResult.Invalid(error));
        }

        var level = Classify(message);
        if (!_direct)
        {
            // Through the store's durability (durable before it returns) and duplicate suppression.
            var checkedResult = EnqueueCheckedAsync(message, level, cancellationToken);
            return checkedResult.IsCompletedSuccessfully
                ? new ValueTask<IntakeResult>(IntakeResult.Read(ToIntakeStatus(checkedResult.Result), level, message))
                : EnqueueRawCheckedAsync(checkedResult, message, level);
        }

        var status = TryEnqueueCore(message, level, final: _fullMode == QueueFullMode.Reject);
        if (status != EnqueueStatus.Full || _fullMode == QueueFullMode.Reject)
        {
            return new ValueTask<IntakeResult>(IntakeResult.Read(ToIntakeStatus(status), level, message));
        }

        return EnqueueRawWaitingAsync(message, level, cancellationToken);
    }

    /// <inheritdoc />
    public bool TryDequeue(out ReleasedMessage message) => _release.TryDequeue(out message);

    /// <inheritdoc />
    public async ValueTask<ReleasedMessage> DequeueAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (TryDequeue(out var message))
            {
                return message;
            }

            if (!await WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException("The scheduler has been completed and holds no more messages.");
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => _release.WaitToReadAsync(cancellationToken);

    /// <inheritdoc />
    public async IAsyncEnumerable<ReleasedMessage> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (TryDequeue(out var message))
            {
                yield return message;
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// <see cref="ReleaseOutcome.Returned"/> holds the message again at the front of its level, in its original order,
    /// with <see cref="ReleasedMessage.Attempts"/> one higher (beyond capacity if need be: it was accepted before), and
    /// the drain policy releases it again. With the journal, a returned message stays in the journal; after a restart it
    /// is recovered in its original place.
    /// </remarks>
    public ValueTask AcknowledgeAsync(ReleasedMessage message, ReleaseOutcome outcome = ReleaseOutcome.Handled, CancellationToken cancellationToken = default)
    {
        if (message.Message is null)
        {
            throw new ArgumentException("Acknowledge a message returned by the scheduler, not a default instance.", nameof(message));
        }

        if ((uint)outcome > (uint)ReleaseOutcome.Returned)
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Use Handled, DeadLettered or Returned.");
        }

        if (!_gate.OnAcknowledged())
        {
            Log.UnbalancedAcknowledgement(_logger);
        }

        if (message.RepeatsOrNull is { } repeats)
        {
            return AcknowledgeGroupAsync(message, repeats, outcome);
        }

        if (_remote is not null)
        {
            return message.Token > 0 ? _remote.AcknowledgeAsync(message.Token, outcome, cancellationToken) : ValueTask.CompletedTask;
        }

        if (outcome == ReleaseOutcome.Returned)
        {
            // Held compactly again when the journal is the backlog (read back from its record on the next release).
            var entry = QueuedEntry.Hold(message.Message, message.EnqueuedTimestamp, message.Token, message.Attempts + 1, message.Locator);
            _backlog.Return((int)message.Level, entry);
            _gate.AddHeld();
            _gate.NotifyReaders();
            return _embedded!.OnReturnedAsync(entry, message.Level);
        }

        return message.Token > 0 ? _embedded!.ForgetAsync(message.Token) : ValueTask.CompletedTask;
    }

    /// <summary>
    /// Acknowledges a consolidated group: every repeat with the head's outcome. Handled or dead-lettered completes each
    /// repeat's record as well as the head's; returned holds the head again with its repeats attached.
    /// </summary>
    private async ValueTask AcknowledgeGroupAsync(ReleasedMessage message, Consolidation.AlertRepeats repeats, ReleaseOutcome outcome)
    {
        var entries = repeats.Entries;
        for (int i = 0; i < entries.Length; i++)
        {
            _gate.OnAcknowledged();
        }

        var store = _embedded!;
        if (outcome == ReleaseOutcome.Returned)
        {
            var head = QueuedEntry.Hold(message.Message, message.EnqueuedTimestamp, message.Token, message.Attempts + 1, message.Locator);
            _consolidator!.Park(in head, entries);
            _backlog.Return((int)message.Level, head);
            _gate.AddHeld(1 + entries.Length);
            _gate.NotifyReaders();
            await store.OnReturnedAsync(head, message.Level).ConfigureAwait(false);
            return;
        }

        if (message.Token > 0)
        {
            await store.ForgetAsync(message.Token).ConfigureAwait(false);
        }

        foreach (var entry in entries)
        {
            if (entry.Token > 0)
            {
                await store.ForgetAsync(entry.Token).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public void Complete()
    {
        long held = _gate.Complete();
        if (held >= 0)
        {
            Log.SchedulerCompleted(_logger, held);
        }
    }

    /// <inheritdoc />
    public SchedulerSnapshot GetSnapshot()
    {
        long now = _timeProvider.GetTimestamp();
        _recovery.Evaluate(Count, now);
        var levels = new LevelSnapshot[PriorityLevels.Count];
        for (int i = 0; i < levels.Length; i++)
        {
            levels[i] = new LevelSnapshot((PriorityLevel)i, _release.GetQueuedCount(i), _release.GetOldestWait(i, now));
        }

        return new SchedulerSnapshot(levels, _gate.Capacity, _gate.InFlight, _gate.IsCompleted, _timeProvider.GetUtcNow())
        {
            DuplicatesSuppressed = DuplicatesSuppressed,
            DuplicateKeysEvicted = _intake.DuplicateKeysEvicted,
            Mode = _recovery.Mode,
            DeferredCount = _release.DeferredCount,
        };
    }

    /// <inheritdoc />
    public void EnterRecovery() => _recovery.Enter(Count);

    /// <inheritdoc />
    public void ExitRecovery() => _recovery.Exit(Count);

    /// <summary>Completes the scheduler, releases its own meter and closes the store it owns (the journal flushes what it holds). Held messages stay available to readers, so nothing is lost by disposing.</summary>
    /// <returns>A task that completes when the store is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        Complete();
        _metrics.Dispose();
        if (_remote is not null)
        {
            await _remote.DisposeAsync().ConfigureAwait(false);
        }

        if (_ownsStore)
        {
            await _store.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Completes the scheduler, releases its own meter and closes the store it owns. Held messages stay available to readers, so nothing is lost by disposing.</summary>
    public void Dispose()
    {
        Complete();
        _metrics.Dispose();
        _remote?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (_ownsStore)
        {
            if (_store is IDisposable disposable)
            {
                disposable.Dispose();
            }
            else
            {
                _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
    }

    long ISchedulerGauges.GetDepth(int level) => _release.GetQueuedCount(level);

    long ISchedulerGauges.GetDeferred() => _release.DeferredCount;

    TimeSpan ISchedulerGauges.GetOldestWait(int level) => _release.GetOldestWait(level, _timeProvider.GetTimestamp());

    long ISchedulerGauges.GetInFlight() => _gate.InFlight;

    int ISchedulerGauges.GetRecoveryMode() => _recovery.Mode == TrafficMode.Recovery ? 1 : 0;

    /// <summary>Reserves a place and holds the message in an embedded store.</summary>
    /// <param name="message">The message.</param>
    /// <param name="level">Its level.</param>
    /// <param name="token">Its store id (journal id), or 0.</param>
    /// <param name="final">
    /// <see langword="false"/> when a refusal is not the caller's final answer (it will wait for room and try
    /// again): then the refusal is neither logged nor counted, so a waiting writer is counted once, at its outcome.
    /// </param>
    /// <param name="timestamp">The intake timestamp when the caller already read the clock (duplicate suppression), else 0.</param>
    /// <param name="locator">Where the journal holds the message (then only a compact entry is held), or 0.</param>
    internal EnqueueStatus TryEnqueueCore(DuisMessage message, PriorityLevel level, long token = 0, bool final = true, long timestamp = 0, long locator = 0)
    {
        var status = _gate.TryReserve();
        if (status != EnqueueStatus.Accepted)
        {
            if (final)
            {
                RecordRejection(status, message, level);
            }

            return status;
        }

        if (timestamp == 0)
        {
            timestamp = _timeProvider.GetTimestamp();
        }

        _intake.Stamp(message, timestamp);
        message.CaptureIntakeTraceContext();
        var entry = QueuedEntry.Hold(message, timestamp, token, 0, locator);
        if (_consolidator is not null && _consolidator.TryAttach((int)level, message, in entry))
        {
            // Attached to the held alert of the same device and code: released with it, nothing new to release now.
            _recovery.OnArrival(_gate.Held, timestamp);
            _metrics.Enqueued(level, message.Kind);
            _metrics.Consolidated(level, message.AlertCode);
            return EnqueueStatus.Accepted;
        }

        _release.Hold((int)level, message.AlertCode, in entry, message);
        _recovery.OnArrival(_gate.Held, timestamp);
        _metrics.Enqueued(level, message.Kind);
        _gate.NotifyReaders();
        return EnqueueStatus.Accepted;
    }

    internal PriorityLevel Classify(DuisMessage message) => _intake.Classify(message);

    /// <summary>Releases every held message, ignoring policy and throttles: used by shutdown to hand the backlog over.</summary>
    internal bool TryDequeueIgnoringPolicy(out ReleasedMessage message) => _release.TryDequeueIgnoringPolicy(out message);

    /// <summary>Gets the timestamp ticks until a held message can be released: 0 for now, <see cref="long.MaxValue"/> when nothing is held.</summary>
    internal long GetReleaseDelay(long now) => _release.GetReleaseDelay(now);

    /// <summary>
    /// Enqueues a replayed dead letter at its original <paramref name="level"/>: not classified again and not checked
    /// for duplicates (the duplicate window remembers its first arrival), and durable before it returns with a
    /// durable store (the journal, a remote store).
    /// </summary>
    internal ValueTask<EnqueueResult> EnqueueReplayAsync(DuisMessage message, PriorityLevel level, CancellationToken cancellationToken)
    {
        if (_remote is not null)
        {
            return EnqueueRemoteAsync(message, level, default, cancellationToken);
        }

        if (_embedded!.IsDurable)
        {
            return EnqueueDurableAsync(message, level, default, cancellationToken);
        }

        return new ValueTask<EnqueueResult>(ToResult(TryEnqueueCore(message, level)));
    }

    private static EnqueueResult ToResult(EnqueueStatus status) => status switch
    {
        EnqueueStatus.Accepted => EnqueueResult.Accepted,
        EnqueueStatus.Full => EnqueueResult.RejectedFull,
        _ => EnqueueResult.RejectedCompleted,
    };

    private static IntakeStatus ToIntakeStatus(EnqueueStatus status) => status switch
    {
        EnqueueStatus.Accepted => IntakeStatus.Accepted,
        EnqueueStatus.Duplicate => IntakeStatus.AcceptedDuplicate,
        EnqueueStatus.Full => IntakeStatus.RejectedFull,
        _ => IntakeStatus.RejectedCompleted,
    };

    private static IntakeStatus ToIntakeStatus(EnqueueResult result) => result switch
    {
        EnqueueResult.Accepted => IntakeStatus.Accepted,
        EnqueueResult.AcceptedDuplicate => IntakeStatus.AcceptedDuplicate,
        EnqueueResult.RejectedFull => IntakeStatus.RejectedFull,
        EnqueueResult.Unavailable => IntakeStatus.Unavailable,
        _ => IntakeStatus.RejectedCompleted,
    };

    private static async ValueTask<bool> IsAcceptedAsync(ValueTask<EnqueueResult> result)
        => await result.ConfigureAwait(false) is EnqueueResult.Accepted or EnqueueResult.AcceptedDuplicate;

    private static async ValueTask<IntakeResult> EnqueueRawCheckedAsync(ValueTask<EnqueueResult> pending, DuisMessage message, PriorityLevel level)
        => IntakeResult.Read(ToIntakeStatus(await pending.ConfigureAwait(false)), level, message);

    /// <summary>The synchronous intake: refuses with a durable store (see the type remarks), suppresses duplicates.</summary>
    private EnqueueStatus TryEnqueueChecked(DuisMessage message, PriorityLevel level)
    {
        ThrowIfDurable();
        if (IsDuplicate(message, out var check))
        {
            return EnqueueStatus.Duplicate;
        }

        var status = TryEnqueueCore(message, level, timestamp: check.Timestamp);
        _intake.Remember(status == EnqueueStatus.Accepted, in check);
        return status;
    }

    private bool IsDuplicate(DuisMessage message, out DuplicateCheck check)
    {
        if (!_intake.IsDuplicate(message, out check))
        {
            return false;
        }

        _metrics.Duplicate(message.Kind);
        return true;
    }

    private ValueTask<EnqueueResult> EnqueueCheckedAsync(DuisMessage message, PriorityLevel level, CancellationToken cancellationToken)
    {
        if (IsDuplicate(message, out var check))
        {
            return new ValueTask<EnqueueResult>(EnqueueResult.AcceptedDuplicate);
        }

        if (_remote is not null)
        {
            return EnqueueRemoteAsync(message, level, check, cancellationToken);
        }

        if (_embedded!.IsDurable)
        {
            return EnqueueDurableAsync(message, level, check, cancellationToken);
        }

        var status = TryEnqueueCore(message, level, final: _fullMode == QueueFullMode.Reject, timestamp: check.Timestamp);
        if (status == EnqueueStatus.Full && _fullMode == QueueFullMode.Wait)
        {
            return EnqueueWaitingCheckedAsync(message, level, check, cancellationToken);
        }

        _intake.Remember(status == EnqueueStatus.Accepted, in check);
        return new ValueTask<EnqueueResult>(ToResult(status));
    }

    private async ValueTask<EnqueueResult> EnqueueWaitingCheckedAsync(DuisMessage message, PriorityLevel level, DuplicateCheck check, CancellationToken cancellationToken)
    {
        bool accepted = await EnqueueWaitingAsync(message, level, cancellationToken).ConfigureAwait(false);
        _intake.Remember(accepted, in check);
        return accepted ? EnqueueResult.Accepted : EnqueueResult.RejectedCompleted;
    }

    /// <summary>
    /// Intake into an embedded durable store (the journal). The message is made durable before it is placed in the
    /// queue, so a reader never sees a reserved place whose message is still being written. Capacity and completion
    /// are checked first, so a message that would be refused is not persisted; if the scheduler fills or completes
    /// while the message is being written, its record is cancelled.
    /// </summary>
    private async ValueTask<EnqueueResult> EnqueueDurableAsync(DuisMessage message, PriorityLevel level, DuplicateCheck check, CancellationToken cancellationToken)
    {
        var store = _embedded!;
        var status = await _gate.WaitForRoomAsync(_fullMode == QueueFullMode.Wait, cancellationToken).ConfigureAwait(false);
        if (status != EnqueueStatus.Accepted)
        {
            RecordRejection(status, message, level);
            return ToResult(status);
        }

        if (!store.HasRoom)
        {
            // The journal's disk budget is reached: refused before anything is written (events 6017/6018 say when).
            _metrics.Rejected("disk_budget", message.Kind);
            return EnqueueResult.RejectedFull;
        }

        // Stamped before the append, so that the journal records (and recovery restores) the receive time and the
        // intake trace context (the release span links to it, after a restart too).
        _intake.Stamp(message, _timeProvider.GetTimestamp());
        message.CaptureIntakeTraceContext();

        long id;
        long locator;
        try
        {
            // A repeat of a held alert records the head it joins, so that recovery rebuilds the group.
            long groupHead = _consolidator?.PeekHead((int)level, message) ?? 0;
            (id, locator) = await store.PersistAsync(message, level, groupHead).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            return EnqueueResult.RejectedCompleted;
        }
        catch (JournalWriteException)
        {
            _metrics.Rejected("journal", message.Kind);
            throw;
        }

        try
        {
            while (true)
            {
                status = TryEnqueueCore(message, level, id, final: false, locator: locator);
                if (status != EnqueueStatus.Full || _fullMode == QueueFullMode.Reject)
                {
                    break;
                }

                // Filled up while the message was being written: wait for room, still holding its record.
                status = await _gate.WaitForRoomAsync(wait: true, cancellationToken).ConfigureAwait(false);
                if (status != EnqueueStatus.Accepted)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            await store.ForgetAsync(id).ConfigureAwait(false);
            throw;
        }

        if (status == EnqueueStatus.Completed)
        {
            // Completed (disposed) while the message was being written: it is durable already, and the journal may be
            // closing, so a cancelling record could be lost and the message recovered after the caller was told "not
            // accepted". Not accepted must mean not journaled: it is accepted, stays in the journal and is released
            // at the next start (like every message still held at shutdown).
            _intake.Remember(true, in check);
            _metrics.Enqueued(level, message.Kind);
            return EnqueueResult.Accepted;
        }

        if (status != EnqueueStatus.Accepted)
        {
            // Refused after all (full under Reject): cancel the record so that it is not recovered as accepted.
            RecordRejection(status, message, level);
            await store.ForgetAsync(id).ConfigureAwait(false);
            return ToResult(status);
        }

        _intake.Remember(true, in check);
        return EnqueueResult.Accepted;
    }

    /// <summary>Intake into a remote store: admitted against the global held count, appended in a batch with concurrent intake.</summary>
    private async ValueTask<EnqueueResult> EnqueueRemoteAsync(DuisMessage message, PriorityLevel level, DuplicateCheck check, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_gate.IsCompleted)
            {
                RecordRejection(EnqueueStatus.Completed, message, level);
                return EnqueueResult.RejectedCompleted;
            }

            if (Count < _gate.Capacity)
            {
                break;
            }

            if (_fullMode == QueueFullMode.Reject)
            {
                RecordRejection(EnqueueStatus.Full, message, level);
                return EnqueueResult.RejectedFull;
            }

            // The held count of a shared store moves elsewhere too: look again shortly, or when space is signalled here.
            var signalled = _gate.BeginWriteWait();
            try
            {
                await Task.WhenAny(signalled, Task.Delay(TimeSpan.FromMilliseconds(100), _timeProvider, cancellationToken)).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }
            finally
            {
                _gate.EndWriteWait();
            }
        }

        long timestamp = _timeProvider.GetTimestamp();
        _intake.Stamp(message, timestamp);
        message.CaptureIntakeTraceContext();
        AppendOutcome outcome;
        try
        {
            outcome = await _remote!.AppendAsync(message, level, message.ReceivedAt, check.HasKey ? check.Key.ToString() : null, cancellationToken).ConfigureAwait(false);
        }
        catch (BacklogStoreUnavailableException ex)
        {
            // Not reached, so not stored: an answer, not an error (the sender retries; nothing accepted is at stake).
            _metrics.Rejected("unavailable", message.Kind);
            Log.BacklogStoreUnavailable(_logger, ex, level);
            return EnqueueResult.Unavailable;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _metrics.Rejected("store", message.Kind);
            throw;
        }

        switch (outcome)
        {
            case AppendOutcome.Accepted:
                _intake.Remember(true, in check);
                _recovery.OnArrival(Count, timestamp);
                _metrics.Enqueued(level, message.Kind);
                return EnqueueResult.Accepted;
            case AppendOutcome.Duplicate:
                _intake.Remember(true, in check);
                _metrics.Duplicate(message.Kind);
                return EnqueueResult.AcceptedDuplicate;
            default:
                RecordRejection(EnqueueStatus.Full, message, level);
                return EnqueueResult.RejectedFull;
        }
    }

    private async ValueTask<bool> EnqueueWaitingAsync(DuisMessage message, PriorityLevel level, CancellationToken cancellationToken)
    {
        var signalled = _gate.BeginWriteWait();
        try
        {
            while (true)
            {
                var status = TryEnqueueCore(message, level, final: false);
                if (status != EnqueueStatus.Full)
                {
                    if (status != EnqueueStatus.Accepted)
                    {
                        RecordRejection(status, message, level);
                    }

                    return status == EnqueueStatus.Accepted;
                }

                await signalled.WaitAsync(cancellationToken).ConfigureAwait(false);
                signalled = _gate.SpaceSignalled;
            }
        }
        finally
        {
            _gate.EndWriteWait();
        }
    }

    private async ValueTask<IntakeResult> EnqueueRawWaitingAsync(DuisMessage message, PriorityLevel level, CancellationToken cancellationToken)
    {
        // EnqueueWaitingAsync only gives up waiting for space when the scheduler completes.
        bool accepted = await EnqueueWaitingAsync(message, level, cancellationToken).ConfigureAwait(false);
        return IntakeResult.Read(accepted ? IntakeStatus.Accepted : IntakeStatus.RejectedCompleted, level, message);
    }

    /// <summary>Logs and counts a writer's final refusal, once per message.</summary>
    private void RecordRejection(EnqueueStatus status, DuisMessage message, PriorityLevel level)
    {
        if (status == EnqueueStatus.Full)
        {
            Log.RejectedFull(_logger, level, _gate.Capacity);
        }

        _metrics.Rejected(status == EnqueueStatus.Full ? "full" : "completed", message.Kind);
    }

    private void ThrowIfDurable()
    {
        if (!_direct && _embedded is not { IsDurable: false })
        {
            throw new InvalidOperationException(
                "A durable backlog store (the journal, or a remote store) is configured, so accepting a message means waiting for it: use EnqueueAsync or " +
                "EnqueueWithResultAsync, and acknowledge the DCC when it completes. TryEnqueue never blocks and cannot make a message durable.");
        }
    }

    private void OnModeChanged()
    {
        // Throttles differ per mode: let sleeping readers recompute their delay.
        _gate.NotifyReaders();
    }
}
