using System.Diagnostics;

namespace DuisPrioritiser.Journal.Internal;

/// <summary>
/// What the writer knows about one segment file: the id range it may hold (from <see cref="FirstId"/> up to the next
/// segment's), which of those ids are live (accepted, not completed) as a bitmap, and the oldest segment its Complete
/// records refer to. Touched only by the journal's single writer (or by recovery before the writer starts).
/// </summary>
internal sealed class JournalSegment(long number, long firstId, string path)
{
    private ulong[] _live = new ulong[16];

    public long Number { get; } = number;

    public long FirstId { get; } = firstId;

    public string Path { get; } = path;

    /// <summary>Gets the number of live ids.</summary>
    public int LiveCount { get; private set; }

    /// <summary>
    /// Gets or sets the oldest segment number that a Complete record in this segment refers to (its own number when
    /// none). Deleting this segment loses those records, so it waits until no segment in that range remains.
    /// </summary>
    public long OldestReferenced { get; set; } = number;

    /// <summary>
    /// Gets or sets how many live messages have their latest attempt count (Returned record) in this segment: it is
    /// kept while any has, so that the counts survive a restart.
    /// </summary>
    public int AttemptPins { get; set; }

    /// <summary>Gets or sets the bytes of the segment file (the disk budget counts them).</summary>
    public long Length { get; set; }

    /// <summary>Whether <paramref name="id"/> is live (accepted, not completed) in this segment.</summary>
    public bool IsLive(long id)
    {
        long index = id - FirstId;
        if (index < 0 || (index >> 6) >= _live.Length)
        {
            return false;
        }

        return (_live[(int)(index >> 6)] & (1UL << (int)(index & 63))) != 0;
    }

    public void MarkLive(long id)
    {
        long index = id - FirstId;
        Debug.Assert(index >= 0, "Ids of a segment start at its first id.");
        int word = (int)(index >> 6);
        if (word >= _live.Length)
        {
            Array.Resize(ref _live, Math.Max(_live.Length * 2, word + 1));
        }

        ulong bit = 1UL << (int)(index & 63);
        if ((_live[word] & bit) == 0)
        {
            _live[word] |= bit;
            LiveCount++;
        }
    }

    /// <summary>Clears <paramref name="id"/>; <see langword="false"/> when it was not live (completed twice, or not ours).</summary>
    public bool TryMarkComplete(long id)
    {
        long index = id - FirstId;
        if (index < 0 || (index >> 6) >= _live.Length)
        {
            return false;
        }

        int word = (int)(index >> 6);
        ulong bit = 1UL << (int)(index & 63);
        if ((_live[word] & bit) == 0)
        {
            return false;
        }

        _live[word] &= ~bit;
        LiveCount--;
        Debug.Assert(LiveCount >= 0, "Live count went negative.");
        return true;
    }
}
