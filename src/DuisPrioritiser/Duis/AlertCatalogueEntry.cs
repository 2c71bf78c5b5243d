using DuisPrioritiser.Classification;

namespace DuisPrioritiser.Duis;

/// <summary>One alert default in the built-in <see cref="DuisCatalogue"/>.</summary>
public sealed class AlertCatalogueEntry
{
    internal AlertCatalogueEntry(AlertCatalogueKind kind, string key, string name, DuisCategory category, PriorityLevel defaultLevel)
    {
        Kind = kind;
        Key = key;
        Name = name;
        Category = category;
        DefaultLevel = defaultLevel;
    }

    /// <summary>Gets what <see cref="Key"/> is: a Device Alert code, a DCC Alert code or a DCC Alert payload name.</summary>
    public AlertCatalogueKind Kind { get; }

    /// <summary>Gets the code (<c>8F0F</c>, <c>AD1</c>) or payload name (<c>PowerOutageEvent</c>); <c>*</c> for the default of every other code of its kind.</summary>
    public string Key { get; }

    /// <summary>Gets a value indicating whether this is the default for every code of its kind not listed (<see cref="Key"/> is <c>*</c>).</summary>
    public bool IsFallback => Key == "*";

    /// <summary>Gets the alert's name or description.</summary>
    public string Name { get; }

    /// <summary>Gets the business category.</summary>
    public DuisCategory Category { get; }

    /// <summary>Gets the default release priority.</summary>
    public PriorityLevel DefaultLevel { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Kind} {Key} {Name} ({Category}, {DefaultLevel})";
}
