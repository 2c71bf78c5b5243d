namespace DuisPrioritiser.Duis;

/// <summary>Whether and where a Service Request may be future-dated (the DUIS Service Request Matrix column).</summary>
public enum FutureDatedPattern
{
    /// <summary>Not future-datable.</summary>
    None = 0,

    /// <summary>Future-dated on the device; the outcome arrives as alert 8F66 or 8F67.</summary>
    Device,

    /// <summary>Future-dated by the DCC (the DSP holds the request until its time).</summary>
    Dsp,

    /// <summary>Future-datable either by the DCC or on the device.</summary>
    DspAndDevice,
}
