using DuisPrioritiser.Classification;
using StormSimulator.ScaleOut;
using StormSimulator.Simulation;

namespace DuisPrioritiser.PostgreSql.Tests;

/// <summary>
/// A small storm on three schedulers sharing one real PostgreSQL backlog (the simulator's <c>--instances 3</c> mode,
/// <see cref="ScaleOutSimulation"/>): nothing lost, nothing released twice, and Critical released ahead of Bulk that
/// was accepted before it.
/// </summary>
[TestFixture]
[NonParallelizable]
[Category("Stress")]
public sealed class StormScaleOutTests
{
    [Test]
    [CancelAfter(90_000)]
    public async Task ThreeInstances_SmallStorm_NothingLostOrDuplicated_AndCriticalOvertakesEarlierBulk(CancellationToken cancellationToken)
    {
        // 3,000 at t = 0 and 10/s for 30 s at 100/s: about 33 simulated seconds of backlog, run at 200 ms per
        // simulated second (about 12 s of wall-clock time).
        var options = new ScenarioOptions
        {
            Instances = 3,
            PostgresConnectionString = PostgresServer.ConnectionString,
            BacklogCount = 3_000,
            Capacity = 100,
            NormalRate = 10,
            DurationSeconds = 30,
            LatencySeconds = 0.3,
            TimeScaleMilliseconds = 200,
        };

        // As the simulator's command line does (ScaleOutCommand): three schedulers, their store loops and 30 back-end
        // workers share this process, and the thread pool's slow injection on 2 cores stalled a run long enough for
        // leases to expire (messages released twice).
        ThreadPool.GetMinThreads(out int workerThreads, out int ioThreads);
        ThreadPool.SetMinThreads(Math.Max(workerThreads, 64), Math.Max(ioThreads, 64));
        var result = await ScaleOutSimulation.RunAsync(options, line => TestContext.Out.WriteLine(line), cancellationToken);

        const int Critical = (int)PriorityLevel.Critical;
        TestContext.Out.WriteLine($"Critical p99 {result.Statistics[Critical].P99:0.00} s vs ideal {result.Ideal[Critical].P99:0.00} s ({result.CriticalRatio:0.00}x); "
            + $"{result.FloodBulkReleasedBeforeLastCritical} of {result.FloodBulkCount} backlog Bulk released before the last backlog Critical; by instance {string.Join('/', result.ReleasesByInstance)}.");
        Assert.Multiple(() =>
        {
            Assert.That(result.Accepted, Is.EqualTo(result.TraceCount), "every arrival accepted");
            Assert.That(result.Released, Is.EqualTo(result.TraceCount), "every accepted message released (matched by id)");
            Assert.That(result.Lost, Is.Zero);
            Assert.That(result.DuplicateReleases, Is.Zero, "no message released twice");
            Assert.That(result.LevelMismatches, Is.Zero);
            Assert.That(result.LeftInBacklog + result.DeadLettered, Is.Zero, "nothing left in the database");
            Assert.That(result.ReleasesByInstance, Is.All.GreaterThan(0), "every instance released");

            // Every message of the backlog was accepted at t = 0, Bulk and Critical interleaved; the Default policy gives
            // Bulk a 5% minimum share, so the last Critical must come before all but a few percent of that Bulk.
            Assert.That(result.FloodBulkCount, Is.GreaterThan(1_000));
            Assert.That(result.FloodBulkReleasedBeforeLastCritical, Is.LessThanOrEqualTo(result.FloodBulkCount / 10), "Critical released before the Bulk accepted with or before it");
        });
    }
}
