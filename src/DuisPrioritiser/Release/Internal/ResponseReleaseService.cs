using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using DuisPrioritiser.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly;

namespace DuisPrioritiser.Release.Internal;

/// <summary>
/// The hosted release loop: drains the scheduler into the integrator's <see cref="IResponseHandler"/> within the
/// in-flight limit, through a Polly v8 resilience pipeline (retry with jittered backoff, circuit breaker over the
/// back-end, time-out per call); holds the backlog while the breaker is open; returns transiently failed messages to
/// the front of their level; dead-letters only what can never succeed; and acknowledges every released message
/// exactly once.
/// </summary>
/// <remarks>
/// <para><b>Holding.</b> Before taking a message, the loop asks the <see cref="BackendGate"/>: while the breaker is
/// open nothing is taken (messages keep their place and level), once a break ends exactly one message (the
/// half-open probe, chosen by the drain policy, so Critical first) is released, and when the breaker closes releasing
/// resumes by the drain policy. Calls during an outage are therefore about one per break, not attempts x messages.</para>
/// <para><b>Exactly once.</b> Every released message becomes a work item whose state moves once, by
/// compare-and-swap, from running to finished (by its own processing) or to abandoned (by shutdown). Only the winner
/// dead-letters or acknowledges it, so a handler that finishes after shutdown gave up on it cannot cause a second
/// outcome.</para>
/// <para><b>Shutdown.</b> Stop taking new work; in-flight calls get <see cref="ReleaseOptions.ShutdownTimeout"/>
/// to finish (one that fails transiently is returned to the scheduler); then their tokens are cancelled. With a durable
/// journal everything unfinished stays in the journal, unacknowledged, and is recovered at the next start; without
/// one, abandoned calls and everything still held are dead-lettered (reason <see cref="DeadLetter.ShutdownReason"/>)
/// with their bytes. Nothing accepted is dropped.</para>
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
    private readonly ReleaseGate _releaseGate;
    private readonly ResiliencePipeline _pipeline;
    private readonly ReleaseResilienceContext _resilience;
    private readonly BackendGate _gate;
    private readonly ConditionalWeakTable<Duis.DuisMessage, StrongBox<int>> _earlierCalls = new();
    private Task? _loop;
    private int _stopped;
    private int _consecutiveFailures;
    private long _iterations;
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
        ReleaseGate? gate = null,
        ReleaseResilienceSetup? resilience = null)
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
        _releaseGate = gate ?? new ReleaseGate();
        _options = Copy(value.Release);
        _limiter = new ConcurrencyLimiter(value.Pace, _timeProvider, _logger);
        tuning?.AttachLimiter(_limiter); // pace limits follow tuning without restart

        _telemetry = new ReleaseTelemetry(meterFactory, () => _limiter.Limit) { Logger = _logger };

        // The pipeline: the standard strategies, or the integrator's (who may add the standard ones too).
        var concreteScheduler = scheduler as ResponseReleaseScheduler ?? (scheduler as ISchedulerDecorator)?.Inner as ResponseReleaseScheduler;
        _gate = new BackendGate(_timeProvider, concreteScheduler?.Downtime, _logger, _options.RetryBaseDelay, _options.RetryMaxDelay, _telemetry.ResilienceEvent);
        var isTransient = resilience?.IsTransient ?? (static _ => true);
        _resilience = new ReleaseResilienceContext(Copy(_options), isTransient, _gate, _telemetry) { Stopping = _stopping.Token };
        var builder = new ResiliencePipelineBuilder { Name = "DuisPrioritiser.Release", TimeProvider = _timeProvider };
        if (resilience?.Configure is { } configure)
        {
            configure(builder, _resilience);
        }
        else
        {
            _resilience.AddStandardStrategies(builder);
        }

        _pipeline = builder.Build();
        _gate.HasBreaker = _resilience.HasCircuitBreaker;
        _telemetry.SetBreakerState(() => (int)_gate.State);

        // With a durable store (the journal, a durable remote store), shutdown leaves unfinished messages in it instead of dead-lettering them.
        _keepInJournal = concreteScheduler is { IsDurable: true };
    }

    /// <summary>Gets the number of handler attempts that have failed in a row (reset by any success); read by the health check.</summary>
    internal int ConsecutiveFailures => Volatile.Read(ref _consecutiveFailures);

    /// <summary>Gets the back-end gate (breaker state as the loop sees it), read by the health check.</summary>
    internal BackendGate Gate => _gate;

    /// <summary>Gets the handler (for tests).</summary>
    internal IResponseHandler Handler => _handler;

    /// <summary>Gets the in-flight limiter (for tests and diagnostics).</summary>
    internal ConcurrencyLimiter Limiter => _limiter;

    /// <summary>Gets the number of released messages not yet finished (handled, dead-lettered or abandoned).</summary>
    internal int ActiveCount => _active.Count;

    /// <summary>Gets a value indicating whether the loop is blocked waiting for a slot, a message or the back-end gate, or has ended (for virtual-time tests).</summary>
    internal bool IsLoopWaiting => _loopWait is { IsCompleted: false } || _loop is null || _loop.IsCompleted;

    /// <summary>
    /// Gets a value indicating whether the loop has given up after errors while not stopping: nothing is being
    /// released until a restart. Read by the health check.
    /// </summary>
    internal bool IsFaulted => Volatile.Read(ref _faulted) && _loop is { IsCompleted: true } && Volatile.Read(ref _stopped) == 0;

    /// <summary>Gets how many times the loop has gone round (each wake-up that looked for a message), for diagnostics and the test that the loop stays idle while the breaker is open.</summary>
    internal long LoopIterations => Volatile.Read(ref _iterations);

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

        // 1. Stop taking new work.
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        // A release waiting between retries gives up now (it is returned, or stays in the journal); one in a
        // handler call gets the shutdown time-out to finish.
        foreach (var waiting in _active.Keys)
        {
            if (!Volatile.Read(ref waiting.InCall))
            {
                try
                {
                    if (Volatile.Read(ref waiting.Cancellation) is { } cancellation)
                    {
                        await cancellation.CancelAsync().ConfigureAwait(false);
                    }
                }
                catch (ObjectDisposedException)
                {
                }
            }
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
        foreach (var item in remaining)
        {
            // Each release has its own source (not linked to _abort, which would cost a registration per message).
            try
            {
                if (Volatile.Read(ref item.Cancellation) is { } cancellation)
                {
                    await cancellation.CancelAsync().ConfigureAwait(false);
                }
            }
            catch (ObjectDisposedException)
            {
                // Its call has just finished.
            }
        }

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
            long held = _scheduler.GetSnapshot().TotalCount;
            Log.ShutdownLeftInJournal(_logger, abandoned, held);
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
                int calls = message.Attempts > 0 && _earlierCalls.TryGetValue(message.Message, out var earlier) ? earlier.Value : 0;
                await DeadLetterAsync(message, DeadLetter.ShutdownReason, calls, null).ConfigureAwait(false);
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
                    _iterations++; // one writer: the loop
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
        var open = _releaseGate.WaitUntilOpenAsync(stopping);
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

        // Hold while the back-end is down: nothing leaves the queue but the half-open probe.
        var gate = _gate.WaitAsync(stopping);
        bool probe;
        if (gate.IsCompletedSuccessfully)
        {
            probe = gate.Result;
        }
        else
        {
            var waiting = gate.AsTask();
            _loopWait = waiting;
            probe = await waiting.ConfigureAwait(false);
            _loopWait = null;
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
            if (_releaseGate.IsPaused || !_scheduler.TryDequeue(out message))
            {
                // Another reader took it, or it became throttled while waiting for the slot.
                _limiter.Release();
                if (probe)
                {
                    _gate.AbandonProbe();
                }

                return true;
            }
        }
        catch
        {
            _limiter.Release();
            if (probe)
            {
                _gate.AbandonProbe();
            }

            throw;
        }

        var item = new WorkItem(message, probe, RentCancellation());
        if (message.Attempts > 0 && _earlierCalls.TryGetValue(message.Message, out var earlier))
        {
            item.EarlierCalls = earlier.Value;
        }

        _active.TryAdd(item, 0);
        item.Task = ProcessAsync(item);
        return true;
    }

    /// <summary>Runs one release through the pipeline (holding its slot throughout) and settles its outcome.</summary>
    private async Task ProcessAsync(WorkItem item)
    {
        Exception? failure = null;
        var cancellation = item.Cancellation!;
        var context = ResilienceContextPool.Shared.Get(cancellation.Token);
        try
        {
            try
            {
                // TResult = object: the non-generic builder's retry and breaker are ResilienceStrategy<object>, which Polly
                // then calls directly; with a void callback each would wrap every call in an extra async conversion.
                await _pipeline.ExecuteAsync(static (ctx, state) => state.Service.CallHandlerAsync(state.Item, ctx.CancellationToken), context, (Service: this, Item: item)).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                failure = exception;
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
                // The item lets go of its source before it can be reused, so shutdown (which cancels items' sources)
                // can never reach another release's source through this item.
                Volatile.Write(ref item.Cancellation, null);
                ReturnCancellation(cancellation);
                _limiter.Release();
            }

            if (_abort.IsCancellationRequested && Volatile.Read(ref item.State) != Running)
            {
                // Shutdown gave up on this call and has settled the message already.
                if (failure is null)
                {
                    Log.AbandonedHandlerFinished(_logger, item.Message.Message);
                }

                return;
            }

            if (failure is null)
            {
                _gate.OnReleaseSucceeded();
                await FinishAsync(item, ReleaseOutcome.Handled, null).ConfigureAwait(false);
                return;
            }

            item.LastError = failure;
            if (!_resilience.IsTransient(failure))
            {
                Log.HandlerFailedPermanently(_logger, failure, item.Message.Level, item.Message.Message, failure.Message);
                await FinishAsync(item, ReleaseOutcome.DeadLettered, DeadLetter.PermanentFailureReason).ConfigureAwait(false);
                return;
            }

            _gate.OnReleaseFailed();
            int release = item.Message.Attempts + 1;
            if (_options.MaxReleaseAttempts is { } maxReleases && release >= maxReleases)
            {
                await FinishAsync(item, ReleaseOutcome.DeadLettered, DeadLetter.RetriesExhaustedReason).ConfigureAwait(false);
                return;
            }

            if (_options.MaxAge is { } maxAge && item.Message.Message.ReceivedAt != default && _timeProvider.GetUtcNow() - item.Message.Message.ReceivedAt >= maxAge)
            {
                await FinishAsync(item, ReleaseOutcome.DeadLettered, DeadLetter.MaxAgeReason).ConfigureAwait(false);
                return;
            }

            if (item.Calls > 0)
            {
                Log.HandlerFailed(_logger, failure, release, item.Calls, item.Message.Level, item.Message.Message);
            }

            if (item.Calls > 0)
            {
                _earlierCalls.GetValue(item.Message.Message, static _ => new StrongBox<int>()).Value += item.Calls;
            }

            _telemetry.Returned(item.Message.Level);
            await FinishAsync(item, ReleaseOutcome.Returned, null).ConfigureAwait(false);
        }
        finally
        {
            _gate.OnReleaseFinished(item.IsProbe, item.Calls > 0);
            if (Volatile.Read(ref item.State) != Running)
            {
                _active.TryRemove(item, out _);
            }
        }
    }

    /// <summary>One handler call (one attempt of the pipeline): span, duration, pace sample, failure run.</summary>
    private async ValueTask<object?> CallHandlerAsync(WorkItem item, CancellationToken cancellationToken)
    {
        int call = ++item.Calls;
        Volatile.Write(ref item.InCall, true);
        long started = _timeProvider.GetTimestamp();
        var sample = PaceSample.Failure;
        Exception? error = null;
        using var activity = ReleaseTelemetry.StartHandle(item.Message, item.Message.Attempts + call);
        try
        {
            await _handler.HandleAsync(item.Message, cancellationToken).ConfigureAwait(false);
            sample = PaceSample.Success;
        }
        catch (OperationCanceledException exception) when (cancellationToken.IsCancellationRequested && !_abort.IsCancellationRequested)
        {
            sample = PaceSample.Timeout;
            error = new TimeoutException($"The handler did not finish within {_options.HandlerTimeout}.", exception);
            throw;
        }
        catch (Exception exception)
        {
            error = exception;
            activity?.SetStatus(ActivityStatusCode.Error, exception.Message);
            throw;
        }
        finally
        {
            Volatile.Write(ref item.InCall, false);
            var duration = _timeProvider.GetElapsedTime(started);
            if (!_abort.IsCancellationRequested)
            {
                _limiter.OnSample(duration, sample);
            }

            string? errorType = sample == PaceSample.Success ? null : ReleaseTelemetry.ErrorTypeOf(error);
            _telemetry.HandlerCompleted(item.Message.Level, errorType, duration);
            if (errorType is not null)
            {
                activity?.SetTag(TelemetryTags.ErrorType, errorType);
            }

            if (sample == PaceSample.Success)
            {
                if (Volatile.Read(ref _consecutiveFailures) != 0)
                {
                    Volatile.Write(ref _consecutiveFailures, 0);
                }
            }
            else
            {
                Interlocked.Increment(ref _consecutiveFailures);
            }
        }

        return null;
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

        if (outcome != ReleaseOutcome.Returned && item.Message.Attempts > 0)
        {
            // Only a message released before (returned at least once) can have an entry: skip the table's lock on the success path.
            _earlierCalls.Remove(item.Message.Message);
        }

        await AcknowledgeAsync(item.Message, outcome).ConfigureAwait(false);
    }

    /// <summary>
    /// A cancellation source for one release, reused from earlier releases when possible (as Polly pools its time-out
    /// sources): a fresh source per message would also allocate the registration node the time-out strategy adds.
    /// Sources are reused only while the loop runs; shutdown cancels the sources of the releases it gives up on, and a
    /// cancelled source is never reused (<see cref="CancellationTokenSource.TryReset"/> refuses it).
    /// </summary>
    // A fresh source per release: reusing sources across releases raced with shutdown cancelling a finished item's
    // source (a message was both handled and dead-lettered in Flood_ShutdownMidDrain_LosesNothing), so none is reused.
    private static CancellationTokenSource RentCancellation() => new();

    private static void ReturnCancellation(CancellationTokenSource cancellation) => cancellation.Dispose();

    private static ReleaseOptions Copy(ReleaseOptions source) => new()
    {
        HandlerTimeout = source.HandlerTimeout,
        MaxRetryAttempts = source.MaxRetryAttempts,
        RetryBaseDelay = source.RetryBaseDelay,
        RetryMaxDelay = source.RetryMaxDelay,
        UseJitter = source.UseJitter,
        MaxReleaseAttempts = source.MaxReleaseAttempts,
        MaxAge = source.MaxAge,
        ShutdownTimeout = source.ShutdownTimeout,
        CircuitBreaker = new BackendCircuitBreakerOptions
        {
            Enabled = source.CircuitBreaker.Enabled,
            FailureRatio = source.CircuitBreaker.FailureRatio,
            MinimumThroughput = source.CircuitBreaker.MinimumThroughput,
            SamplingDuration = source.CircuitBreaker.SamplingDuration,
            BreakDuration = source.CircuitBreaker.BreakDuration,
            MaxBreakDuration = source.CircuitBreaker.MaxBreakDuration,
        },
    };

    /// <summary>
    /// Dead-letters <paramref name="message"/>; a consolidated group is dead-lettered message by message (the head, then
    /// each repeat with its own bytes), so a sink that stores one message per dead letter keeps every repeat.
    /// </summary>
    private async ValueTask DeadLetterAsync(ReleasedMessage message, string reason, int attempts, Exception? exception)
    {
        if (message.RepeatsOrNull is not { } repeats)
        {
            await DeadLetterOneAsync(message, reason, attempts, exception).ConfigureAwait(false);
            return;
        }

        await DeadLetterOneAsync(message.WithoutRepeats(), reason, attempts, exception).ConfigureAwait(false);
        for (int i = 0; i < repeats.Count; i++)
        {
            var entry = repeats.Entries[i];
            var repeat = new ReleasedMessage(repeats[i], message.Level, message.Wait, entry.Token, entry.EnqueuedTimestamp, message.Attempts, entry.Locator);
            await DeadLetterOneAsync(repeat, reason, attempts, exception).ConfigureAwait(false);
        }
    }

    private async ValueTask DeadLetterOneAsync(ReleasedMessage message, string reason, int attempts, Exception? exception)
    {
        _telemetry.DeadLettered(message.Level, message.Message.Kind, reason);
        Log.DeadLettered(_logger, exception, message.Level, message.Message, reason, attempts, message.Message.RequestId, message.Message.ResponseId);
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

    private sealed class WorkItem(ReleasedMessage message, bool isProbe, CancellationTokenSource cancellation)
    {
        public int State;
        public bool InCall;

        /// <summary>The source of this release's token, cancelled by shutdown (item by item, see <see cref="StopAsync"/>); <see langword="null"/> once its pipeline has finished and the source may serve another release.</summary>
        public CancellationTokenSource? Cancellation = cancellation;

        public int Calls;
        public Exception? LastError;
        public Task? Task;
        public int EarlierCalls;

        public ReleasedMessage Message { get; } = message;

        public bool IsProbe { get; } = isProbe;

        /// <summary>Gets the handler calls made for this message in this process, over all its releases.</summary>
        public int Attempts => EarlierCalls + Calls;
    }
}
