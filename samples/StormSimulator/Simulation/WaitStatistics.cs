namespace StormSimulator.Simulation;

/// <summary>Wait statistics of one level under one policy, in seconds.</summary>
/// <param name="Count">The number of messages.</param>
/// <param name="P50">The median wait.</param>
/// <param name="P95">The 95th percentile.</param>
/// <param name="P99">The 99th percentile.</param>
/// <param name="Max">The longest wait.</param>
internal sealed record WaitStatistics(long Count, double P50, double P95, double P99, double Max)
{
    /// <summary>Gets the statistics of no messages.</summary>
    public static WaitStatistics Empty { get; } = new(0, 0, 0, 0, 0);

    /// <summary>Computes statistics from waits sorted ascending, in ticks (nearest-rank percentiles).</summary>
    /// <param name="sortedTicks">The waits, sorted ascending.</param>
    /// <returns>The statistics.</returns>
    public static WaitStatistics FromSorted(ReadOnlySpan<long> sortedTicks)
    {
        if (sortedTicks.IsEmpty)
        {
            return Empty;
        }

        return new WaitStatistics(
            sortedTicks.Length,
            Seconds(Percentile(sortedTicks, 0.50)),
            Seconds(Percentile(sortedTicks, 0.95)),
            Seconds(Percentile(sortedTicks, 0.99)),
            Seconds(sortedTicks[^1]));
    }

    /// <summary>The nearest-rank percentile: the smallest value with at least <paramref name="p"/> of the values at or below it.</summary>
    /// <param name="sortedTicks">The values, sorted ascending, not empty.</param>
    /// <param name="p">The fraction, 0 to 1.</param>
    /// <returns>The percentile.</returns>
    public static long Percentile(ReadOnlySpan<long> sortedTicks, double p)
    {
        int rank = (int)Math.Ceiling(p * sortedTicks.Length);
        return sortedTicks[Math.Clamp(rank - 1, 0, sortedTicks.Length - 1)];
    }

    /// <summary>Splits waits by level and sorts each.</summary>
    /// <param name="waitTicks">Each message's wait.</param>
    /// <param name="levels">Each message's level.</param>
    /// <param name="levelCount">The number of levels.</param>
    /// <returns>The sorted waits of each level.</returns>
    public static long[][] SortByLevel(long[] waitTicks, byte[] levels, int levelCount)
    {
        ArgumentNullException.ThrowIfNull(waitTicks);
        ArgumentNullException.ThrowIfNull(levels);
        var counts = new int[levelCount];
        foreach (byte level in levels)
        {
            counts[level]++;
        }

        var result = new long[levelCount][];
        var fill = new int[levelCount];
        for (int i = 0; i < levelCount; i++)
        {
            result[i] = new long[counts[i]];
        }

        for (int i = 0; i < waitTicks.Length; i++)
        {
            int level = levels[i];
            result[level][fill[level]++] = waitTicks[i];
        }

        foreach (var waits in result)
        {
            Array.Sort(waits);
        }

        return result;
    }

    private static double Seconds(long ticks) => ticks / (double)TimeSpan.TicksPerSecond;
}
