namespace DuisPrioritiser.Release;

/// <summary>Tuning without restart: the settings the scheduler itself holds (the classifier and drain policy are swapped by their wrappers).</summary>
public sealed partial class ResponseReleaseScheduler
{
    /// <summary>Applies new recovery thresholds and alert-code throttles (validated by the caller) to the next decisions, and wakes sleeping readers.</summary>
    internal void ApplyTuning(ResponsePrioritisationOptions options)
    {
        _recovery.Retune(options.Recovery);
        _lanes.Retune(options.Traffic, _timeProvider.TimestampFrequency);

        // Throttles or the policy may have changed: let sleeping readers recompute their delay.
        _readSignal.Pulse();
    }
}
