using System.ComponentModel.DataAnnotations;

namespace DuisPrioritiser.Release;

/// <summary>Retries, time-outs and shutdown of the hosted release loop (registered by <c>AddHandler</c>).</summary>
public sealed class ReleaseOptions
{
    /// <summary>Gets or sets the number of handler attempts per message, including the first; after the last failure the message is dead-lettered.</summary>
    /// <value>The default value is 5.</value>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Gets or sets the delay before the first retry; each further retry doubles it, up to <see cref="RetryMaxDelay"/>.</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the longest delay between retries.</summary>
    /// <value>The default value is 1 minute.</value>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Gets or sets how long one handler call may take before its token is cancelled and the attempt counts as a time-out.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan HandlerTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how long shutdown waits for in-flight messages to finish. Messages still in flight after it, and
    /// every message still queued, go to the dead-letter sink with reason <see cref="DeadLetter.ShutdownReason"/>.
    /// </summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
