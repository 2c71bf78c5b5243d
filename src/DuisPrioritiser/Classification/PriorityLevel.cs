namespace DuisPrioritiser.Classification;

/// <summary>The five release priority levels, highest first. Lower numeric values are released first.</summary>
public enum PriorityLevel
{
    /// <summary>Time-critical work with a person waiting: Install &amp; Commission, Prepayment top-ups and their alerts.</summary>
    Critical = 0,

    /// <summary>Supply control, Security and Change of Supplier, Tariff and Pricing; supply, outage and tamper alerts.</summary>
    High = 1,

    /// <summary>On-demand reads, configuration, firmware, inventory and the rest.</summary>
    Normal = 2,

    /// <summary>DCC-scheduled executions (scheduled reads).</summary>
    Low = 3,

    /// <summary>The bulk of alerts: released last and throttled, but never starved forever.</summary>
    Bulk = 4,
}
