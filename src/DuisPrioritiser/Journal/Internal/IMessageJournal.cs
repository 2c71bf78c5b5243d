using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Journal.Internal;

/// <summary>What the scheduler needs from a durable journal: append before accepting, complete on acknowledgement, recover at start.</summary>
internal interface IMessageJournal : IAsyncDisposable, IDisposable
{
    /// <summary>Gets the messages accepted but not completed before the last stop, in id (acceptance) order.</summary>
    IReadOnlyList<RecoveredMessage> Recovered { get; }

    /// <summary>Makes <paramref name="message"/> durable at <paramref name="level"/>; completes once it is on stable storage.</summary>
    /// <returns>The journal id of the message, used to complete it.</returns>
    /// <exception cref="JournalWriteException">The message could not be made durable.</exception>
    /// <exception cref="ObjectDisposedException">The journal is closed.</exception>
    ValueTask<long> AppendAsync(DuisMessage message, PriorityLevel level);

    /// <summary>Records that message <paramref name="id"/> is finished; completes once the record is written (not necessarily flushed).</summary>
    ValueTask CompleteAsync(long id);
}
