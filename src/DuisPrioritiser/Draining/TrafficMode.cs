namespace DuisPrioritiser.Draining;

/// <summary>The scheduler's operating mode, which selects the per-mode traffic settings (throttles).</summary>
public enum TrafficMode
{
    /// <summary>Normal operation: messages flow with minimal delay.</summary>
    Normal = 0,

    /// <summary>Recovery after an outage: a flood is drained by policy, with the recovery throttles applied.</summary>
    Recovery = 1,
}
