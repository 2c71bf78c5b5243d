namespace DuisPrioritiser.Journal;

/// <summary>What recovery does when a journal segment is damaged before its last good record (not a torn tail).</summary>
public enum JournalCorruptionHandling
{
    /// <summary>Refuse to start: throw <see cref="JournalCorruptedException"/> naming the file and offset, so an operator decides.</summary>
    Throw = 0,

    /// <summary>
    /// Skip the damaged bytes to the next record whose checksum is good, log an error naming the file, offset and
    /// bytes skipped, and go on. Messages whose records were damaged are lost (and logged); completions that were
    /// damaged cause redelivery.
    /// </summary>
    SkipDamagedRecords = 1,
}
