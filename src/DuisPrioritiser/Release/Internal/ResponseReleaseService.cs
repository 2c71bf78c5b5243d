using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using DuisPrioritiser.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DuisPrioritiser.Release.Internal;

/// <summary>
/// The hosted release loop: drains the scheduler into the integrator's <see cref="IResponseHandler"/> within the
/// in-flight limit, retries failures with backoff, dead-letters what cannot be handled, and acknowledges every
/// released message exactly once.
/// </summary>
/// <remarks>
/// <para><b>Exactly once.</b> Every released message becomes a work item whose state moves once, by
/// compare-and-swap, from running to finished (by its own processing) or to abandoned (by shutdown). Only the winner
/// dead-letters or acknowledges it, so a handler that finishes after shutdown gave up on it cannot cause a second
/// outcome.</para>
/// <para><b>Shutdown.</b> Stop taking new work; messages waiting for a retry go to the dead-letter sink at once
/// (reason <see cref="DeadLetter.ShutdownReason"/>), or with a durable journal stay in it, unacknowledged; in-flight calls get <see cref="ReleaseOptions.ShutdownTimeout"/>
/// to finish; then their tokens are cancelled and they are dead-lettered; then the scheduler is completed (new
/// writes are refused and stay the caller's) and everything still queued, throttled or not, is dead-lettered too.
/// Nothing accepted is dropped.</para>
/// <para>A handler runs on the loop until its first <c>await</c>; handlers that block or do CPU-heavy work should
/// offload it.</para>
/// </remarks>
internal sealed class ResponseReleaseService : IHostedService, IAsyncDisposable
{
    private const int Running = 0;
    private const int Finished = 1;
    private const int Abandoned = 2;

    /// <summary>Loop iterations that may fail in a row before the loop gives up (and the health check turns unhealthy).</summary>
    internal const int MaxConsecutiveLoopFaults = 10;

    /// <summary>The pause after a failed loop iteration.</summary>
    internal static readonly TimeSpan LoopFaultDelay = TimeSpan.FromSeconds(1);

    private readonly IResponseReleaseScheduler _scheduler;
    private readonly IResponseHandler _handler;
    private readonly IDeadLetterSink _sink;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ReleaseOptions _options;
    private readonly ConcurrencyLimiter _limiter;
    private readonly ReleaseTelemetry _telemetry;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly ConcurrentDictionary<WorkItem, byte> _active = new();
    private readonly bool _keepInJournal;
    private readonly ReleaseGate _gate;
    private Task? _loop;
    private int _stopped;
    private int _consecutiveFailures;
    private volatile Task? _loopWait;
    private bool _faulted;

    public ResponseReleaseService(
        IResponseReleaseScheduler scheduler,
        IResponseHandler handler,
        IDeadLetterSink sink,
        IOptions<ResponsePrioritisationOptions> options,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        IMeterFactory? meterFactory = null,
        Tuning.Internal.PrioritisationTuning? tuning = null,
        ReleaseGate? gate = null)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;
        DependencyInjection.Internal.ResponsePrioritisationOptionsValidation.ThrowIfInvalid(value);
        _scheduler = scheduler;
        _handler = handler;
        _sink = sink;
        _timeProvider = timeProvider ?? TimeProvider.System;
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger<ResponseReleaseService>();
        _gate = gate ?? new ReleaseGate();
        _options = new ReleaseOptions
        {
            MaxAttempts = value.Release.MaxAttempts,
            RetryBaseDelay = value.Release.RetryBaseDelay,
            RetryMaxDelay = value.Release.RetryMaxDelay,
            HandlerTimeout = value.Release.HandlerTimeout,
            ShutdownTimeout = value.Release.ShutdownTimeout,
        };
        _limiter = new ConcurrencyLimiter(value.Pace, _timeProvider, _logger);
        tuning?.AttachLimiter(_limiter); // pace limits follow tuning without restart

        _telemetry = new ReleaseTelemetry(meterFactory, () => _limiter.Limit);

