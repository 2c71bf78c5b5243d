using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Classification;

/// <summary>
/// Decides the release priority of a DUIS message. Classifiers are composed into a chain: the first one that
/// decides wins, and a default level applies when none does.
/// </summary>
/// <remarks>Implementations must be thread-safe and should not allocate: they run once per accepted message.</remarks>
public interface IPriorityClassifier
{
    /// <summary>Tries to decide the priority of <paramref name="message"/>.</summary>
    /// <param name="message">The message to classify.</param>
    /// <param name="level">The decided level when the method returns <see langword="true"/>.</param>
    /// <returns><see langword="true"/> if this classifier decided; <see langword="false"/> to let the next one decide.</returns>
    bool TryClassify(DuisMessage message, out PriorityLevel level);
}
