using System.ComponentModel.DataAnnotations;

namespace DuisPrioritiser.Release;

/// <summary>
/// Time-outs, retries, the back-end circuit breaker, dead-lettering and shutdown of the hosted release loop
/// (registered by <c>UseHandler</c>). These settings build the standard resilience pipeline (Polly v8) around each
/// handler call; replace or extend it with <c>ConfigureResilience</c>.
/// </summary>
/// <remarks>
/// <para><b>A failed release goes back, not away.</b> When a handler call still fails after the retries of one
/// release (or the breaker is open), the message is acknowledged with <see cref="ReleaseOutcome.Returned"/>: it is
/// held again at the front of its own level and released again, by the drain policy, when the back-end is back.
/// Only a failure the integrator says is permanent (<see cref="DuisPermanentFailureException"/>, or
/// <c>ClassifyFailures</c>) dead-letters at once; <see cref="MaxReleaseAttempts"/> and <see cref="MaxAge"/> bound
/// transient failures, and by default nothing does: a transient failure retries for as long as the back-end is down.</para>
/// </remarks>
public sealed class ReleaseOptions
{
    /// <summary>Gets or sets how long one handler call may take before its token is cancelled and the attempt counts as a time-out (a transient failure).</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan HandlerTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how many times one release retries a transient failure before the message is returned to the front
    /// of its level. 0 disables the retry strategy.
    /// </summary>
    /// <value>The default value is 2 (so up to 3 handler calls per release).</value>
    [Range(0, 100)]
    public int MaxRetryAttempts { get; set; } = 2;

    /// <summary>Gets or sets the delay before the first retry within a release; each further retry doubles it (exponential backoff), up to <see cref="RetryMaxDelay"/>.</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the longest delay between retries.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets a value indicating whether retry delays are jittered (Polly's decorrelated jitter), so that many failing calls do not retry in lock-step.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool UseJitter { get; set; } = true;

    /// <summary>Gets the circuit breaker over the back-end: while it is open the release loop releases nothing but its half-open probes.</summary>
    [Microsoft.Extensions.Options.ValidateObjectMembers]
    public BackendCircuitBreakerOptions CircuitBreaker { get; set; } = new();

    /// <summary>
    /// Gets or sets how many releases of one message may fail transiently before it is dead-lettered (reason
    /// <see cref="DeadLetter.RetriesExhaustedReason"/>); <see langword="null"/> for no limit.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: a message is returned and retried for as long as the back-end is down.</value>
    [Range(1, int.MaxValue)]
    public int? MaxReleaseAttempts { get; set; }

    /// <summary>
    /// Gets or sets how old (since <see cref="Duis.DuisMessage.ReceivedAt"/>) a message may be when a release fails
    /// transiently before it is dead-lettered (reason <see cref="DeadLetter.MaxAgeReason"/>); <see langword="null"/> for no limit.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public TimeSpan? MaxAge { get; set; }

    /// <summary>
    /// Gets or sets how long shutdown waits for in-flight messages to finish. Without a durable journal, messages still
    /// in flight after it, and every message still held, go to the dead-letter store with reason
    /// <see cref="DeadLetter.ShutdownReason"/>; with a journal they stay in it and are released after the restart.
    /// </summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
