using StormSimulator.Simulation;

namespace DuisPrioritiser.Tests.Simulation;

/// <summary>The storm simulator's <c>--backend-outage</c> option: parsing and validation, and a small end-to-end run through the real release loop.</summary>
public class BackendOutageScenarioTests
{
    /// <summary>Generous for a slow, shared 2-core machine: one run takes a few seconds.</summary>
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromMinutes(3);

    /// <summary>
    /// A small scenario (2,000 messages at t = 0, 50/s for a minute, the back-end down from 10 s to 40 s) through the
    /// hosted release loop, both policies with and without the outage, in parallel. Before the engine waited for
    /// late continuations of the release loop, about one run in three of this size ended "stuck" (or hung in
    /// shutdown); it runs three times so that a regression shows.
    /// </summary>
    [Test]
    [Category("Stress")]
    public void Run_SmallScenarioWithOutage_CompletesWithNothingLost()
    {
        for (int run = 0; run < 3; run++)
        {
            var options = new ScenarioOptions
            {
                BacklogCount = 2_000,
                DurationSeconds = 60,
                BackendOutage = new BackendOutage(10, 30),
                Seed = 20260101 + run,
                Parallel = true,
            };

            var simulation = Task.Run(() => StormSimulation.Run(options));
            Assert.That(simulation.Wait(s_runTimeout), Is.True, $"run {run} did not finish within {s_runTimeout}");

            var runs = simulation.Result.Runs;
            Assert.That(runs.Select(r => r.Name), Is.EquivalentTo(new[] { PolicyNames.StrictPriority, PolicyNames.Default }));
            foreach (var policy in runs)
            {
                var outage = policy.Outage!;
                Assert.Multiple(() =>
                {
                    Assert.That(policy.Releases, Is.EqualTo(simulation.Result.TraceCount), policy.Name);
                    Assert.That(outage.DeadLettered, Is.Zero, policy.Name);
                    Assert.That(outage.Duplicates, Is.Zero, policy.Name);
                    Assert.That(outage.BackendCallsDuringOutage, Is.GreaterThan(0).And.LessThan(1_000), policy.Name);
                    Assert.That(outage.BreakerOpenings, Is.GreaterThan(0), policy.Name);
                    Assert.That(outage.NoOutage!.Releases, Is.EqualTo(simulation.Result.TraceCount), policy.Name);
                });
            }
        }
    }

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
