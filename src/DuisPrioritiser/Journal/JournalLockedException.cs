namespace DuisPrioritiser.Journal;

/// <summary>
/// Thrown when the scheduler starts on a journal directory that another scheduler (in this or another process) has
/// open. Two schedulers on one journal would both deliver the recovered messages and delete each other's segments:
/// give each scheduler its own <see cref="JournalOptions.Directory"/>, or stop the other one first.
/// </summary>
public sealed class JournalLockedException : IOException
{
    /// <summary>Initialises a new instance.</summary>
    public JournalLockedException()
        : base("The DuisPrioritiser journal directory is in use by another scheduler.")
    {
    }

    /// <summary>Initialises a new instance with a message.</summary>
    /// <param name="message">The message.</param>
    public JournalLockedException(string message)
        : base(message)
    {
    }

    /// <summary>Initialises a new instance with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause, typically the sharing violation from the file system.</param>
    public JournalLockedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
