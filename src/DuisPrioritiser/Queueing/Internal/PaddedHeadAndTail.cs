using System.Diagnostics;
using System.Runtime.InteropServices;

namespace DuisPrioritiser.Queueing.Internal;

/// <summary>
/// A segment's head and tail positions, each on its own cache line (128 bytes covers adjacent-line prefetch),
/// so that producers bumping the tail and consumers bumping the head do not false-share.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 3 * CacheLineSize)]
[DebuggerDisplay("Head = {Head}, Tail = {Tail}")]
internal struct PaddedHeadAndTail
{
    public const int CacheLineSize = 128;

    [FieldOffset(1 * CacheLineSize)]
    public long Head;

    [FieldOffset(2 * CacheLineSize)]
    public long Tail;
}
