namespace DuisPrioritiser.Tuning;

/// <summary>
/// Changes the tunable settings of a running scheduler: priority overrides, the default level, the drain policy and
/// its weights, traffic management (maximum waits, minimum shares, level and alert-code throttles), recovery
/// thresholds and the release loop's pace limits. Registered by <c>AddResponsePrioritisation()</c>.
/// </summary>
/// <remarks>
/// <para>A changed configuration (for example <c>appsettings.json</c> with <c>reloadOnChange</c>) is applied the
/// same way, without a call: the options are re-bound, validated, and applied to the next decisions; an invalid
/// change is refused and logged (event 5002) and the settings in force stay. Every applied change is logged with what
/// changed (event 5001).</para>
/// <para>Capacity, the full mode, the reader's limits, the journal, duplicate suppression, the release loop's retries
/// and time-outs, and the health thresholds are start-time settings: a configuration change to them is logged
/// (event 5003) and takes effect at the next start; <see cref="Apply"/> refuses them.</para>
/// <para>Changes made through <see cref="Apply"/> are kept on top of the configuration (a later configuration change
/// is applied beneath them) until <see cref="Reset"/> or a restart. Thread-safe: changes are applied one at a time;
/// the scheduler keeps running throughout, and each message is decided wholly by the settings before or after a change.</para>
/// </remarks>
public interface IPrioritisationTuning
{
    /// <summary>
    /// Gets the settings in force. Treat the instance as read-only: the scheduler copied its values, so changing it
    /// has no effect; use <see cref="Apply"/>.
    /// </summary>
    ResponsePrioritisationOptions Current { get; }

    /// <summary>Validates and applies a change to the settings in force.</summary>
    /// <param name="change">Changes a copy of the settings (the configuration as bound now, plus earlier changes made here).</param>
    /// <returns>What changed, or why the change was refused (then nothing changed).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="change"/> is <see langword="null"/>.</exception>
    TuningResult Apply(Action<ResponsePrioritisationOptions> change);

    /// <summary>Drops every change made through <see cref="Apply"/> and applies the configuration as bound now.</summary>
    /// <returns>What changed, or why the configuration was refused (then nothing changed).</returns>
    TuningResult Reset();
}
