namespace DuisPrioritiser.Release;

/// <summary>A message handed to an <see cref="IDeadLetterSink"/>, with the reason.</summary>
public sealed class DeadLetter
{
    /// <summary>The reason for a message whose releases failed transiently <see cref="ReleaseOptions.MaxReleaseAttempts"/> times.</summary>
    public const string RetriesExhaustedReason = "retries-exhausted";

    /// <summary>The reason for a message whose handler failed permanently (<see cref="DuisPermanentFailureException"/>, or a failure classified as not transient).</summary>
    public const string PermanentFailureReason = "permanent-failure";

    /// <summary>The reason for a message that failed transiently when older than <see cref="ReleaseOptions.MaxAge"/>.</summary>
    public const string MaxAgeReason = "max-age";

    /// <summary>The reason for a message still queued or in flight when the release loop shut down.</summary>
    public const string ShutdownReason = "shutdown";

    /// <summary>Initialises a dead letter.</summary>
    /// <param name="message">The released message.</param>
    /// <param name="reason">Why it was dead-lettered: <see cref="PermanentFailureReason"/>, <see cref="RetriesExhaustedReason"/>, <see cref="MaxAgeReason"/> or <see cref="ShutdownReason"/>.</param>
    /// <param name="attempts">How many handler calls were made, over all its releases (0 when it was never handed to the handler).</param>
    /// <param name="exception">The last handler exception, if any.</param>
    /// <exception cref="ArgumentNullException"><paramref name="reason"/> is <see langword="null"/>.</exception>
    public DeadLetter(ReleasedMessage message, string reason, int attempts, Exception? exception)
    {
        ArgumentNullException.ThrowIfNull(reason);
        Message = message;
        Reason = reason;
        Attempts = attempts;
        Exception = exception;
    }

    /// <summary>Gets the released message.</summary>
    public ReleasedMessage Message { get; }

    /// <summary>Gets why it was dead-lettered.</summary>
    public string Reason { get; }

    /// <summary>Gets how many handler calls were made, over all its releases in this process (0 when it was never handed to the handler).</summary>
    public int Attempts { get; }

    /// <summary>Gets the last handler exception, or <see langword="null"/>.</summary>
    public Exception? Exception { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Message} dead-lettered ({Reason}) after {Attempts} attempt(s)";
}
