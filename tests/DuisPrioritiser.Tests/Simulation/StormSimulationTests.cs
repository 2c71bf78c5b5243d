using DuisPrioritiser.Classification;
using StormSimulator.Simulation;

namespace DuisPrioritiser.Tests.Simulation;

public class StormSimulationTests
{
    /// <summary>The default scenario scaled down 50x (backlog, capacity and rates), so it runs in about a second.</summary>
    private static ScenarioOptions Scaled() => new()
    {
        BacklogCount = 20_000,
        Capacity = 100,
        NormalRate = 10,
        DurationSeconds = 400,
        LatencySeconds = 0.1,
        Seed = 11,
        Parallel = false,
    };

    [Test]
    public void Run_ScaledDefaultScenario_DefaultPolicyMeetsEveryTarget()
    {
        var result = StormSimulation.Run(Scaled());

        var targets = result.EvaluateTargets();

        Assert.That(targets, Has.Count.EqualTo(4));
        Assert.That(targets.Where(t => !t.Met).Select(t => $"{t.Target}: {t.Measured}"), Is.Empty);
    }

    [Test]
    public void Run_ScaledDefaultScenario_PoliciesRankAsExpected()
    {
        var result = StormSimulation.Run(Scaled());
        const int Critical = (int)PriorityLevel.Critical;
        const int Bulk = (int)PriorityLevel.Bulk;

        double fifo = result.Statistics[PolicyNames.Fifo][Critical].P99;
        double strict = result.Statistics[PolicyNames.StrictPriority][Critical].P99;
        double ideal = result.Ideal[Critical].P99;
        Assert.Multiple(() =>
        {
            Assert.That(strict, Is.EqualTo(ideal).Within(0.5), "the real strict scheduler reaches the ideal for Critical");
            Assert.That(fifo / ideal, Is.InRange(8.0, 11.0), "Critical is about a tenth of the backlog, so FIFO is about 10x the ideal");
            Assert.That(result.Find(PolicyNames.StrictPriority)!.ContestedBulkShare, Is.Zero, "strict priority releases no Bulk while higher levels wait");
            Assert.That(result.Find(PolicyNames.Default)!.MinWindowBulkShare, Is.GreaterThanOrEqualTo(0.049), "the default policy gives Bulk its 5% minimum share");
            Assert.That(result.Statistics[PolicyNames.Default][Bulk].Count, Is.EqualTo(result.CountByLevel[Bulk]));
        });
    }

    [Test]
    public void Run_InfeasibleBulkBound_BulkGetsItsShareAndNewCriticalIsNotHeldUp()
    {
        var options = Scaled();
        options.BulkMaxWaitSeconds = 10; // Bulk alone needs far longer than 10 s at full capacity
        options.Policies = [PolicyNames.StrictPriority, PolicyNames.Default];

        var result = StormSimulation.Run(options);

        var run = result.Find(PolicyNames.Default)!;
        var critical = result.Statistics[PolicyNames.Default][(int)PriorityLevel.Critical];
        Assert.Multiple(() =>
        {
            Assert.That(run.MinWindowBulkShare, Is.GreaterThanOrEqualTo(0.049), "Bulk keeps at least its minimum share");
            Assert.That(run.ContestedBulkShare, Is.InRange(0.3, 0.55), "overdue Bulk takes up to the overdue share (50%), not everything");
            Assert.That(critical.Max, Is.LessThan(result.Ideal[(int)PriorityLevel.Critical].Max * 2.2), "Critical keeps at least the other half of the capacity");
            Assert.That(result.NewCritical[PolicyNames.Default].Max, Is.LessThan(0.1), "new Critical work is released within a call or two");
            Assert.That(run.Utilisation, Is.GreaterThanOrEqualTo(0.99));
        });
    }

    [Test]
    public void Run_BulkThrottledInRecovery_LeavesTheBackEndIdleWhileBulkWaits()
    {
        // A throttle below capacity keeps Bulk waiting while the back-end has nothing else to do: the reason the
        // default policy has no throttles.
        var options = Scaled();
        options.BulkRecoveryRate = 20;
        options.Policies = [PolicyNames.Default];

        var result = StormSimulation.Run(options);

        Assert.That(result.Find(PolicyNames.Default)!.Utilisation, Is.LessThan(0.9));
    }
}
