namespace DuisPrioritiser.Draining.Internal;

/// <summary>A policy that can hold back occupied levels (throttles), and can say when it will release again.</summary>
internal interface IThrottledDrainPolicy : IDrainPolicy
{
    /// <summary>
    /// Gets how long, in <see cref="TimeProvider"/> timestamp ticks from <see cref="DrainState.Timestamp"/>, until
    /// <see cref="IDrainPolicy.TrySelectLevel"/> can choose a level: 0 when it can now, <see cref="long.MaxValue"/>
    /// when no level is occupied.
    /// </summary>
    long GetReleaseDelay(in DrainState state);
}
