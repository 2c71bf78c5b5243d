namespace DuisPrioritiser.Journal;

/// <summary>
/// Thrown when the scheduler starts on a journal that is damaged before its last good record, so that recovering
/// would silently lose messages. Inspect or move the named file, or set
/// <see cref="JournalOptions.CorruptionHandling"/> to <see cref="JournalCorruptionHandling.SkipDamagedRecords"/>.
/// </summary>
public sealed class JournalCorruptedException : IOException
{
    /// <summary>Initialises a new instance.</summary>
    public JournalCorruptedException()
        : base("The DuisPrioritiser journal is corrupted.")
    {
    }

    /// <summary>Initialises a new instance with a message.</summary>
    /// <param name="message">The message.</param>
    public JournalCorruptedException(string message)
        : base(message)
    {
    }

    /// <summary>Initialises a new instance with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public JournalCorruptedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal JournalCorruptedException(string segmentPath, long offset, string reason)
        : base($"The DuisPrioritiser journal segment '{segmentPath}' is damaged at byte {offset} ({reason}), and good records follow, " +
            "so this is not a torn final write. Refusing to start rather than lose messages silently: inspect or move the file, " +
            "or set DuisPrioritiser:Journal:CorruptionHandling to SkipDamagedRecords to skip the damaged bytes (logged as errors).")
    {
        SegmentPath = segmentPath;
        Offset = offset;
    }

    /// <summary>Gets the damaged segment file, when known.</summary>
    public string? SegmentPath { get; }

    /// <summary>Gets the byte offset of the first damaged record in <see cref="SegmentPath"/>, or -1 when unknown.</summary>
    public long Offset { get; } = -1;
}
