namespace DuisPrioritiser.Journal.Internal;

/// <summary>Where the journal wrote a message: its id and its locator (segment number and byte offset of its record, packed).</summary>
internal readonly record struct JournalPosition(long Id, long Locator)
{
    /// <summary>Bits of a locator that hold the offset: segments are at most 4 GiB plus one record (see <see cref="JournalOptions.SegmentSize"/>).</summary>
    private const int OffsetBits = 34;

    /// <summary>Packs a segment number and a byte offset into one non-zero value (segment numbers start at 1).</summary>
    public static long Pack(long segment, long offset) => (segment << OffsetBits) | offset;

    /// <summary>Gets the segment number of a locator.</summary>
    public static long SegmentOf(long locator) => locator >>> OffsetBits;

    /// <summary>Gets the byte offset of a locator.</summary>
    public static long OffsetOf(long locator) => locator & ((1L << OffsetBits) - 1);
}
