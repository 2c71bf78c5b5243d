using StormSimulator.Simulation;

namespace DuisPrioritiser.Tests.Simulation;

/// <summary>The storm simulator's <c>--backend-outage</c> option: parsing and validation.</summary>
public class BackendOutageScenarioTests
{
    [Test]
    public void Parse_BackendOutage_IsApplied()
    {
        var (options, _, _) = CommandLine.Parse(["--backend-outage", "300:600"]);

        Assert.That(options.BackendOutage, Is.EqualTo(new BackendOutage(300, 600)));
        Assert.That(options.BackendOutage!.EndTicks, Is.EqualTo(TimeSpan.FromSeconds(900).Ticks));
    }

    [TestCase("300", "START:DURATION")]
    [TestCase("300:", "START:DURATION")]
    [TestCase("a:600", "START:DURATION")]
    [TestCase("1:2:3", "START:DURATION")]
    [TestCase("NaN:600", "START:DURATION")]
    [TestCase("-1:600", "START must be 0 or more")]
    [TestCase("300:0", "DURATION must be greater than 0")]
    [TestCase("300:-5", "DURATION must be greater than 0")]
    [TestCase("300:100000", "at most 86400 seconds")]
    public void Parse_MalformedBackendOutage_SaysWhatToUse(string value, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => CommandLine.Parse(["--backend-outage", value]));

        Assert.That(error!.Message, Does.Contain(expected).And.Contain("--backend-outage"));
    }

    [Test]
    public void Parse_BackendOutageWithAQueueWithoutReleaseLoop_IsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => CommandLine.Parse(["--backend-outage", "10:20", "--policies", "Fifo"]));

        Assert.That(error!.Message, Does.Contain("StrictPriority, Default"));
    }
}
