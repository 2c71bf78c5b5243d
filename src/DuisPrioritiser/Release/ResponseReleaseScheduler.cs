using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using DuisPrioritiser.Classification;
using DuisPrioritiser.DependencyInjection.Internal;
using DuisPrioritiser.Diagnostics;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Draining.Internal;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Queueing.Internal;
using DuisPrioritiser.Release.Internal;
using DuisPrioritiser.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuisPrioritiser.Release;

/// <summary>The built-in <see cref="IResponseReleaseScheduler"/>.</summary>
/// <remarks>
/// <para><b>Capacity and completion</b> share one 64-bit word: the held count plus a completed bit. A producer
/// reserves a place by compare-and-swap, which fails once the bit is set, so a message is either refused or
/// counted before completion, and readers end only when the word reads "completed, zero held": no message can
/// slip in after the last reader has left.</para>
/// <para><b>Waiting</b> uses <see cref="AsyncSignal"/>: a waiter registers (an interlocked increment, a full
/// fence), takes the signal's task, and re-checks; a signaller changes the state (a CAS, a full fence) and then
/// reads the waiter count. Whichever runs second sees the other's write, so no wake-up is lost.</para>
/// <para>Construct it directly, or register it with <c>services.AddResponsePrioritisation()</c>.</para>
/// </remarks>
public sealed partial class ResponseReleaseScheduler : IResponseReleaseScheduler, IDisposable, IDrainStateSource, ISchedulerGauges
{
    private const long CompletedBit = 1L << 62;

    private readonly MultiLevelQueue<QueuedEntry> _queue = new(PriorityLevels.Count);
    private readonly IPriorityClassifier? _classifier; // a custom classifier; null: the built-in chain, called directly
    private readonly RuleBasedPriorityClassifier? _overrides; // the explicit overrides of the built-in chain; null when there are none
    private readonly IDrainPolicy _policy;
    private readonly BoundedDrainPolicy? _defaultPolicy; // the built-in traffic policy, called without interface dispatch
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly long _capacity;
    private readonly QueueFullMode _fullMode;
    private readonly AsyncSignal _readSignal = new();
    private readonly AsyncSignal _spaceSignal = new();
    private readonly SchedulerMetrics _metrics;
    private readonly PriorityLevel _defaultLevel;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ClockAnchor _anchor;
    private PaddedCounter _state; // held count | CompletedBit
    private PaddedCounter _inFlight;
    private int _readWaiters;
    private int _writeWaiters;

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
    /// the store <paramref name="options"/> select: the file journal when <see cref="Journal.JournalOptions.Directory"/>
    /// is set, otherwise memory. A store given here is opened by the scheduler and owned (disposed) by the caller.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> is invalid; the message says what to fix.</exception>
    /// <exception cref="Journal.JournalCorruptedException">The configured journal is damaged before its last good record.</exception>
    /// <exception cref="Journal.JournalLockedException">Another scheduler (in this or another process) has the configured journal directory open.</exception>
    /// <exception cref="IOException">The configured journal directory cannot be read or written.</exception>
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

        _capacity = options.Capacity;
        _fullMode = options.FullMode;
        _defaultLevel = options.DefaultLevel;
        // The built-in chain (overrides, then the DUIS defaults, then DefaultLevel) is called directly rather than
        // through a chain of interfaces: sealed types the JIT can inline, and no override lookups when there are none.
        _classifier = classifier;
        var overrides = classifier is null ? new RuleBasedPriorityClassifier(options.Overrides) : null;
        _overrides = overrides is { RuleCount: > 0 } ? overrides : null;
        _maxMessageBytes = options.Reader.MaxMessageBytes;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _policy = drainPolicy ?? DrainPolicies.Create(options, _timeProvider);
        _defaultPolicy = _policy as BoundedDrainPolicy;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _anchor = new ClockAnchor(_timeProvider.GetUtcNow(), _timeProvider.GetTimestamp());
        _recovery = new RecoveryModeController(options.Recovery, _timeProvider, _logger);
        _recovery.ModeChanged += OnModeChanged;
        _lanes = AlertCodeLanes.Create(options.Traffic, _timeProvider.TimestampFrequency);
        InitialiseDurability(options);

