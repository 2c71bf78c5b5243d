namespace DuisPrioritiser.Duis;

/// <summary>The business category of an SRV or alert in the built-in <see cref="DuisCatalogue"/>.</summary>
public enum DuisCategory
{
    /// <summary>Anything else.</summary>
    Other = 0,

    /// <summary>Installation and commissioning: commissioning, joining, device logs, hub status.</summary>
    InstallAndCommission,

    /// <summary>Prepayment: top-ups, credit, debt, payment mode.</summary>
    Prepayment,

    /// <summary>Supply control: enable, disable, arm, auxiliary loads.</summary>
    SupplyControl,

    /// <summary>Security credentials and change of supplier.</summary>
    SecurityAndChangeOfSupplier,

    /// <summary>Tariffs and prices.</summary>
    TariffAndPricing,

    /// <summary>Reads, billing data, profile data and DCC schedules.</summary>
    ReadsAndBilling,

    /// <summary>Device configuration.</summary>
    Configuration,

    /// <summary>Firmware updates and versions.</summary>
    Firmware,

    /// <summary>Inventory and device management.</summary>
    InventoryAndDeviceManagement,

    /// <summary>Supply outages and restorations (alerts).</summary>
    Outage,

    /// <summary>Tamper detection (alerts).</summary>
    Tamper,

    /// <summary>Alerts not otherwise categorised.</summary>
    Alert,
}
