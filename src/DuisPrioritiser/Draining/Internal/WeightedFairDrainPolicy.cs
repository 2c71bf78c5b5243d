using System.Diagnostics;
using DuisPrioritiser.Classification;

namespace DuisPrioritiser.Draining.Internal;

/// <summary>
/// Deficit round robin with unit cost: the current level releases until its quantum (its weight) is spent or it
/// empties, then the turn passes to the next non-empty level, which receives a fresh quantum.
/// </summary>
/// <remarks>
/// The whole state (current level, credits left) lives in one 64-bit word changed only by compare-and-swap, so
/// the policy is lock-free: with one consumer the shares are exact; with several, two consumers may both spend
/// the last credit, which skews shares slightly but never loses or duplicates a message (the queue decides that).
/// </remarks>
internal sealed class WeightedFairDrainPolicy : IDrainPolicy
{
    private const int LevelBits = 3;
    private const long LevelMask = (1 << LevelBits) - 1;

    private readonly int[] _weights;
    private long _state; // (credits << LevelBits) | level

    public WeightedFairDrainPolicy(int[] weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Length != PriorityLevels.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(weights), $"Expected {PriorityLevels.Count} weights.");
        }

        foreach (int weight in weights)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(weight, 1, nameof(weights));
        }

        _weights = (int[])weights.Clone();
        _state = Pack(0, _weights[0]);
    }

    public bool TrySelectLevel(in DrainState state, out PriorityLevel level)
    {
        int mask = state.GetOccupancyMask();
        if (mask == 0)
        {
            level = default;
            return false;
        }

        while (true)
        {
            long packed = Volatile.Read(ref _state);
            int current = (int)(packed & LevelMask);
            long credits = packed >> LevelBits;
            if (credits > 0 && (mask & (1 << current)) != 0)
            {
                level = (PriorityLevel)current;
                return true;
            }

            int next = NextOccupied(mask, current);
            if (Interlocked.CompareExchange(ref _state, Pack(next, _weights[next]), packed) == packed)
            {
                level = (PriorityLevel)next;
                return true;
            }
        }
    }

    public void OnReleased(PriorityLevel level, in DrainState state)
    {
        while (true)
        {
            long packed = Volatile.Read(ref _state);
            long credits = packed >> LevelBits;
            if ((int)(packed & LevelMask) != (int)level || credits == 0)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _state, Pack((int)level, credits - 1), packed) == packed)
            {
                return;
            }
        }
    }

    private static long Pack(int level, long credits) => (credits << LevelBits) | (uint)level;

    private static int NextOccupied(int mask, int current)
    {
        Debug.Assert(mask != 0, "At least one level must be occupied.");
        for (int step = 1; step <= PriorityLevels.Count; step++)
        {
            int candidate = (current + step) % PriorityLevels.Count;
            if ((mask & (1 << candidate)) != 0)
            {
                return candidate;
            }
        }

        return current;
    }
}
