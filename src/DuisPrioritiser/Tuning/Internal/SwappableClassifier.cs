using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Tuning.Internal;

/// <summary>
/// The classifier chain the scheduler calls, replaceable while it runs: one volatile read of an immutable chain per
/// message, no lock. A message classified while <see cref="Swap"/> runs is classified wholly by the old chain or
/// wholly by the new one.
/// </summary>
internal sealed class SwappableClassifier(IPriorityClassifier initial) : IPriorityClassifier
{
    private IPriorityClassifier _current = initial ?? throw new ArgumentNullException(nameof(initial));

    public IPriorityClassifier Current => Volatile.Read(ref _current);

    public bool TryClassify(DuisMessage message, out PriorityLevel level) => Volatile.Read(ref _current).TryClassify(message, out level);

    public void Swap(IPriorityClassifier next)
    {
        ArgumentNullException.ThrowIfNull(next);
        Volatile.Write(ref _current, next);
    }
}
