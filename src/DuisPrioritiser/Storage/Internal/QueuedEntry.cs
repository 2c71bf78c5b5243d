using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Storage.Internal;

/// <summary>
/// What an embedded store holds per message: the envelope, when it was first enqueued (a <see cref="TimeProvider"/>
/// timestamp), its store id (the journal id; 0 in memory), how many of its releases were returned and, when the
/// journal is the backlog, where its record is.
/// </summary>
/// <remarks>
/// In memory <see cref="Message"/> is the envelope and <see cref="Locator"/> is 0. With the file journal the entry is
/// compact: <see cref="Message"/> is <see langword="null"/> and the message is read back from <see cref="Locator"/>
/// (<see cref="Journal.Internal.JournalPosition.Pack"/>) on release, so a held message costs this struct (40 bytes)
/// plus its queue slot, not its raw bytes. A held entry always has a message or a locator.
/// </remarks>
internal readonly record struct QueuedEntry(DuisMessage? Message, long EnqueuedTimestamp, long Token = 0, int Attempts = 0, long Locator = 0)
{
    /// <summary>The entry to hold for <paramref name="message"/>: compact (no envelope) when the journal holds it at <paramref name="locator"/>, else with the envelope.</summary>
    /// <param name="message">The envelope.</param>
    /// <param name="enqueuedTimestamp">When it was first enqueued.</param>
    /// <param name="token">Its store id.</param>
    /// <param name="attempts">How many of its releases were returned.</param>
    /// <param name="locator">Where the journal holds its record, or 0.</param>
    /// <returns>The entry.</returns>
    public static QueuedEntry Hold(DuisMessage message, long enqueuedTimestamp, long token, int attempts, long locator)
        => new(locator != 0 ? null : message, enqueuedTimestamp, token, attempts, locator);

    /// <summary>Gets a value indicating whether this is a held entry (not a default value).</summary>
    public bool IsHeld => Message is not null || Locator != 0;
}
