using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Draining.Internal;

namespace DuisPrioritiser.Tuning.Internal;

/// <summary>
/// The built-in drain policy the scheduler calls, replaceable while it runs: each call reads one volatile reference
/// to an immutable-configuration policy, no lock. Used only for policies built from options (a custom
/// <see cref="IDrainPolicy"/> is the integrator's and is never replaced).
/// </summary>
/// <remarks>
/// A decision and the <see cref="OnReleased"/> that follows it may meet different policies when a swap falls between
/// them: the new policy then charges a release it did not choose, which costs one token or credit and never loses a
/// message (the queue decides that). Credits and tokens start afresh in the new policy.
/// </remarks>
internal sealed class SwappableDrainPolicy(IDrainPolicy initial) : IThrottledDrainPolicy
{
    private IDrainPolicy _current = initial ?? throw new ArgumentNullException(nameof(initial));

    public IDrainPolicy Current => Volatile.Read(ref _current);

    public bool TrySelectLevel(in DrainState state, out PriorityLevel level) => Volatile.Read(ref _current).TrySelectLevel(in state, out level);

    public void OnReleased(PriorityLevel level, in DrainState state) => Volatile.Read(ref _current).OnReleased(level, in state);

    public long GetReleaseDelay(in DrainState state)
    {
        // The built-in policies without throttles (strict, weighted) always choose an occupied level.
        var current = Volatile.Read(ref _current);
        return current is IThrottledDrainPolicy throttled
            ? throttled.GetReleaseDelay(in state)
            : state.GetOccupancyMask() == 0 ? long.MaxValue : 0;
    }

    public void Swap(IDrainPolicy next)
    {
        ArgumentNullException.ThrowIfNull(next);
        Volatile.Write(ref _current, next);
    }
}
