using System.Globalization;

namespace StormSimulator.Simulation;

/// <summary>
/// The <c>--backend-outage START:DURATION</c> scenario: the simulated back-end fails every call from
/// <see cref="StartSeconds"/> for <see cref="DurationSeconds"/> of simulated time, while the scheduler's real release
/// loop (Polly pipeline, circuit breaker, back-end gate) drains the trace.
/// </summary>
/// <param name="StartSeconds">When the back-end goes down, in seconds of simulated time from t = 0.</param>
/// <param name="DurationSeconds">How long it stays down, in seconds.</param>
internal sealed record BackendOutage(double StartSeconds, double DurationSeconds)
{
    /// <summary>The longest outage accepted (a simulated day): longer ones say more about the trace than about recovery.</summary>
    public const double MaxDurationSeconds = 86_400;

    /// <summary>Gets the start in ticks from t = 0.</summary>
    public long StartTicks => (long)Math.Round(StartSeconds * TimeSpan.TicksPerSecond);

    /// <summary>Gets the end (the back-end's return) in ticks from t = 0.</summary>
    public long EndTicks => StartTicks + (long)Math.Round(DurationSeconds * TimeSpan.TicksPerSecond);

    /// <summary>Parses <c>START:DURATION</c>, both in seconds (e.g. <c>300:600</c>).</summary>
    /// <param name="value">The option's value.</param>
    /// <returns>The outage.</returns>
    /// <exception cref="ArgumentException">The value is not two numbers separated by a colon, the start is negative, or the duration is not positive (or longer than a day).</exception>
    public static BackendOutage Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string[] parts = value.Split(':');
        if (parts.Length != 2
            || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double start)
            || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double duration)
            || !double.IsFinite(start)
            || !double.IsFinite(duration))
        {
            throw new ArgumentException($"--backend-outage expects START:DURATION in seconds of simulated time (e.g. 300:600), not '{value}'.");
        }

        if (start < 0)
        {
            throw new ArgumentException($"--backend-outage: START must be 0 or more seconds, not {parts[0]}.");
        }

        if (duration is <= 0 or > MaxDurationSeconds)
        {
            throw new ArgumentException($"--backend-outage: DURATION must be greater than 0 and at most {MaxDurationSeconds:0} seconds, not {parts[1]}.");
        }

        return new BackendOutage(start, duration);
    }

    /// <summary>Gets whether <paramref name="ticks"/> (from t = 0) falls inside the outage.</summary>
    public bool Contains(long ticks) => ticks >= StartTicks && ticks < EndTicks;

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{StartSeconds:0.###}:{DurationSeconds:0.###}");
}
