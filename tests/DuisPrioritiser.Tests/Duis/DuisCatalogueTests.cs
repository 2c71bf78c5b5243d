using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Tests.Duis;

public class DuisCatalogueTests
{
    [Test]
    public void All_HasEvery129SrvsOfDuis54Once()
    {
        Assert.That(DuisCatalogue.All, Has.Count.EqualTo(129));
        Assert.That(DuisCatalogue.All.Select(e => e.Srv).Distinct().Count(), Is.EqualTo(129));
        Assert.That(DuisCatalogue.All[0].Srv.ToString(), Is.EqualTo("1.1.1"));
        Assert.That(DuisCatalogue.All[^1].Srv.ToString(), Is.EqualTo("14.1"));
    }

    [Test]
    public void All_CountsPerDefaultLevel_MatchTheCatalogue()
    {
        var counts = DuisCatalogue.All.GroupBy(e => e.DefaultLevel).ToDictionary(g => g.Key, g => g.Count());
        Assert.That(counts[PriorityLevel.Critical], Is.EqualTo(25));
        Assert.That(counts[PriorityLevel.High], Is.EqualTo(31));
        Assert.That(counts[PriorityLevel.Normal], Is.EqualTo(73));
        Assert.That(counts.ContainsKey(PriorityLevel.Low), Is.False);
        Assert.That(counts.ContainsKey(PriorityLevel.Bulk), Is.False);
    }

    [Test]
    public void All_CountsPerAttribute_MatchTheCatalogue()
    {
        Assert.That(DuisCatalogue.All.Count(e => e.IsCritical), Is.EqualTo(37));
        Assert.That(DuisCatalogue.All.Count(e => e.IsDccSchedulable), Is.EqualTo(13));
        Assert.That(DuisCatalogue.All.Count(e => e.IsNonDevice), Is.EqualTo(16));
        Assert.That(DuisCatalogue.All.Count(e => e.FutureDatedPattern == FutureDatedPattern.Device), Is.EqualTo(11));
        Assert.That(DuisCatalogue.All.Count(e => e.FutureDatedPattern == FutureDatedPattern.DspAndDevice), Is.EqualTo(1));
    }

