namespace DuisPrioritiser.Release;

/// <summary>
/// Thrown by an <see cref="IResponseHandler"/> to say that a message can never be handled (the back-end rejected its
/// content, not its availability): the release loop does not retry it, does not count it against the back-end's
/// circuit breaker, and dead-letters it at once with reason <see cref="DeadLetter.PermanentFailureReason"/>.
/// </summary>
/// <remarks>Every other exception is transient unless <c>ClassifyFailures</c> says otherwise.</remarks>
public class DuisPermanentFailureException : Exception
{
    /// <summary>Initialises the exception.</summary>
    public DuisPermanentFailureException()
        : base("The message can never be handled.")
    {
    }

    /// <summary>Initialises the exception with a message.</summary>
    /// <param name="message">Why the message can never be handled.</param>
    public DuisPermanentFailureException(string? message)
        : base(message)
    {
    }

    /// <summary>Initialises the exception with a message and the failure that caused it.</summary>
    /// <param name="message">Why the message can never be handled.</param>
    /// <param name="innerException">The back-end's failure.</param>
    public DuisPermanentFailureException(string? message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
