using System.Runtime.InteropServices;

namespace DuisPrioritiser.Queueing.Internal;

/// <summary>A 64-bit counter alone on its cache line, so contended counters do not false-share with their neighbours.</summary>
[StructLayout(LayoutKind.Explicit, Size = 2 * PaddedHeadAndTail.CacheLineSize)]
internal struct PaddedCounter
{
    [FieldOffset(PaddedHeadAndTail.CacheLineSize)]
    public long Value;
}
