using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Journal.Internal;

/// <summary>What the scheduler needs from a durable journal: append before accepting, complete on acknowledgement, recover at start, read a held message back.</summary>
internal interface IMessageJournal : IAsyncDisposable, IDisposable
{
    /// <summary>Gets how many messages accepted but not completed before the last stop were recovered at open.</summary>
    long RecoveredCount { get; }

    /// <summary>Gets a value indicating whether the segment files take less than <see cref="JournalOptions.MaxDiskSize"/>; reading it logs a change (events 6017, 6018).</summary>
    bool HasDiskRoom { get; }

    /// <summary>Makes <paramref name="message"/> durable at <paramref name="level"/>; completes once it is on stable storage.</summary>
    /// <param name="message">The message.</param>
    /// <param name="level">Its level.</param>
    /// <param name="groupHead">For a consolidated repeat, the journal id of the held alert it joins (recovery rebuilds the group); otherwise 0.</param>
    /// <returns>The journal id of the message (used to complete it) and where its record is (used to read it back).</returns>
    /// <exception cref="JournalWriteException">The message could not be made durable.</exception>
    /// <exception cref="ObjectDisposedException">The journal is closed.</exception>
    ValueTask<JournalPosition> AppendAsync(DuisMessage message, PriorityLevel level, long groupHead = 0);

    /// <summary>Records that message <paramref name="id"/> is finished; completes once the record is written to the operating system (not necessarily flushed).</summary>
    /// <exception cref="JournalWriteException">The record could not be written (disk full, journal faulted): the message stays live and is recovered at the next start.</exception>
    ValueTask CompleteAsync(long id);

    /// <summary>Records that message <paramref name="id"/> was returned and its attempt count is now <paramref name="attempts"/>.</summary>
    /// <exception cref="JournalWriteException">The record could not be written: after a restart the message has its previous count.</exception>
    ValueTask ReturnAsync(long id, int attempts);

    /// <summary>Reads the message whose record is at <paramref name="locator"/> back from its segment (exact raw bytes, envelope and intake trace context).</summary>
    /// <param name="locator">Where the record is (<see cref="JournalPosition.Locator"/>).</param>
    /// <param name="level">Its level: reads are buffered per level, so a level's messages are read ahead sequentially.</param>
    /// <exception cref="JournalCorruptedException">The record there does not verify.</exception>
    /// <exception cref="IOException">The segment cannot be read.</exception>
    DuisMessage ReadMessage(long locator, PriorityLevel level);
}
