namespace DuisPrioritiser.Release.Internal;

/// <summary>
/// Records when the back-end was down (the release loop's circuit breaker open or half-open), so that the drain
/// policy's wait bounds do not count that time: after a long outage, held messages are not all "overdue" and Critical
/// is not put behind them.
/// </summary>
/// <remarks>
/// A short list of closed intervals plus the open one, under a lock. Outages are rare, so the list is short; it keeps
/// the last <see cref="MaxIntervals"/> intervals (older ones no longer overlap any message still held in practice).
/// <see cref="IsEmpty"/> is a volatile flag read first, so a scheduler that never saw an outage pays one read.
/// </remarks>
internal sealed class BackendDowntime
{
    internal const int MaxIntervals = 64;

    private readonly Lock _gate = new();
    private readonly List<(long Start, long End)> _intervals = [];
    private long _openSince = -1;
    private volatile bool _any;

    /// <summary>Gets a value indicating whether no downtime has ever been recorded.</summary>
    public bool IsEmpty => !_any;

    /// <summary>Gets a value indicating whether the back-end is down now.</summary>
    public bool IsDown
    {
        get
        {
            lock (_gate)
            {
                return _openSince >= 0;
            }
        }
    }

    /// <summary>Marks the back-end down from <paramref name="timestamp"/> (idempotent while down).</summary>
    public void MarkDown(long timestamp)
    {
        lock (_gate)
        {
            if (_openSince < 0)
            {
                _openSince = timestamp;
                _any = true;
            }
        }
    }

    /// <summary>Marks the back-end up at <paramref name="timestamp"/> (idempotent while up).</summary>
    public void MarkUp(long timestamp)
    {
        lock (_gate)
        {
            if (_openSince < 0)
            {
                return;
            }

            _intervals.Add((_openSince, Math.Max(_openSince, timestamp)));
            if (_intervals.Count > MaxIntervals)
            {
                _intervals.RemoveAt(0);
            }

            _openSince = -1;
        }
    }

    /// <summary>Gets the timestamp ticks of downtime between <paramref name="from"/> and <paramref name="to"/>.</summary>
    public long GetOverlap(long from, long to)
    {
        if (!_any || to <= from)
        {
            return 0;
        }

        long total = 0;
        lock (_gate)
        {
            foreach (var (start, end) in _intervals)
            {
                total += Overlap(start, end, from, to);
            }

            if (_openSince >= 0)
            {
                total += Overlap(_openSince, to, from, to);
            }
        }

        return total;
    }

    private static long Overlap(long start, long end, long from, long to)
    {
        long s = Math.Max(start, from);
        long e = Math.Min(end, to);
        return e > s ? e - s : 0;
    }
}
