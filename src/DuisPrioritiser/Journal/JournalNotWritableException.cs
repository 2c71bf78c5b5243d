namespace DuisPrioritiser.Journal;

/// <summary>
/// Thrown when the scheduler starts on a journal directory that exists but cannot be written: a read-only file system
/// (for example ext4 remounted read-only after disk errors) or no write permission. Unlike
/// <see cref="JournalLockedException"/>, no other scheduler is involved: fix the disk or the permissions and restart.
/// </summary>
public sealed class JournalNotWritableException : IOException
{
    /// <summary>Initialises a new instance.</summary>
    public JournalNotWritableException()
        : base("The DuisPrioritiser journal directory cannot be written.")
    {
    }

    /// <summary>Initialises a new instance with a message.</summary>
    /// <param name="message">The message.</param>
    public JournalNotWritableException(string message)
        : base(message)
    {
    }

    /// <summary>Initialises a new instance with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause: the file system's error (read-only file system, permission denied).</param>
    public JournalNotWritableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
