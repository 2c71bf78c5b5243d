namespace DuisPrioritiser.Storage;

/// <summary>
/// Thrown by an <see cref="IBacklogStore"/> that cannot be reached (a remote store's server is down or a network is
/// partitioned). Nothing the failed call would have done took effect — or, for an append whose commit outcome is
/// unknown, the caller treats the messages as not accepted and the DCC redelivers them (at-least-once).
/// </summary>
public sealed class BacklogStoreUnavailableException : Exception
{
    /// <summary>Initialises a new instance.</summary>
    public BacklogStoreUnavailableException()
        : base("The backlog store cannot be reached; nothing was accepted, claimed or acknowledged. Retry later.")
    {
    }

    /// <summary>Initialises a new instance with a message.</summary>
    /// <param name="message">The message.</param>
    public BacklogStoreUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Initialises a new instance with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause, typically the driver's exception.</param>
    public BacklogStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Gets or sets how long the store suggests waiting before retrying, when it knows.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public TimeSpan? RetryAfter { get; init; }
}