        // With a durable store (the journal, a durable remote store), shutdown leaves unfinished messages in it instead of dead-lettering them.
        _keepInJournal = scheduler is ResponseReleaseScheduler { IsDurable: true };
    }

    /// <summary>Gets the number of handler attempts that have failed in a row (reset by any success); read by the health check.</summary>
    internal int ConsecutiveFailures => Volatile.Read(ref _consecutiveFailures);

    /// <summary>Gets the in-flight limiter (for tests and diagnostics).</summary>
    internal ConcurrencyLimiter Limiter => _limiter;

    /// <summary>Gets the number of released messages not yet finished (handled, dead-lettered or abandoned).</summary>
    internal int ActiveCount => _active.Count;

    /// <summary>Gets a value indicating whether the loop is blocked waiting for a slot or a message, or has ended (for virtual-time tests).</summary>
    internal bool IsLoopWaiting => _loopWait is { IsCompleted: false } || _loop is null || _loop.IsCompleted;

    /// <summary>
    /// Gets a value indicating whether the loop has given up after errors while not stopping: nothing is being
    /// released until a restart. Read by the health check.
    /// </summary>
    internal bool IsFaulted => Volatile.Read(ref _faulted) && _loop is { IsCompleted: true } && Volatile.Read(ref _stopped) == 0;

    /// <summary>Gets the loop task once started.</summary>
    internal Task? LoopTask => _loop;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_loop is null)
        {
            Log.ReleaseLoopStarted(_logger, _limiter.IsAdaptive ? "adaptive" : "fixed", _limiter.Limit);
            _loop = RunAsync(_stopping.Token);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        // 1. Stop taking new work; retries in backoff dead-letter themselves.
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        // 2. Let in-flight work finish within the time-out.
        var pending = _active.Keys.Select(static item => item.Task).OfType<Task>().ToArray();
        if (pending.Length > 0)
        {
            try
            {
                await Task.WhenAll(pending).WaitAsync(_options.ShutdownTimeout, _timeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Log.ShutdownTimedOut(_logger, _options.ShutdownTimeout, _active.Count);
            }
            catch (OperationCanceledException)
            {
                Log.ShutdownTimedOut(_logger, _options.ShutdownTimeout, _active.Count);
            }
        }

        // 3. Abandon what is still in flight: the snapshot is taken before cancelling, and every item leaves the
        // active set only after reaching a final state, so none is missed.
        // With a durable journal, abandoned and queued messages are not dead-lettered: they stay in the journal
        // (unacknowledged, so not completed) and are recovered, at their level and in order, at the next start.
        bool keepInJournal = _keepInJournal;
        var remaining = _active.Keys.ToArray();
        await _abort.CancelAsync().ConfigureAwait(false);
        int abandoned = 0;
        foreach (var item in remaining)
        {
            if (Interlocked.CompareExchange(ref item.State, Abandoned, Running) == Running)
            {
                abandoned++;
                if (!keepInJournal)
                {
                    await DeadLetterAsync(item.Message, DeadLetter.ShutdownReason, item.Attempts, item.LastError).ConfigureAwait(false);
                    await AcknowledgeAsync(item.Message, ReleaseOutcome.DeadLettered).ConfigureAwait(false);
                }

                _active.TryRemove(item, out _);
            }
        }

        if (keepInJournal)
        {
            _scheduler.Complete();
            Log.ShutdownLeftInJournal(_logger, abandoned, ((ResponseReleaseScheduler)_scheduler).Count);
            Log.ReleaseLoopStopped(_logger);
            return;
        }

        // 4. Refuse new writes and hand the backlog over.
        _scheduler.Complete();
        int queued = 0;
        var concrete = _scheduler as ResponseReleaseScheduler;
        var spinner = default(SpinWait);
        while (true)
        {
            bool taken = concrete is not null ? concrete.TryDequeueIgnoringPolicy(out var message) : _scheduler.TryDequeue(out message);
            if (taken)
            {
                queued++;
                await DeadLetterAsync(message, DeadLetter.ShutdownReason, 0, null).ConfigureAwait(false);
                await AcknowledgeAsync(message, ReleaseOutcome.DeadLettered).ConfigureAwait(false);
                continue;
            }

            // A producer that reserved a place before Complete may still be publishing: wait for it.
            if (concrete is null || concrete.Count == 0)
            {
                break;
            }

            spinner.SpinOnce();
        }

        if (abandoned + queued > 0)
        {
            Log.ShutdownDeadLettered(_logger, abandoned, queued);
        }

        Log.ReleaseLoopStopped(_logger);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
        _abort.Dispose();
        _telemetry.Dispose();
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        await Task.Yield();
        int loopFaults = 0;
        try
        {
            while (true)
            {
                try
                {
                    if (!await ReleaseNextAsync(stopping).ConfigureAwait(false))
                    {
                        return;
                    }

                    loopFaults = 0;
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception exception)
                {
                    // One bad iteration (a drain policy or scheduler that throws) must not end releasing for good:
                    // back off and try again, and give up only after a run of failures.
                    if (++loopFaults >= MaxConsecutiveLoopFaults)
                    {
                        Volatile.Write(ref _faulted, true);
                        Log.ReleaseLoopFaulted(_logger, exception);
                        return;
                    }

                    Log.ReleaseLoopIterationFailed(_logger, exception, loopFaults, MaxConsecutiveLoopFaults, LoopFaultDelay);
                    var delay = Task.Delay(LoopFaultDelay, _timeProvider, stopping);
                    _loopWait = delay;
                    await delay.ConfigureAwait(false);
                    _loopWait = null;
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception exception)
        {
            Volatile.Write(ref _faulted, true);
            Log.ReleaseLoopFaulted(_logger, exception);
        }
        finally
        {
            _loopWait = null;
        }
    }

    /// <summary>
    /// Waits for a message, then for a slot, then takes the message and starts its processing. No slot is held while
    /// idle, so a retry waiting for a slot is never starved by the loop waiting for work.
    /// </summary>
    /// <returns><see langword="false"/> when the scheduler is completed and empty.</returns>
    private async ValueTask<bool> ReleaseNextAsync(CancellationToken stopping)
    {
        // The pause switch (IReleaseControl): while paused, take nothing new; work already taken goes on.
        var open = _gate.WaitUntilOpenAsync(stopping);
        if (!open.IsCompletedSuccessfully)
        {
            var waiting = open.AsTask();
            _loopWait = waiting;
            await waiting.ConfigureAwait(false);
            _loopWait = null;
        }

        var ready = _scheduler.WaitToReadAsync(stopping);
        bool more;
        if (ready.IsCompletedSuccessfully)
        {
            more = ready.Result;
        }
        else
        {
            var waiting = ready.AsTask();
            _loopWait = waiting;
            more = await waiting.ConfigureAwait(false);
            _loopWait = null;
        }

        if (!more)
        {
            return false;
        }

        var acquire = _limiter.AcquireAsync(stopping);
        if (!acquire.IsCompletedSuccessfully)
        {
            var waiting = acquire.AsTask();
            _loopWait = waiting;
            await waiting.ConfigureAwait(false);
            _loopWait = null;
        }

        ReleasedMessage message;
        try
        {
            // Paused while waiting for a message or a slot: take nothing, go back to wait at the gate.
            if (_gate.IsPaused || !_scheduler.TryDequeue(out message))
            {
                // Another reader took it, or it became throttled while waiting for the slot.
                _limiter.Release();
                return true;
            }
        }
        catch
        {
            _limiter.Release();
            throw;
        }

        var item = new WorkItem(message);
        _active.TryAdd(item, 0);
        item.Task = ProcessAsync(item);
        return true;
    }

    private async Task ProcessAsync(WorkItem item)
    {
        bool holdingSlot = true;
        try
        {
            for (int attempt = 1; ; attempt++)
            {
                if (!holdingSlot)
                {
                    await _limiter.AcquireAsync(_abort.Token).ConfigureAwait(false);
                    holdingSlot = true;
                }

                item.Attempts = attempt;
                long started = _timeProvider.GetTimestamp();
                PaceSample sample;
                using var activity = ReleaseTelemetry.StartHandle(item.Message, attempt);
                using (var timeout = new CancellationTokenSource(_options.HandlerTimeout, _timeProvider))
                using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _abort.Token))
                {
                    try
                    {
                        await _handler.HandleAsync(item.Message, linked.Token).ConfigureAwait(false);
                        sample = PaceSample.Success;
                    }
                    catch (OperationCanceledException exception) when (timeout.IsCancellationRequested && !_abort.IsCancellationRequested)
                    {
                        sample = PaceSample.Timeout;
                        item.LastError = new TimeoutException($"The handler did not finish within {_options.HandlerTimeout}.", exception);
                    }
                    catch (Exception exception) when (!_abort.IsCancellationRequested)
                    {
                        sample = PaceSample.Failure;
                        item.LastError = exception;
                    }
                    catch (Exception)
                    {
                        // Shutdown abandoned this item: it has been dead-lettered already.
                        return;
                    }
                }

                var duration = _timeProvider.GetElapsedTime(started);
                _limiter.OnSample(duration, sample);
                string? errorType = sample == PaceSample.Success ? null : ReleaseTelemetry.ErrorTypeOf(item.LastError);
                _telemetry.HandlerCompleted(item.Message.Level, errorType, duration);
                if (sample == PaceSample.Success)
                {
                    Volatile.Write(ref _consecutiveFailures, 0);
                }
                else
                {
                    Interlocked.Increment(ref _consecutiveFailures);
                }

                if (sample != PaceSample.Success)
                {
                    activity?.SetStatus(ActivityStatusCode.Error, item.LastError?.Message);
                    activity?.SetTag(TelemetryTags.ErrorType, errorType);
                }

                _limiter.Release();
                holdingSlot = false;
                if (sample == PaceSample.Success)
                {
                    await FinishAsync(item, ReleaseOutcome.Handled, null).ConfigureAwait(false);
                    return;
                }

                Log.HandlerFailed(_logger, item.LastError, attempt, _options.MaxAttempts, item.Message.Level, item.Message.Message);
                if (attempt >= _options.MaxAttempts)
                {
                    await FinishAsync(item, ReleaseOutcome.DeadLettered, DeadLetter.RetriesExhaustedReason).ConfigureAwait(false);
                    return;
                }

                try
                {
                    await Task.Delay(GetBackoff(attempt), _timeProvider, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    if (_keepInJournal)
                    {
                        // Neither dead-letter nor acknowledge: the message stays in the journal for the next start.
                        if (Interlocked.CompareExchange(ref item.State, Abandoned, Running) == Running)
                        {
                            Log.RetryLeftInJournal(_logger, item.Message.Level, item.Message.Message, attempt);
                        }

                        return;
                    }

                    await FinishAsync(item, ReleaseOutcome.DeadLettered, DeadLetter.ShutdownReason).ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // Waiting for a slot to retry when shutdown gave up: shutdown dead-letters the item.
        }
        finally
        {
            if (holdingSlot)
            {
                _limiter.Release();
            }

            if (Volatile.Read(ref item.State) != Running)
            {
                _active.TryRemove(item, out _);
            }
        }
    }

    private async ValueTask FinishAsync(WorkItem item, ReleaseOutcome outcome, string? reason)
    {
        if (Interlocked.CompareExchange(ref item.State, Finished, Running) != Running)
        {
            if (outcome == ReleaseOutcome.Handled)
            {
                Log.AbandonedHandlerFinished(_logger, item.Message.Message);
            }

            return;
        }

        if (outcome == ReleaseOutcome.DeadLettered)
        {
            await DeadLetterAsync(item.Message, reason ?? DeadLetter.RetriesExhaustedReason, item.Attempts, item.LastError).ConfigureAwait(false);
        }

        await AcknowledgeAsync(item.Message, outcome).ConfigureAwait(false);
    }

    private TimeSpan GetBackoff(int attempt)
    {
        double factor = Math.Pow(2, Math.Min(attempt - 1, 30));
        double ticks = Math.Min(_options.RetryBaseDelay.Ticks * factor, _options.RetryMaxDelay.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }

    private async ValueTask DeadLetterAsync(ReleasedMessage message, string reason, int attempts, Exception? exception)
    {
        _telemetry.DeadLettered(message.Level, message.Message.Kind, reason);
        try
        {
            await _sink.DeadLetterAsync(new DeadLetter(message, reason, attempts, exception), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception sinkFailure)
        {
            Log.DeadLetterSinkFailed(_logger, sinkFailure, message.Level, message.Message, reason, message.Message.RequestId, message.Message.ResponseId);
        }
    }

    private async ValueTask AcknowledgeAsync(ReleasedMessage message, ReleaseOutcome outcome)
    {
        try
        {
            await _scheduler.AcknowledgeAsync(message, outcome, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            Log.ReleaseLoopFaulted(_logger, exception);
        }
    }

    private sealed class WorkItem(ReleasedMessage message)
    {
        public int State;
        public int Attempts;
        public Exception? LastError;
        public Task? Task;

        public ReleasedMessage Message { get; } = message;
    }
}
