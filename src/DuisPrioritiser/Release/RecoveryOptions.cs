using System.ComponentModel.DataAnnotations;
using DuisPrioritiser.Draining;

namespace DuisPrioritiser.Release;

/// <summary>When the scheduler enters and leaves <see cref="TrafficMode.Recovery"/>.</summary>
/// <remarks>
/// The scheduler enters Recovery when the backlog reaches <see cref="EnterBacklog"/>, when the arrival rate reaches
/// <see cref="EnterArrivalRate"/>, or on <see cref="IRecoveryControl.EnterRecovery"/>. It leaves once the backlog has
/// stayed at or below <see cref="ExitBacklog"/> (and the arrival rate below its threshold) for <see cref="HoldTime"/>:
/// the gap between the watermarks and the hold time are the hysteresis that stops it flapping.
/// </remarks>
public sealed class RecoveryOptions
{
    /// <summary>Gets or sets a value indicating whether the scheduler switches modes by itself (backlog and arrival rate). <see cref="IRecoveryControl"/> works either way.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool AutoDetect { get; set; } = true;

    /// <summary>Gets or sets the backlog (messages held) at which the scheduler enters Recovery.</summary>
    /// <value>The default value is 10,000.</value>
    [Range(1, int.MaxValue)]
    public int EnterBacklog { get; set; } = 10_000;

    /// <summary>Gets or sets the low watermark: the backlog must stay at or below it for <see cref="HoldTime"/> to leave Recovery. Must be below <see cref="EnterBacklog"/>.</summary>
    /// <value>The default value is 1,000.</value>
    [Range(0, int.MaxValue)]
    public int ExitBacklog { get; set; } = 1_000;

    /// <summary>Gets or sets the arrival rate, in messages per second over <see cref="ArrivalRateWindow"/>, at which the scheduler enters Recovery; 0 disables the rate trigger.</summary>
    /// <value>The default value is 0 (disabled: normal rates vary too much between adapters to guess one).</value>
    [Range(0d, 10_000_000d)]
    public double EnterArrivalRate { get; set; }

    /// <summary>Gets or sets the window over which the arrival rate is measured.</summary>
    /// <value>The default value is 10 seconds.</value>
    public TimeSpan ArrivalRateWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets how long the backlog must stay at or below <see cref="ExitBacklog"/> before the scheduler leaves Recovery.</summary>
    /// <value>The default value is 2 minutes.</value>
    public TimeSpan HoldTime { get; set; } = TimeSpan.FromMinutes(2);
}