        // Last: the observable gauges read this instance, so they are registered only once it is fully built
        // (a journal that refuses to open must not leave gauges pointing at a half-built scheduler).
        _metrics = new SchedulerMetrics(meterFactory, this);
    }

    /// <inheritdoc />
    public Task Completion => _completion.Task;

    /// <summary>Gets the number of messages held.</summary>
    public long Count => Volatile.Read(ref _state.Value) & ~CompletedBit;

    /// <summary>Gets the drain policy in use.</summary>
    public IDrainPolicy DrainPolicy => _policy is Tuning.Internal.SwappableDrainPolicy swappable ? swappable.Current : _policy;

    /// <inheritdoc />
    public bool TryEnqueue(DuisMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return TryEnqueueChecked(message, Classify(message));
    }

    /// <inheritdoc />
    public bool TryEnqueue(DuisMessage message, PriorityLevel level)
    {
        ArgumentNullException.ThrowIfNull(message);
        PriorityLevels.ThrowIfUndefined(level);
        return TryEnqueueChecked(message, level);
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
        if (_journal is not null || _duplicates is not null)
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

    /// <inheritdoc />
    public bool TryDequeue(out ReleasedMessage message) => TryDequeueCore(out message);

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
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => WaitToReadCoreAsync(cancellationToken);

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
    public ValueTask AcknowledgeAsync(ReleasedMessage message, ReleaseOutcome outcome = ReleaseOutcome.Handled, CancellationToken cancellationToken = default)
    {
        if (message.Message is null)
        {
            throw new ArgumentException("Acknowledge a message returned by the scheduler, not a default instance.", nameof(message));
        }

        if ((uint)outcome > (uint)ReleaseOutcome.DeadLettered)
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Use Handled or DeadLettered.");
        }

        if (Interlocked.Decrement(ref _inFlight.Value) < 0)
        {
            Interlocked.Increment(ref _inFlight.Value);
            Log.UnbalancedAcknowledgement(_logger);
        }

        return CompleteInJournalAsync(message);
    }

    /// <inheritdoc />
    public void Complete()
    {
        long state = Volatile.Read(ref _state.Value);
        while ((state & CompletedBit) == 0)
        {
            long seen = Interlocked.CompareExchange(ref _state.Value, state | CompletedBit, state);
            if (seen == state)
            {
                Log.SchedulerCompleted(_logger, state);
                if (state == 0)
                {
                    _completion.TrySetResult();
                }

                // Wake everyone: readers to notice the end, writers to give up waiting for space.
                _readSignal.Pulse();
                _spaceSignal.Pulse();
                return;
            }

            state = seen;
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
            levels[i] = new LevelSnapshot((PriorityLevel)i, _queue.GetCount(i), GetOldestWait(i, now));
        }

        return new SchedulerSnapshot(
            levels,
            _capacity,
            Math.Max(0, Volatile.Read(ref _inFlight.Value)),
            (Volatile.Read(ref _state.Value) & CompletedBit) != 0,
            _timeProvider.GetUtcNow())
        {
            DuplicatesSuppressed = DuplicatesSuppressed,
            Mode = _recovery.Mode,
            DeferredCount = _lanes.DeferredCount,
        };
    }

    /// <summary>Completes the scheduler, releases its own meter and closes the journal (flushing what it holds). Held messages stay available to readers, so nothing is lost by disposing.</summary>
    /// <returns>A task that completes when the journal is closed.</returns>
    public ValueTask DisposeAsync()
    {
        Complete();
        _metrics.Dispose();
        return DisposeJournalAsync();
    }

    /// <summary>Completes the scheduler, releases its own meter and closes the journal. Held messages stay available to readers, so nothing is lost by disposing.</summary>
    public void Dispose()
    {
        Complete();
        _metrics.Dispose();
        DisposeJournal();
    }

    long ISchedulerGauges.GetDepth(int level) => _queue.GetCount(level);

    long ISchedulerGauges.GetDeferred() => _lanes.DeferredCount;

    TimeSpan ISchedulerGauges.GetOldestWait(int level) => GetOldestWait(level, _timeProvider.GetTimestamp());

    long ISchedulerGauges.GetInFlight() => Math.Max(0, Volatile.Read(ref _inFlight.Value));

    int ISchedulerGauges.GetRecoveryMode() => _recovery.Mode == TrafficMode.Recovery ? 1 : 0;

    long IDrainStateSource.GetCount(int level) => _lanes.IsEmpty ? _queue.GetCount(level) : _queue.GetCount(level) + _lanes.GetCount(level);

    int IDrainStateSource.GetOccupancyMask()
        => _lanes.IsEmpty ? _queue.GetOccupancyMask() : _queue.GetOccupancyMask() | _lanes.GetDueMask(_recovery.Mode, _timeProvider.GetTimestamp());

    TimeSpan IDrainStateSource.GetOldestWait(int level, long timestamp) => GetOldestWait(level, timestamp);

    /// <summary>Reserves a place and enqueues.</summary>
    /// <param name="message">The message.</param>
    /// <param name="level">Its level.</param>
    /// <param name="token">Its journal id, or 0.</param>
    /// <param name="final">
    /// <see langword="false"/> when a refusal is not the caller's final answer (it will wait for room and try
    /// again): then the refusal is neither logged nor counted, so a waiting writer is counted once, at its outcome.
    /// </param>
    /// <param name="timestamp">The intake timestamp when the caller already read the clock (duplicate suppression), else 0.</param>
    internal EnqueueStatus TryEnqueueCore(DuisMessage message, PriorityLevel level, long token = 0, bool final = true, long timestamp = 0)
    {
        var status = TryReserve();
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

        EnsureReceivedAt(message, timestamp);
        message.CaptureIntakeTraceContext();
        Hold((int)level, new QueuedEntry(message, timestamp, token));
        OnArrival(timestamp);
        _metrics.Enqueued(level, message.Kind);
        if (Volatile.Read(ref _readWaiters) > 0)
        {
            _readSignal.Pulse();
        }

        return EnqueueStatus.Accepted;
    }

    /// <summary>Places an accepted message: in its alert code's lane when that code is throttled, else in its level's queue.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Hold(int level, in QueuedEntry entry)
    {
        if (_lanes.IsEmpty || !_lanes.TryHold(level, in entry))
        {
            _queue.Enqueue(level, entry);
        }
    }

    internal PriorityLevel Classify(DuisMessage message)
    {
        PriorityLevel level;
        if (_classifier is not null)
        {
            return _classifier.TryClassify(message, out level) && PriorityLevels.IsDefined(level) ? level : _defaultLevel;
        }

        if (_overrides is not null && _overrides.TryClassify(message, out level) && PriorityLevels.IsDefined(level))
        {
            return level;
        }

        return DuisDefaultPriorityClassifier.Instance.TryClassify(message, out level) && PriorityLevels.IsDefined(level) ? level : _defaultLevel;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private EnqueueStatus TryReserve()
    {
        long state = Volatile.Read(ref _state.Value);
        while (true)
        {
            if ((state & CompletedBit) != 0)
            {
                return EnqueueStatus.Completed;
            }

            if (state >= _capacity)
            {
                return EnqueueStatus.Full;
            }

            long seen = Interlocked.CompareExchange(ref _state.Value, state + 1, state);
            if (seen == state)
            {
                return EnqueueStatus.Accepted;
            }

            state = seen;
        }
    }

    private void OnReleased()
    {
        Interlocked.Increment(ref _inFlight.Value);
        long state = Interlocked.Decrement(ref _state.Value);
        Debug.Assert((state & ~CompletedBit) >= 0, "Held count went negative.");
        if (state == CompletedBit)
        {
            _completion.TrySetResult();
            _readSignal.Pulse();
        }

        if (Volatile.Read(ref _writeWaiters) > 0)
        {
            _spaceSignal.Pulse();
        }
    }

    /// <summary>Stamps <see cref="DuisMessage.ReceivedAt"/> from the anchored clock when the creator left it unset.</summary>
    private void EnsureReceivedAt(DuisMessage message, long timestamp)
    {
        if (message.ReceivedAt == default)
        {
            message.StampReceivedAt(ToUtc(timestamp));
        }
    }

    /// <summary>
    /// Converts a monotonic timestamp to wall-clock time from an anchor re-read once a minute: one clock read per
    /// message instead of two, and wall-clock steps (NTP) are picked up within a minute.
    /// </summary>
    private DateTimeOffset ToUtc(long timestamp)
    {
        var anchor = Volatile.Read(ref _anchor);
        var elapsed = _timeProvider.GetElapsedTime(anchor.Timestamp, timestamp);
        if (elapsed < TimeSpan.Zero || elapsed > ClockAnchor.Lifetime)
        {
            anchor = new ClockAnchor(_timeProvider.GetUtcNow(), _timeProvider.GetTimestamp());
            Volatile.Write(ref _anchor, anchor);
            elapsed = _timeProvider.GetElapsedTime(anchor.Timestamp, timestamp);
        }

        return anchor.Utc + elapsed;
    }

    private TimeSpan GetOldestWait(int level, long now)
    {
        long oldest = long.MaxValue;
        if (_queue.TryPeek(level, out var entry) && entry.Message is not null)
        {
            oldest = entry.EnqueuedTimestamp;
        }

        if (!_lanes.IsEmpty && _lanes.TryGetOldestTimestamp(level, out long held))
        {
            oldest = Math.Min(oldest, held);
        }

        if (oldest == long.MaxValue)
        {
            return TimeSpan.Zero;
        }

        var wait = _timeProvider.GetElapsedTime(oldest, now);
        return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
    }

    /// <summary>Logs and counts a writer's final refusal, once per message.</summary>
    private void RecordRejection(EnqueueStatus status, DuisMessage message, PriorityLevel level)
    {
        if (status == EnqueueStatus.Full)
        {
            Log.RejectedFull(_logger, level, _capacity);
        }

        _metrics.Rejected(status == EnqueueStatus.Full ? "full" : "completed", message.Kind);
    }

    private async ValueTask<bool> EnqueueWaitingAsync(DuisMessage message, PriorityLevel level, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writeWaiters);
        try
        {
            while (true)
            {
                var signalled = _spaceSignal.WaitTask;
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
            }
        }
        finally
        {
            Interlocked.Decrement(ref _writeWaiters);
        }
    }

    private sealed class ClockAnchor(DateTimeOffset utc, long timestamp)
    {
        public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

        public DateTimeOffset Utc { get; } = utc;

        public long Timestamp { get; } = timestamp;
    }
}
