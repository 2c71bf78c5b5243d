using System.Collections;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Storage.Internal;

namespace DuisPrioritiser.Consolidation;

/// <summary>
/// The repeats a released alert carries when consolidation attached them to it (see <see cref="ConsolidationOptions"/>):
/// each repeat as it was accepted (its exact raw bytes, response id and receive time), oldest first, and the first
/// and last receive times of the group. Empty for a message without repeats.
/// </summary>
/// <remarks>
/// Acknowledging the released message acknowledges every repeat with the same outcome: handled or dead-lettered
/// completes them all (each repeat's journal record too); returned holds the message again with its repeats.
/// </remarks>
public sealed class AlertRepeats : IReadOnlyList<DuisMessage>
{
    private readonly DuisMessage[] _messages;

    internal AlertRepeats(DuisMessage[] messages, QueuedEntry[] entries, DateTimeOffset firstReceivedAt)
    {
        _messages = messages;
        Entries = entries;
        FirstReceivedAt = firstReceivedAt;
        LastReceivedAt = messages.Length > 0 ? messages[^1].ReceivedAt : firstReceivedAt;
    }

    /// <summary>Gets the instance for a message without repeats.</summary>
    public static AlertRepeats None { get; } = new([], [], default);

    /// <summary>Gets the number of repeats (not counting the released message itself).</summary>
    public int Count => _messages.Length;

    /// <summary>Gets when the group's first alert (the released message) was received.</summary>
    public DateTimeOffset FirstReceivedAt { get; }

    /// <summary>Gets when the group's last repeat was received (the first alert's time when there is no repeat).</summary>
    public DateTimeOffset LastReceivedAt { get; }

    /// <summary>Gets the store entries of the repeats, in the order of <see cref="this[int]"/> (their store ids acknowledge them).</summary>
    internal QueuedEntry[] Entries { get; }

    /// <summary>Gets a repeat.</summary>
    /// <param name="index">Its position, oldest first.</param>
    /// <returns>The repeat as accepted.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative or not less than <see cref="Count"/>.</exception>
    public DuisMessage this[int index] => (uint)index < (uint)_messages.Length
        ? _messages[index]
        : throw new ArgumentOutOfRangeException(nameof(index), index, "Use an index from 0 to Count - 1.");

    /// <inheritdoc />
    public IEnumerator<DuisMessage> GetEnumerator() => ((IEnumerable<DuisMessage>)_messages).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
