namespace DuisPrioritiser.Journal;

/// <summary>
/// Thrown by <c>EnqueueAsync</c> when the journal could not make a message durable (the disk is full, the volume
/// failed, or the journal is faulted after an earlier failure). The message was <b>not</b> accepted: do not
/// acknowledge it to the DCC (answer with a 5xx so that it is resent).
/// </summary>
public sealed class JournalWriteException : IOException
{
    /// <summary>Initialises a new instance.</summary>
    public JournalWriteException()
        : base("The DuisPrioritiser journal could not make the message durable; it was not accepted.")
    {
    }

    /// <summary>Initialises a new instance with a message.</summary>
    /// <param name="message">The message.</param>
    public JournalWriteException(string message)
        : base(message)
    {
    }

    /// <summary>Initialises a new instance with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause, typically the <see cref="IOException"/> from the file system.</param>
    public JournalWriteException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
