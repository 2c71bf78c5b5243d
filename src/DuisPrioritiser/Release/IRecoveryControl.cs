using DuisPrioritiser.Draining;

namespace DuisPrioritiser.Release;

/// <summary>Reads and switches the scheduler's <see cref="TrafficMode"/>. Implemented by <see cref="ResponseReleaseScheduler"/>.</summary>
public interface IRecoveryControl
{
    /// <summary>Gets the current mode.</summary>
    TrafficMode Mode { get; }

    /// <summary>
    /// Enters <see cref="TrafficMode.Recovery"/> now, for example when the adapter learns that the DCC is restored and
    /// a flood is coming. The scheduler leaves it by the usual hysteresis (<see cref="RecoveryOptions"/>). Idempotent.
    /// </summary>
    void EnterRecovery();

    /// <summary>Returns to <see cref="TrafficMode.Normal"/> now. Idempotent.</summary>
    void ExitRecovery();
}
