using System.ComponentModel.DataAnnotations;

namespace DuisPrioritiser.Release;

/// <summary>The in-flight limit of the hosted release loop: how many messages the back-end handler works on at once.</summary>
/// <remarks>
/// <para>The adaptive limit starts at <see cref="InitialLimit"/> and doubles per window (slow start) until latency
/// first rises above its baseline or a window backs off. After that it works per window of samples (one sample per handler call; a window is at least the
/// current limit and at least 16 samples). A window with a time-out, or with a failure ratio above
/// <see cref="FailureRatioThreshold"/>, cuts the limit by <see cref="BackoffRatio"/> (multiplicative decrease).
/// Otherwise the latency gradient <c>clamp(Tolerance * baseline / average, 0.5, 1)</c>, where <c>baseline</c> is the
/// lowest window-average latency seen within <see cref="MinLatencyWindow"/>, scales the limit and a queue allowance
/// of <c>sqrt(limit)</c> is added (additive increase while latency stays at its minimum), smoothed by
/// <see cref="Smoothing"/>. A back-end that queues internally shows it as latency above the minimum, so the limit
/// settles near the back-end's real concurrency.</para>
/// </remarks>
public sealed class PaceOptions
{
    /// <summary>Gets or sets the mode.</summary>
    /// <value>The default value is <see cref="PaceMode.Adaptive"/>.</value>
    [EnumDataType(typeof(PaceMode))]
    public PaceMode Mode { get; set; } = PaceMode.Adaptive;

    /// <summary>Gets or sets the limit in <see cref="PaceMode.Fixed"/> mode.</summary>
    /// <value>The default value is 16.</value>
    [Range(1, 100_000)]
    public int FixedLimit { get; set; } = 16;

    /// <summary>Gets or sets the starting limit in <see cref="PaceMode.Adaptive"/> mode.</summary>
    /// <value>The default value is 8.</value>
    [Range(1, 100_000)]
    public int InitialLimit { get; set; } = 8;

    /// <summary>Gets or sets the lowest adaptive limit.</summary>
    /// <value>The default value is 1.</value>
    [Range(1, 100_000)]
    public int MinLimit { get; set; } = 1;

    /// <summary>Gets or sets the highest adaptive limit.</summary>
    /// <value>The default value is 256.</value>
    [Range(1, 100_000)]
    public int MaxLimit { get; set; } = 256;

    /// <summary>Gets or sets the factor the limit is multiplied by after a window with a time-out or too many failures.</summary>
    /// <value>The default value is 0.9.</value>
    [Range(0.1d, 0.99d)]
    public double BackoffRatio { get; set; } = 0.9;

    /// <summary>
    /// Gets or sets the failure ratio within a window above which the limit backs off. Failures below it are treated
    /// as bad messages rather than an overloaded back-end; 0 backs off on any failure.
    /// </summary>
    /// <value>The default value is 0.5.</value>
    [Range(0d, 1d)]
    public double FailureRatioThreshold { get; set; } = 0.5;

    /// <summary>Gets or sets how far average latency may rise above its baseline before the gradient backs off (1.1 = 10%).</summary>
    /// <value>The default value is 1.1.</value>
    [Range(1d, 10d)]
    public double Tolerance { get; set; } = 1.1;

    /// <summary>Gets or sets the weight of each new limit estimate (1 = no smoothing).</summary>
    /// <value>The default value is 0.2.</value>
    [Range(0.01d, 1d)]
    public double Smoothing { get; set; } = 0.2;

    /// <summary>Gets or sets how long a minimum latency is remembered, so a back-end that becomes slower for good is re-learnt.</summary>
    /// <value>The default value is 10 minutes.</value>
    public TimeSpan MinLatencyWindow { get; set; } = TimeSpan.FromMinutes(10);
}
