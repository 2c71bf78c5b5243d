namespace DuisPrioritiser.Duis;

/// <summary>What the key of an <see cref="AlertCatalogueEntry"/> is.</summary>
public enum AlertCatalogueKind
{
    /// <summary>A hexadecimal Device Alert code such as <c>8F0F</c>.</summary>
    DeviceAlert = 0,

    /// <summary>A DCC Alert code such as <c>AD1</c> or <c>N24</c>.</summary>
    DccAlert,

    /// <summary>The local name of the payload element inside a DCC Alert's <c>DCCAlert</c>, such as <c>PowerOutageEvent</c>.</summary>
    DccAlertPayload,
}
