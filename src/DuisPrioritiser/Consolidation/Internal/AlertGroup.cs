using DuisPrioritiser.Duis;
using DuisPrioritiser.Storage.Internal;

namespace DuisPrioritiser.Consolidation.Internal;

/// <summary>
/// One held alert (the head, which keeps its place in its level's queue) and the repeats attached to it. A short lock
/// per group orders attaching against closing: once <see cref="Close"/> has run (the head was released), no repeat is
/// attached any more, so a repeat of a released alert starts a new group.
/// </summary>
/// <remarks>
/// States: <em>open</em> (accepts repeats while its window and size allow), <em>sealed</em> (full, past its window,
/// returned or recovered: keeps its repeats, accepts no more; found by its head's identity), <em>closed</em> (its head
/// was released and its repeats handed out).
/// </remarks>
internal sealed class AlertGroup
{
    private const int Open = 0;
    private const int Sealed = 1;
    private const int Closed = 2;

    private readonly Lock _lock = new();
    private readonly long _headToken;
    private readonly DuisMessage? _headMessage;
    private readonly long _firstTimestamp;
    private List<QueuedEntry>? _repeats;
    private int _state;
    private int _size = 1;

    /// <summary>Initialises an open group whose head is <paramref name="head"/>.</summary>
    public AlertGroup(in QueuedEntry head)
    {
        // With the journal the head is known by its journal id (its entry is compact); in memory by its envelope.
        _headToken = head.Token;
        _headMessage = head.Token > 0 ? null : head.Message;
        _firstTimestamp = head.EnqueuedTimestamp;
    }

    /// <summary>Initialises a sealed group (returned, or rebuilt at recovery) for the head <paramref name="head"/>.</summary>
    public AlertGroup(GroupHead head, IEnumerable<QueuedEntry>? repeats)
    {
        _headToken = head.Token;
        _headMessage = head.Message;
        _state = Sealed;
        _repeats = repeats is null ? null : [.. repeats];
        _size = 1 + (_repeats?.Count ?? 0);
    }

    /// <summary>The outcome of <see cref="TryAdd"/>.</summary>
    public enum AddResult
    {
        /// <summary>The repeat was attached.</summary>
        Attached,

        /// <summary>The group was sealed by this call (full or past its window): the caller registers it by its head and starts a new group.</summary>
        SealedNow,

        /// <summary>The group accepts no repeats (sealed earlier, or closed): start a new group.</summary>
        NotOpen,
    }

    public GroupHead Head => new(_headToken, _headMessage);

    /// <summary>Gets the number of repeats attached (for tests).</summary>
    public int RepeatCount
    {
        get
        {
            lock (_lock)
            {
                return _repeats?.Count ?? 0;
            }
        }
    }

    public bool IsHead(in QueuedEntry entry) => _headToken > 0 ? entry.Token == _headToken : ReferenceEquals(entry.Message, _headMessage);

    /// <summary>Attaches <paramref name="repeat"/> if the group is open, its first alert was accepted less than <paramref name="windowTicks"/> ago and it has room.</summary>
    public AddResult TryAdd(in QueuedEntry repeat, long windowTicks, int maxSize)
    {
        lock (_lock)
        {
            if (_state != Open)
            {
                return AddResult.NotOpen;
            }

            if (_size >= maxSize || repeat.EnqueuedTimestamp - _firstTimestamp >= windowTicks)
            {
                _state = Sealed;
                return AddResult.SealedNow;
            }

            (_repeats ??= []).Add(repeat);
            _size++;
            return AddResult.Attached;
        }
    }

    /// <summary>Adds a repeat recovered from the journal (single-threaded, at open).</summary>
    public void AddRecovered(in QueuedEntry repeat)
    {
        (_repeats ??= []).Add(repeat);
        _size++;
    }

    /// <summary>Closes the group (its head is being released) and hands out its repeats; <see langword="null"/> when it has none or was closed already.</summary>
    /// <param name="wasSealed">Whether it was sealed (then it is also registered by its head, which the caller removes).</param>
    public QueuedEntry[]? Close(out bool wasSealed)
    {
        lock (_lock)
        {
            wasSealed = _state == Sealed;
            if (_state == Closed)
            {
                return null;
            }

            _state = Closed;
            var repeats = _repeats;
            _repeats = null;
            return repeats is { Count: > 0 } ? [.. repeats] : null;
        }
    }
}
