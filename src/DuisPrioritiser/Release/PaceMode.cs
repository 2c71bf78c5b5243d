namespace DuisPrioritiser.Release;

/// <summary>How the hosted release loop limits the number of messages in flight to the handler.</summary>
public enum PaceMode
{
    /// <summary>A fixed limit: <see cref="PaceOptions.FixedLimit"/>.</summary>
    Fixed = 0,

    /// <summary>A limit that adapts to handler latency and failures, between <see cref="PaceOptions.MinLimit"/> and <see cref="PaceOptions.MaxLimit"/>.</summary>
    Adaptive = 1,
}
