using StormSimulator.Simulation;

namespace DuisPrioritiser.Tests.Simulation;

public class CommandLineTests
{
    [Test]
    public void Parse_NoArguments_GivesTheDefaultScenario()
    {
        var (options, output, help) = CommandLine.Parse([]);

        Assert.Multiple(() =>
        {
            Assert.That(help, Is.False);
            Assert.That(output, Is.EqualTo("storm-output"));
            Assert.That(options.BacklogCount, Is.EqualTo(1_000_000));
            Assert.That(options.Capacity, Is.EqualTo(500));
            Assert.That(options.BulkMaxWaitSeconds, Is.Null, "the library default applies");
            Assert.That(options.Policies, Is.Empty);
        });
    }

    [Test]
    public void Parse_EveryOption_IsApplied()
    {
        var (options, output, _) = CommandLine.Parse(
        [
            "--out", "x", "--n", "1_000", "--capacity", "50", "--normal-rate", "5", "--duration", "60", "--seed", "9",
            "--latency", "0.2", "--latency-jitter", "0.1", "--failure-rate", "0.05", "--retry-delay", "2",
            "--mix", "alerts=50,scheduled=30", "--alert-mix", "bulk=1,outage=1", "--bulk-max-wait", "600",
            "--bulk-min-share", "0.1", "--overdue-share", "0.25", "--bulk-recovery-rate", "10",
            "--policies", "Fifo,Default", "--sample", "5", "--poll", "0.01", "--sequential",
        ]);

        Assert.Multiple(() =>
        {
            Assert.That(output, Is.EqualTo("x"));
            Assert.That(options.BacklogCount, Is.EqualTo(1000));
            Assert.That(options.Capacity, Is.EqualTo(50));
            Assert.That(options.NormalRate, Is.EqualTo(5));
            Assert.That(options.DurationSeconds, Is.EqualTo(60));
            Assert.That(options.Seed, Is.EqualTo(9));
            Assert.That(options.Workers, Is.EqualTo(10));
            Assert.That(options.LatencyJitter, Is.EqualTo(0.1));
            Assert.That(options.FailureRate, Is.EqualTo(0.05));
            Assert.That(options.RetryDelaySeconds, Is.EqualTo(2));
            Assert.That(options.Mix.Categories["alerts"], Is.EqualTo(50));
            Assert.That(options.Mix.Categories["install"], Is.EqualTo(3), "unnamed categories keep their default weight");
            Assert.That(options.Mix.AlertKinds["supply"], Is.EqualTo(1));
            Assert.That(options.BulkMaxWaitSeconds, Is.EqualTo(600));
            Assert.That(options.BulkMinShare, Is.EqualTo(0.1));
            Assert.That(options.OverdueShare, Is.EqualTo(0.25));
            Assert.That(options.BulkRecoveryRate, Is.EqualTo(10));
            Assert.That(options.Policies, Is.EqualTo(new[] { "Fifo", "Default" }));
            Assert.That(options.SampleSeconds, Is.EqualTo(5));
            Assert.That(options.PollSeconds, Is.EqualTo(0.01));
            Assert.That(options.Parallel, Is.False);
        });
    }

    [TestCase("--bogus", "1", "Unknown option")]
    [TestCase("--n", "many", "whole number")]
    [TestCase("--capacity", "0", "--capacity")]
    [TestCase("--normal-rate", "600", "below --capacity")]
    [TestCase("--mix", "alerts=x", "--mix")]
    [TestCase("--mix", "gossip=3", "--mix")]
    [TestCase("--policies", "Lifo", "unknown policy")]
    [TestCase("--bulk-min-share", "0.9", "--bulk-min-share")]
    public void Parse_BadValue_ThrowsSayingWhatToFix(string name, string value, string expected)
    {
        Assert.That(() => CommandLine.Parse([name, value]), Throws.ArgumentException.With.Message.Contains(expected));
    }

    [Test]
    public void Parse_MissingValue_Throws()
    {
        Assert.That(() => CommandLine.Parse(["--n"]), Throws.ArgumentException.With.Message.Contains("needs a value"));
    }

    [Test]
    public void Parse_Help_ReportsHelp()
    {
        Assert.That(CommandLine.Parse(["--help"]).Help, Is.True);
    }

    [Test]
    public void Parse_Instances_AppliesTheScaleOutOptions()
    {
        var (options, _, _) = CommandLine.Parse(["--instances", "3", "--postgres", "Host=db;Database=duis", "--time-scale", "50", "--wall-limit", "600"]);

        Assert.Multiple(() =>
        {
            Assert.That(options.Instances, Is.EqualTo(3));
            Assert.That(options.PostgresConnectionString, Is.EqualTo("Host=db;Database=duis"));
            Assert.That(options.TimeScaleMilliseconds, Is.EqualTo(50));
            Assert.That(options.WallLimitSeconds, Is.EqualTo(600));
        });
    }

    [TestCase("--policies", "Fifo")]
    [TestCase("--failure-rate", "0.1")]
    [TestCase("--time-scale", "0")]
    [TestCase("--wall-limit", "0")]
    [TestCase("--backend-outage", "10:10")]
    public void Parse_Instances_WithAnOptionThatDoesNotApply_SaysWhy(string name, string value)
    {
        Assert.That(() => CommandLine.Parse(["--instances", "3", "--postgres", "Host=db", name, value]), Throws.ArgumentException);
    }
}
