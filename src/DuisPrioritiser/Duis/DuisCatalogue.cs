using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using DuisPrioritiser.Classification;

namespace DuisPrioritiser.Duis;

/// <summary>
/// The built-in DUIS 5.4 catalogue: all 129 Service Reference Variants with their Service Request Matrix attributes,
/// business category and default release priority, and the default priorities of Device Alerts, DCC Alerts and DCC
/// Alert payloads.
/// </summary>
/// <remarks>All lookups are allocation-free and thread-safe. The data is compiled in; nothing is read at run time.</remarks>
public static partial class DuisCatalogue
{
    private static readonly SrvCatalogueEntry[] s_srvs = CreateServiceReferenceVariants();
    private static readonly AlertCatalogueEntry[] s_alerts = CreateAlerts();
    private static readonly FrozenDictionary<ServiceReferenceVariant, SrvCatalogueEntry> s_bySrv = s_srvs.ToFrozenDictionary(e => e.Srv);
    private static readonly FrozenDictionary<DuisCode, PriorityLevel> s_deviceAlerts = Codes(AlertCatalogueKind.DeviceAlert);
    private static readonly FrozenDictionary<DuisCode, PriorityLevel> s_dccAlerts = Codes(AlertCatalogueKind.DccAlert);
    private static readonly FrozenDictionary<string, PriorityLevel> s_dccAlertPayloads = s_alerts
        .Where(e => e.Kind == AlertCatalogueKind.DccAlertPayload && !e.IsFallback)
        .ToFrozenDictionary(e => e.Key, e => e.DefaultLevel, StringComparer.Ordinal);

    /// <summary>Gets every SRV in the catalogue, in DUIS order.</summary>
    public static IReadOnlyList<SrvCatalogueEntry> All => s_srvs;

    /// <summary>Gets every alert default: listed codes and payload names, and one <c>*</c> fallback per alert kind.</summary>
    public static IReadOnlyList<AlertCatalogueEntry> Alerts => s_alerts;

    /// <summary>Gets the level of a Device Alert whose code is not listed.</summary>
    /// <value>The value is <see cref="PriorityLevel.Bulk"/>.</value>
    public static PriorityLevel DefaultDeviceAlertLevel { get; } = Fallback(AlertCatalogueKind.DeviceAlert);

    /// <summary>Gets the level of a DCC Alert whose code and payload are not listed.</summary>
    /// <value>The value is <see cref="PriorityLevel.Bulk"/>.</value>
    public static PriorityLevel DefaultDccAlertLevel { get; } = Fallback(AlertCatalogueKind.DccAlert);

    /// <summary>Looks up an SRV.</summary>
    /// <param name="srv">The SRV, such as <c>8.1.1</c>.</param>
    /// <param name="entry">The entry when found.</param>
    /// <returns><see langword="true"/> if the SRV is in DUIS 5.4.</returns>
    public static bool TryGet(ServiceReferenceVariant srv, [NotNullWhen(true)] out SrvCatalogueEntry? entry)
        => s_bySrv.TryGetValue(srv, out entry);

    /// <summary>Looks up an SRV given as text, such as <c>8.1.1</c>.</summary>
    /// <param name="srv">The SRV text; <see langword="null"/> or malformed text is not found.</param>
    /// <param name="entry">The entry when found.</param>
    /// <returns><see langword="true"/> if the SRV is in DUIS 5.4.</returns>
    public static bool TryGet([NotNullWhen(true)] string? srv, [NotNullWhen(true)] out SrvCatalogueEntry? entry)
    {
        if (ServiceReferenceVariant.TryParse(srv, out var parsed))
        {
            return TryGet(parsed, out entry);
        }

        entry = null;
        return false;
    }

    /// <summary>Gets the default level of a listed Device Alert code.</summary>
    /// <param name="code">The hexadecimal code, such as <c>8F0F</c>.</param>
    /// <param name="level">The level when listed.</param>
    /// <returns><see langword="true"/> if the code is listed; otherwise <see cref="DefaultDeviceAlertLevel"/> applies.</returns>
    public static bool TryGetDeviceAlertLevel(DuisCode code, out PriorityLevel level) => s_deviceAlerts.TryGetValue(code, out level);

    /// <summary>Gets the default level of a listed DCC Alert code.</summary>
    /// <param name="code">The code, such as <c>AD1</c> or <c>N24</c>.</param>
    /// <param name="level">The level when listed.</param>
    /// <returns><see langword="true"/> if the code is listed; otherwise try <see cref="TryGetDccAlertPayloadLevel"/>.</returns>
    public static bool TryGetDccAlertLevel(DuisCode code, out PriorityLevel level) => s_dccAlerts.TryGetValue(code, out level);

    /// <summary>Gets the default level of a listed DCC Alert payload element.</summary>
    /// <param name="payloadName">The local name of the element inside <c>DCCAlert</c>, such as <c>PowerOutageEvent</c>.</param>
    /// <param name="level">The level when listed.</param>
    /// <returns><see langword="true"/> if the payload is listed; otherwise <see cref="DefaultDccAlertLevel"/> applies.</returns>
    public static bool TryGetDccAlertPayloadLevel(string? payloadName, out PriorityLevel level)
    {
        if (payloadName is null)
        {
            level = default;
            return false;
        }

        return s_dccAlertPayloads.TryGetValue(payloadName, out level);
    }

    private static FrozenDictionary<DuisCode, PriorityLevel> Codes(AlertCatalogueKind kind)
        => s_alerts.Where(e => e.Kind == kind && !e.IsFallback).ToFrozenDictionary(e => DuisCode.Parse(e.Key), e => e.DefaultLevel);

    private static PriorityLevel Fallback(AlertCatalogueKind kind) => s_alerts.Single(e => e.Kind == kind && e.IsFallback).DefaultLevel;
}
