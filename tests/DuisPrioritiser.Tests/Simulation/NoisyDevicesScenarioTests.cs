using StormSimulator.NoisyDevices;

namespace DuisPrioritiser.Tests.Simulation;

public class NoisyDevicesScenarioTests
{
    [Test]
    public void Run_SmallStorm_FairBulkCutsTheWellBehavedDevicesTail_AndLeavesCriticalAlone()
    {
        var settings = NoisyDevicesScenario.Settings.Parse(["--devices", "2000", "--storm", "120", "--after", "240"])!;
        var trace = NoisyDevicesScenario.Trace.Generate(settings);
        Assert.That(trace.NoisyCount, Is.InRange(trace.Messages.Length * 0.35, trace.Messages.Length * 0.5), "the 1% noisy devices send half of the alerts");

        var fifo = NoisyDevicesScenario.Run(trace, settings, fair: false);
        var fair = NoisyDevicesScenario.Run(trace, settings, fair: true);

        Assert.Multiple(() =>
        {
            Assert.That(fifo.Released, Is.EqualTo(trace.Messages.Length), "FIFO released everything");
            Assert.That(fair.Released, Is.EqualTo(trace.Messages.Length), "fair released everything");
            Assert.That(fifo.LightBulk.P99, Is.GreaterThan(2 * fair.LightBulk.P99), "at least 2x better for the well-behaved devices");
            Assert.That(fair.NoisyBulk.P99, Is.GreaterThanOrEqualTo(fifo.NoisyBulk.P99), "the noisy devices pay for their storm");
            Assert.That(fair.Critical.P99, Is.EqualTo(fifo.Critical.P99).Within(2).Percent, "Critical unchanged");
        });
    }

    [Test]
    public void Run_SmallStorm_ConsolidationCutsHandlerCalls_ReleasesEveryMessage_AndLeavesCriticalAlone()
    {
        var settings = NoisyDevicesScenario.Settings.Parse(["--devices", "2000", "--storm", "120", "--after", "240"])!;
        var trace = NoisyDevicesScenario.Trace.Generate(settings);
        var fair = NoisyDevicesScenario.Run(trace, settings, fair: true);
        var consolidated = NoisyDevicesScenario.Run(trace, settings, fair: true, consolidate: true);

        Assert.Multiple(() =>
        {
            Assert.That(fair.HandlerCalls, Is.EqualTo(trace.Messages.Length), "one call per message without consolidation");
            Assert.That(consolidated.Released, Is.EqualTo(trace.Messages.Length), "every message released with consolidation");
            Assert.That(consolidated.HandlerCalls, Is.LessThan(fair.HandlerCalls * 0.9), "at least 10% fewer handler calls");
            // Not worse (within 2%); it may be better: fewer Bulk calls keep the workers free for Critical sooner.
            Assert.That(consolidated.Critical.P99, Is.LessThanOrEqualTo(fair.Critical.P99 * 1.02), "Critical no worse");
        });
    }

    [Test]
    public void Settings_Parse_RefusesAnUnknownOptionAndAnImpossibleCapacity()
    {
        Assert.That(NoisyDevicesScenario.Settings.Parse(["--help"]), Is.Null);
        Assert.Throws<ArgumentException>(() => NoisyDevicesScenario.Settings.Parse(["--bogus", "1"]));
        Assert.Throws<ArgumentException>(() => NoisyDevicesScenario.Settings.Parse(["--capacity", "10", "--critical", "20"]));
    }
}
