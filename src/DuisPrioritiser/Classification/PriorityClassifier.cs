using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Classification;

/// <summary>Composes <see cref="IPriorityClassifier"/> instances.</summary>
public static class PriorityClassifier
{
    /// <summary>
    /// Creates a classifier that asks <paramref name="classifiers"/> in order, takes the first decision, and falls
    /// back to <paramref name="defaultLevel"/> when none decides. The result always decides.
    /// </summary>
    /// <param name="defaultLevel">The level used when no classifier decides.</param>
    /// <param name="classifiers">The classifiers, asked in order.</param>
    /// <returns>The composed classifier.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="classifiers"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="defaultLevel"/> is not a defined level.</exception>
    public static IPriorityClassifier Combine(PriorityLevel defaultLevel, params IEnumerable<IPriorityClassifier> classifiers)
    {
        ArgumentNullException.ThrowIfNull(classifiers);
        PriorityLevels.ThrowIfUndefined(defaultLevel);
        var array = classifiers.ToArray();
        foreach (var classifier in array)
        {
            ArgumentNullException.ThrowIfNull(classifier, nameof(classifiers));
        }

        return new ClassifierChain(array, defaultLevel);
    }

    /// <summary>Classifies with <paramref name="classifier"/>, falling back to <paramref name="defaultLevel"/> when it does not decide.</summary>
    /// <param name="classifier">The classifier.</param>
    /// <param name="message">The message.</param>
    /// <param name="defaultLevel">The fallback level.</param>
    /// <returns>The decided level.</returns>
    public static PriorityLevel Classify(this IPriorityClassifier classifier, DuisMessage message, PriorityLevel defaultLevel = PriorityLevel.Normal)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(message);
        return classifier.TryClassify(message, out var level) && PriorityLevels.IsDefined(level) ? level : defaultLevel;
    }

    private sealed class ClassifierChain(IPriorityClassifier[] classifiers, PriorityLevel defaultLevel) : IPriorityClassifier
    {
        public bool TryClassify(DuisMessage message, out PriorityLevel level)
        {
            foreach (var classifier in classifiers)
            {
                if (classifier.TryClassify(message, out level) && PriorityLevels.IsDefined(level))
                {
                    return true;
                }
            }

            level = defaultLevel;
            return true;
        }
    }
}