    // Rows copied from srv-catalogue.csv: srv, name, critical, future-dated, schedulable, non-device, category, level.
    [TestCase("1.1.1", "Update Import Tariff (Primary Element)", true, FutureDatedPattern.Device, false, false, DuisCategory.TariffAndPricing, PriorityLevel.High)]
    [TestCase("1.5", "Update Meter Balance", true, FutureDatedPattern.None, false, false, DuisCategory.Prepayment, PriorityLevel.Critical)]
    [TestCase("2.2", "Top Up Device", false, FutureDatedPattern.None, false, false, DuisCategory.Prepayment, PriorityLevel.Critical)]
    [TestCase("3.1", "Display Message", false, FutureDatedPattern.Dsp, false, false, DuisCategory.Other, PriorityLevel.Normal)]
    [TestCase("4.1.1", "Read Instantaneous Import Registers", false, FutureDatedPattern.Dsp, false, false, DuisCategory.ReadsAndBilling, PriorityLevel.Normal)]
    [TestCase("4.3", "Read Instantaneous Prepay Values", false, FutureDatedPattern.Dsp, false, false, DuisCategory.Prepayment, PriorityLevel.Critical)]
    [TestCase("4.6.1", "Retrieve Import Daily Read Log", false, FutureDatedPattern.Dsp, true, false, DuisCategory.ReadsAndBilling, PriorityLevel.Normal)]
    [TestCase("4.8.1", "Read Active Import Profile Data", false, FutureDatedPattern.Dsp, true, false, DuisCategory.ReadsAndBilling, PriorityLevel.Normal)]
    [TestCase("4.11.1", "Read Tariff (Primary Element)", false, FutureDatedPattern.None, false, false, DuisCategory.TariffAndPricing, PriorityLevel.High)]
    [TestCase("4.14", "Read Prepayment Daily Read Log", false, FutureDatedPattern.Dsp, true, false, DuisCategory.Prepayment, PriorityLevel.Normal)]
    [TestCase("4.18", "Read Meter Balance", false, FutureDatedPattern.Dsp, false, false, DuisCategory.Prepayment, PriorityLevel.Critical)]
    [TestCase("5.1", "Create Schedule", false, FutureDatedPattern.None, false, true, DuisCategory.ReadsAndBilling, PriorityLevel.Normal)]
    [TestCase("6.2.10", "Read Device Configuration (Event and Alert Behaviours)", false, FutureDatedPattern.None, false, false, DuisCategory.Configuration, PriorityLevel.Normal)]
    [TestCase("6.15.1", "Update Security Credentials (KRP)", true, FutureDatedPattern.Device, false, false, DuisCategory.SecurityAndChangeOfSupplier, PriorityLevel.High)]
    [TestCase("6.20.1", "Set Device Configuration (Import MPxN)", false, FutureDatedPattern.Dsp, false, false, DuisCategory.InstallAndCommission, PriorityLevel.Critical)]
    [TestCase("6.23", "Update Security Credentials (CoS)", false, FutureDatedPattern.DspAndDevice, false, false, DuisCategory.SecurityAndChangeOfSupplier, PriorityLevel.High)]
    [TestCase("6.26", "Update Device Configuration (daily resetting of Tariff Block Counter Matrix)", true, FutureDatedPattern.None, false, false, DuisCategory.TariffAndPricing, PriorityLevel.High)]
    [TestCase("7.2", "Disable Supply", true, FutureDatedPattern.None, false, false, DuisCategory.SupplyControl, PriorityLevel.High)]
    [TestCase("7.16", "Limit APC Level", true, FutureDatedPattern.None, false, false, DuisCategory.SupplyControl, PriorityLevel.High)]
    [TestCase("8.1.1", "Commission Device", true, FutureDatedPattern.None, false, false, DuisCategory.InstallAndCommission, PriorityLevel.Critical)]
    [TestCase("8.2", "Read Inventory (Current and Future Suppliers may use this Service Request)", false, FutureDatedPattern.None, false, true, DuisCategory.InventoryAndDeviceManagement, PriorityLevel.Normal)]
    [TestCase("8.14.3", "Communications Hub Status Update. – Fault Return", false, FutureDatedPattern.None, false, true, DuisCategory.InstallAndCommission, PriorityLevel.Critical)]
    [TestCase("11.2", "Read Firmware Version", false, FutureDatedPattern.Dsp, false, false, DuisCategory.Firmware, PriorityLevel.Normal)]
    [TestCase("11.3", "Activate Firmware", true, FutureDatedPattern.Device, false, false, DuisCategory.Firmware, PriorityLevel.Normal)]
    [TestCase("12.2", "Device Pre-notification", false, FutureDatedPattern.None, false, true, DuisCategory.InventoryAndDeviceManagement, PriorityLevel.Normal)]
    [TestCase("14.1", "Record Network Data (GAS)", false, FutureDatedPattern.None, true, false, DuisCategory.ReadsAndBilling, PriorityLevel.Normal)]
    public void TryGet_CatalogueRow_MatchesCsv(string srv, string name, bool critical, FutureDatedPattern futureDated, bool schedulable, bool nonDevice, DuisCategory category, PriorityLevel level)
    {
        Assert.That(DuisCatalogue.TryGet(srv, out var entry), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(entry!.Srv.ToString(), Is.EqualTo(srv));
            Assert.That(entry.Name, Is.EqualTo(name));
            Assert.That(entry.IsCritical, Is.EqualTo(critical));
            Assert.That(entry.FutureDatedPattern, Is.EqualTo(futureDated));
            Assert.That(entry.IsDccSchedulable, Is.EqualTo(schedulable));
            Assert.That(entry.IsNonDevice, Is.EqualTo(nonDevice));
            Assert.That(entry.Category, Is.EqualTo(category));
            Assert.That(entry.DefaultLevel, Is.EqualTo(level));
        });
        Assert.That(DuisCatalogue.TryGet(ServiceReferenceVariant.Parse(srv), out var same), Is.True);
        Assert.That(same, Is.SameAs(entry));
    }

    [TestCase("4.4.1")] // not in DUIS 5.4
    [TestCase("6.2.6")]
    [TestCase("13.1")]
    [TestCase("4.1")]
    [TestCase("not an srv")]
    [TestCase(null)]
    public void TryGet_UnknownOrMalformed_ReturnsFalse(string? srv)
    {
        Assert.That(DuisCatalogue.TryGet(srv, out var entry), Is.False);
        Assert.That(entry, Is.Null);
    }

    [Test]
    public void Alerts_HaveEveryRowOfTheAlertTable()
    {
        Assert.That(DuisCatalogue.Alerts, Has.Count.EqualTo(51));
        Assert.That(DuisCatalogue.Alerts.Count(a => a.Kind == AlertCatalogueKind.DeviceAlert && !a.IsFallback), Is.EqualTo(39));
        Assert.That(DuisCatalogue.Alerts.Count(a => a.Kind == AlertCatalogueKind.DccAlert && !a.IsFallback), Is.EqualTo(2));
        Assert.That(DuisCatalogue.Alerts.Count(a => a.Kind == AlertCatalogueKind.DccAlertPayload), Is.EqualTo(8));
        Assert.That(DuisCatalogue.Alerts.Count(a => a.IsFallback), Is.EqualTo(2));
        Assert.That(DuisCatalogue.Alerts.Count(a => a.Kind == AlertCatalogueKind.DeviceAlert && a.DefaultLevel == PriorityLevel.Critical), Is.EqualTo(16));
        Assert.That(DuisCatalogue.Alerts.Count(a => a.Kind == AlertCatalogueKind.DeviceAlert && a.DefaultLevel == PriorityLevel.High), Is.EqualTo(23));
    }

    // Rows copied from alert-priorities.csv.
    [TestCase("8F0F", PriorityLevel.Critical)]
    [TestCase("810D", PriorityLevel.Critical)]
    [TestCase("81C5", PriorityLevel.Critical)]
    [TestCase("8F69", PriorityLevel.Critical)]
    [TestCase("8183", PriorityLevel.Critical)]
    [TestCase("8F32", PriorityLevel.High)]
    [TestCase("8F1D", PriorityLevel.High)]
    [TestCase("8F35", PriorityLevel.High)]
    [TestCase("8F3C", PriorityLevel.High)]
    [TestCase("8F3F", PriorityLevel.High)]
    [TestCase("8F78", PriorityLevel.High)]
    [TestCase("8f0f", PriorityLevel.Critical)]
    public void TryGetDeviceAlertLevel_ListedCode_ReturnsCsvLevel(string code, PriorityLevel expected)
    {
        Assert.That(DuisCatalogue.TryGetDeviceAlertLevel(DuisCode.Parse(code), out var level), Is.True);
        Assert.That(level, Is.EqualTo(expected));
    }

    [TestCase("8F66")]
    [TestCase("0001")]
    [TestCase("8F3D")]
    public void TryGetDeviceAlertLevel_UnlistedCode_FallsBackToBulk(string code)
    {
        Assert.That(DuisCatalogue.TryGetDeviceAlertLevel(DuisCode.Parse(code), out _), Is.False);
        Assert.That(DuisCatalogue.DefaultDeviceAlertLevel, Is.EqualTo(PriorityLevel.Bulk));
    }

    [TestCase("AD1", true, PriorityLevel.High)]
    [TestCase("N24", true, PriorityLevel.Critical)]
    [TestCase("N1", false, default(PriorityLevel))]
    public void TryGetDccAlertLevel_Code_ReturnsCsvLevel(string code, bool listed, PriorityLevel expected)
    {
        Assert.That(DuisCatalogue.TryGetDccAlertLevel(DuisCode.Parse(code), out var level), Is.EqualTo(listed));
        if (listed)
        {
            Assert.That(level, Is.EqualTo(expected));
        }
    }

    [TestCase("UpdateHANDeviceLogResult", PriorityLevel.Critical)]
    [TestCase("DeviceLogRestored", PriorityLevel.Critical)]
    [TestCase("PPMIDRemoval", PriorityLevel.Critical)]
    [TestCase("PowerOutageEvent", PriorityLevel.High)]
    [TestCase("ChangeOfSupplier", PriorityLevel.High)]
    [TestCase("ECoSAlert", PriorityLevel.High)]
    [TestCase("CoSCertificateAlert", PriorityLevel.High)]
    [TestCase("SecurityCredentialsUpdated", PriorityLevel.High)]
    public void TryGetDccAlertPayloadLevel_ListedPayload_ReturnsCsvLevel(string payload, PriorityLevel expected)
    {
        Assert.That(DuisCatalogue.TryGetDccAlertPayloadLevel(payload, out var level), Is.True);
        Assert.That(level, Is.EqualTo(expected));
    }

    [TestCase("CommandFailure")]
    [TestCase("powerOutageEvent")]
    [TestCase(null)]
    public void TryGetDccAlertPayloadLevel_UnlistedPayload_ReturnsFalse(string? payload)
    {
        Assert.That(DuisCatalogue.TryGetDccAlertPayloadLevel(payload, out _), Is.False);
        Assert.That(DuisCatalogue.DefaultDccAlertLevel, Is.EqualTo(PriorityLevel.Bulk));
    }
}
