using DuisPrioritiser.Diagnostics;
using DuisPrioritiser.Release.Internal;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace DuisPrioritiser.Release;

/// <summary>
/// Given to <c>ConfigureResilience</c>: the release loop's settings and the pieces of its standard Polly pipeline, so
/// that an integrator can extend the standard pipeline (add strategies before or after it) or replace it.
/// </summary>
/// <remarks>
/// <para>The standard pipeline, outermost first: retry (exponential backoff with jitter, transient failures only) →
/// circuit breaker over the back-end → time-out per call. Only the circuit breaker added by
/// <see cref="AddCircuitBreaker"/> (or <see cref="AddStandardStrategies"/>) makes the release loop <b>hold</b> the
/// backlog while the back-end is down; a pipeline without it still works, but the loop can only back off after
/// failures.</para>
/// <para>Strategies are non-generic (<see cref="ResiliencePipelineBuilder"/>): the callback is the handler call.
/// Throwing <see cref="DuisPermanentFailureException"/> from a strategy (for example a fallback) dead-letters the message.</para>
/// </remarks>
public sealed class ReleaseResilienceContext
{
    private readonly Func<Exception, bool> _isTransient;
    private readonly BackendGate _gate;
    private readonly ReleaseTelemetry _telemetry;

    internal ReleaseResilienceContext(ReleaseOptions options, Func<Exception, bool> isTransient, BackendGate gate, ReleaseTelemetry telemetry)
    {
        Options = options;
        _isTransient = isTransient;
        _gate = gate;
        _telemetry = telemetry;
    }

    /// <summary>Gets the release settings the standard strategies are built from (a copy: changing it has no effect after the pipeline is built).</summary>
    public ReleaseOptions Options { get; }

    /// <summary>Gets the release loop's stopping token: no retries once shutdown has begun.</summary>
    internal CancellationToken Stopping { get; init; }

    /// <summary>Gets a value indicating whether a circuit breaker that holds the release loop was added.</summary>
    internal bool HasCircuitBreaker { get; private set; }

    /// <summary>Says whether a handler failure is transient (worth retrying and counted against the back-end) under the configured classification.</summary>
    /// <param name="exception">The failure.</param>
    /// <returns><see langword="true"/> for a transient failure; <see langword="false"/> for a permanent one.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is <see langword="null"/>.</exception>
    public bool IsTransient(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            DuisPermanentFailureException => false,
            TimeoutRejectedException or BrokenCircuitException => true,
            _ => _isTransient(exception),
        };
    }

    /// <summary>Adds the standard strategies built from <see cref="Options"/>: retry, circuit breaker, time-out per call.</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public ResiliencePipelineBuilder AddStandardStrategies(ResiliencePipelineBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        AddRetry(builder);
        if (Options.CircuitBreaker.Enabled)
        {
            AddCircuitBreaker(builder);
        }

        return AddAttemptTimeout(builder);
    }

    /// <summary>Adds the retry strategy: <see cref="ReleaseOptions.MaxRetryAttempts"/> retries of transient failures, exponential backoff from <see cref="ReleaseOptions.RetryBaseDelay"/> with jitter; a call refused by an open breaker is not retried.</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public ResiliencePipelineBuilder AddRetry(ResiliencePipelineBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (Options.MaxRetryAttempts == 0)
        {
            return builder;
        }

        return builder.AddRetry(new RetryStrategyOptions
        {
            Name = "duis_prioritiser.retry",
            MaxRetryAttempts = Options.MaxRetryAttempts,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = Options.UseJitter,
            Delay = Options.RetryBaseDelay,
            MaxDelay = Options.RetryMaxDelay,
            ShouldHandle = args => new ValueTask<bool>(
                args.Outcome.Exception is { } exception
                && !args.Context.CancellationToken.IsCancellationRequested
                && !Stopping.IsCancellationRequested
                && exception is not BrokenCircuitException
                && IsTransient(exception)),
            OnRetry = args =>
            {
                _telemetry.Retried(args.AttemptNumber, args.RetryDelay, args.Outcome.Exception);
                return default;
            },
        });
    }

    /// <summary>
    /// Adds the circuit breaker over the back-end (<see cref="ReleaseOptions.CircuitBreaker"/>), wired to the release
    /// loop so that it holds the backlog while the breaker is open. Add it once.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">It was added already.</exception>
    public ResiliencePipelineBuilder AddCircuitBreaker(ResiliencePipelineBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (HasCircuitBreaker)
        {
            throw new InvalidOperationException("The release loop's circuit breaker was added already; add it once.");
        }

        HasCircuitBreaker = true;
        var breaker = Options.CircuitBreaker;
        var baseBreak = breaker.BreakDuration;
        var maxBreak = breaker.MaxBreakDuration < baseBreak ? baseBreak : breaker.MaxBreakDuration;
        return builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            Name = "duis_prioritiser.circuit_breaker",
            FailureRatio = breaker.FailureRatio,
            MinimumThroughput = breaker.MinimumThroughput,
            SamplingDuration = breaker.SamplingDuration,
            BreakDuration = baseBreak,
            BreakDurationGenerator = args =>
            {
                double factor = Math.Pow(2, Math.Min(args.HalfOpenAttempts, 30));
                double ticks = Math.Min(baseBreak.Ticks * factor, maxBreak.Ticks);
                return new ValueTask<TimeSpan>(TimeSpan.FromTicks((long)ticks));
            },
            ShouldHandle = args => new ValueTask<bool>(
                args.Outcome.Exception is { } exception
                && !args.Context.CancellationToken.IsCancellationRequested
                && IsTransient(exception)),
            OnOpened = args =>
            {
                _gate.OnOpened(args.BreakDuration, args.Outcome.Exception);
                return default;
            },
            OnHalfOpened = _ =>
            {
                _gate.OnHalfOpened();
                return default;
            },
            OnClosed = _ =>
            {
                _gate.OnClosed();
                return default;
            },
        });
    }

    /// <summary>Adds the time-out per handler call (<see cref="ReleaseOptions.HandlerTimeout"/>); a time-out is a transient failure.</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public ResiliencePipelineBuilder AddAttemptTimeout(ResiliencePipelineBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddTimeout(new TimeoutStrategyOptions
        {
            Name = "duis_prioritiser.timeout",
            Timeout = Options.HandlerTimeout,
            OnTimeout = args =>
            {
                _telemetry.TimedOut(args.Timeout);
                return default;
            },
        });
    }
}
