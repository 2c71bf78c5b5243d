using System.Runtime.CompilerServices;

namespace DuisPrioritiser.Classification;

/// <summary>Helpers for <see cref="PriorityLevel"/>.</summary>
public static class PriorityLevels
{
    /// <summary>The number of priority levels.</summary>
    public const int Count = 5;

    /// <summary>Gets every level, highest first.</summary>
    public static IReadOnlyList<PriorityLevel> All { get; } =
        [PriorityLevel.Critical, PriorityLevel.High, PriorityLevel.Normal, PriorityLevel.Low, PriorityLevel.Bulk];

    /// <summary>Determines whether <paramref name="level"/> is one of the five defined levels.</summary>
    /// <param name="level">The level to check.</param>
    /// <returns><see langword="true"/> if the level is defined.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsDefined(PriorityLevel level) => (uint)level < Count;

    internal static void ThrowIfUndefined(PriorityLevel level, [CallerArgumentExpression(nameof(level))] string? paramName = null)
    {
        if (!IsDefined(level))
        {
            throw new ArgumentOutOfRangeException(paramName, level, "Priority level must be Critical, High, Normal, Low or Bulk.");
        }
    }
}
