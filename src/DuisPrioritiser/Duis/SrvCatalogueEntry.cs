using DuisPrioritiser.Classification;

namespace DuisPrioritiser.Duis;

/// <summary>One Service Reference Variant of DUIS 5.4 in the built-in <see cref="DuisCatalogue"/>.</summary>
public sealed class SrvCatalogueEntry
{
    internal SrvCatalogueEntry(
        ServiceReferenceVariant srv,
        string name,
        bool isCritical,
        FutureDatedPattern futureDatedPattern,
        bool isDccSchedulable,
        bool isNonDevice,
        DuisCategory category,
        PriorityLevel defaultLevel)
    {
        Srv = srv;
        Name = name;
        IsCritical = isCritical;
        FutureDatedPattern = futureDatedPattern;
        IsDccSchedulable = isDccSchedulable;
        IsNonDevice = isNonDevice;
        Category = category;
        DefaultLevel = defaultLevel;
    }

    /// <summary>Gets the SRV, such as <c>8.1.1</c>.</summary>
    public ServiceReferenceVariant Srv { get; }

    /// <summary>Gets the Service Request name, such as <c>Commission Device</c>.</summary>
    public string Name { get; }

    /// <summary>Gets a value indicating whether the Service Request is critical (signed by the supplier's critical key).</summary>
    public bool IsCritical { get; }

    /// <summary>Gets whether and where the request may be future-dated.</summary>
    public FutureDatedPattern FutureDatedPattern { get; }

    /// <summary>Gets a value indicating whether the DCC can schedule the request (its executions arrive in a <c>DSPScheduledMessage</c>).</summary>
    public bool IsDccSchedulable { get; }

    /// <summary>Gets a value indicating whether the request is served by the DCC without a device.</summary>
    public bool IsNonDevice { get; }

    /// <summary>Gets the business category.</summary>
    public DuisCategory Category { get; }

    /// <summary>Gets the default release priority of its responses.</summary>
    public PriorityLevel DefaultLevel { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Srv} {Name} ({Category}, {DefaultLevel})";
}
