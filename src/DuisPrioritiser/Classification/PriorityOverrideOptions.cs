namespace DuisPrioritiser.Classification;

/// <summary>
/// Explicit priority overrides. They always win over the built-in DUIS defaults.
/// </summary>
/// <remarks>
/// Bound from configuration as, for example:
/// <code language="json">
/// "Overrides": {
///   "ServiceReferenceVariants": { "8.1.1": "Critical", "4.6.*": "Bulk" },
///   "AlertCodes": { "8F35": "Normal", "N24": "High" },
///   "DccAlertPayloads": { "PowerOutageEvent": "Critical" }
/// }
/// </code>
/// </remarks>
public sealed class PriorityOverrideOptions
{
    /// <summary>
    /// Gets the SRV rules: an exact SRV (<c>8.1.1</c>, <c>11.2</c>) or a prefix ending in <c>.*</c>
    /// (<c>4.6.*</c> matches <c>4.6.1</c> and <c>4.6.2</c>; <c>4.*</c> matches every SRV starting <c>4.</c>).
    /// An exact rule beats a prefix rule, and a longer prefix beats a shorter one.
    /// </summary>
    /// <value>The default value is empty.</value>
    public Dictionary<string, PriorityLevel> ServiceReferenceVariants { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Gets the alert code rules: a hexadecimal Device Alert code (<c>8F0F</c>, any case) or a DCC Alert code
    /// (<c>AD1</c>, <c>N24</c>). An alert code rule beats a DCC Alert payload rule.
    /// </summary>
    /// <value>The default value is empty.</value>
    public Dictionary<string, PriorityLevel> AlertCodes { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets the DCC Alert payload rules, keyed by the local name of the element inside <c>DCCAlert</c> (<c>PowerOutageEvent</c>).</summary>
    /// <value>The default value is empty.</value>
    public Dictionary<string, PriorityLevel> DccAlertPayloads { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets a value indicating whether no override is configured.</summary>
    public bool IsEmpty => ServiceReferenceVariants.Count == 0 && AlertCodes.Count == 0 && DccAlertPayloads.Count == 0;

    /// <summary>Copies every rule of <paramref name="source"/> into this instance, replacing rules with the same key.</summary>
    /// <param name="source">The rules to copy.</param>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is <see langword="null"/>.</exception>
    public void CopyFrom(PriorityOverrideOptions source)
    {
        ArgumentNullException.ThrowIfNull(source);
        foreach (var (key, value) in source.ServiceReferenceVariants)
        {
            ServiceReferenceVariants[key] = value;
        }

        foreach (var (key, value) in source.AlertCodes)
        {
            AlertCodes[key] = value;
        }

        foreach (var (key, value) in source.DccAlertPayloads)
        {
            DccAlertPayloads[key] = value;
        }
    }
}
