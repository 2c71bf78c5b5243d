namespace StormSimulator.Simulation;

/// <summary>
/// The ideal lower bound: what a perfect strict scheduler could achieve on a trace. Each level is served at full
/// capacity after every higher level, in arrival order, with higher levels pre-empting lower ones (a
/// pre-emptive-resume priority queue with deterministic service of 1 / capacity per message, computed as a fluid
/// schedule).
/// </summary>
/// <remarks>
/// <para>Levels are placed one at a time, highest first, into the back-end's timeline. Higher levels never see lower
/// ones, so once a level is placed its service intervals are final. The next level is served FIFO in the gaps that
/// remain: a message is released at the first free instant at or after both its arrival and the end of the previous
/// message of its level, and then takes 1 / capacity of free time, split across gaps if a higher level pre-empts it.
/// The timeline is a sorted list of disjoint busy intervals, and each level is one forward sweep plus one merge, so
/// the whole computation is O(levels x messages).</para>
/// <para>The release time is when service starts (the moment a real scheduler hands the message to the back-end),
/// so the wait is release minus arrival, the same quantity the simulated policies report.</para>
/// </remarks>
internal static class IdealSchedule
{
    /// <summary>Computes each message's release time under the ideal schedule.</summary>
    /// <param name="arrivalTicks">Arrival times, non-decreasing (ties keep index order as arrival order).</param>
    /// <param name="levels">Each message's level, 0 highest.</param>
    /// <param name="levelCount">The number of levels.</param>
    /// <param name="serviceTicks">The back-end time per message (1 / capacity), in ticks.</param>
    /// <returns>The release time of each message, in ticks.</returns>
    /// <exception cref="ArgumentException">The spans differ in length or a level is out of range.</exception>
    public static long[] ComputeReleaseTicks(ReadOnlySpan<long> arrivalTicks, ReadOnlySpan<byte> levels, int levelCount, long serviceTicks)
    {
        if (arrivalTicks.Length != levels.Length)
        {
            throw new ArgumentException("Give one level per arrival.", nameof(levels));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(serviceTicks);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(levelCount);
        var byLevel = new List<int>[levelCount];
        for (int i = 0; i < levelCount; i++)
        {
            byLevel[i] = [];
        }

        for (int i = 0; i < levels.Length; i++)
        {
            if (levels[i] >= levelCount)
            {
                throw new ArgumentException($"Message {i} has level {levels[i]}, beyond the {levelCount} levels.", nameof(levels));
            }

            if (i > 0 && arrivalTicks[i] < arrivalTicks[i - 1])
            {
                throw new ArgumentException("Arrival times must not decrease.", nameof(arrivalTicks));
            }

            byLevel[levels[i]].Add(i);
        }

        var release = new long[arrivalTicks.Length];
        var busy = new List<Interval>();
        foreach (var members in byLevel)
        {
            var placed = new List<Interval>();
            int p = 0;
            long cursor = long.MinValue;
            foreach (int i in members)
            {
                long t = Math.Max(arrivalTicks[i], cursor);
                while (p < busy.Count && busy[p].End <= t)
                {
                    p++;
                }

                if (p < busy.Count && busy[p].Start <= t)
                {
                    t = busy[p].End; // merged intervals: the next one starts strictly later
                    p++;
                }

                release[i] = t;
                long remaining = serviceTicks;
                while (remaining > 0)
                {
                    long nextBusy = p < busy.Count ? busy[p].Start : long.MaxValue;
                    long free = nextBusy - t;
                    if (free >= remaining)
                    {
                        Add(placed, t, t + remaining);
                        t += remaining;
                        remaining = 0;
                    }
                    else
                    {
                        Add(placed, t, nextBusy); // pre-empted by a higher level: resume after it
                        remaining -= free;
                        t = busy[p].End;
                        p++;
                    }
                }

                cursor = t;
            }

            busy = Merge(busy, placed);
        }

        return release;
    }

    private static void Add(List<Interval> intervals, long start, long end)
    {
        if (end <= start)
        {
            return;
        }

        if (intervals.Count > 0 && intervals[^1].End >= start)
        {
            intervals[^1] = intervals[^1] with { End = Math.Max(intervals[^1].End, end) };
        }
        else
        {
            intervals.Add(new Interval(start, end));
        }
    }

    private static List<Interval> Merge(List<Interval> a, List<Interval> b)
    {
        var merged = new List<Interval>(a.Count + b.Count);
        int i = 0;
        int j = 0;
        while (i < a.Count || j < b.Count)
        {
            var next = j >= b.Count || (i < a.Count && a[i].Start <= b[j].Start) ? a[i++] : b[j++];
            Add(merged, next.Start, next.End);
        }

        return merged;
    }

    private readonly record struct Interval(long Start, long End);
}
