using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;

namespace DuisPrioritiser.Tests.Release;

/// <summary>
/// End to end, in virtual time: a flood of 100,000 mixed messages released by the real scheduler and hosted loop to
/// a back-end of 32 workers at 20 ms per call (1,600 messages per second), with the default traffic policy.
/// </summary>
[Category("Stress")]
public class RecoveryFloodTests
{
    private const int FloodSize = 100_000;
    private const int Workers = 32;
    private static readonly TimeSpan s_serviceTime = TimeSpan.FromMilliseconds(20);

    [Test]
    public async Task Flood_DefaultPolicy_CriticalFirstBulkWithinBoundLimitNearCapacity()
    {
        var options = new ResponsePrioritisationOptions();
        options.Traffic.Bulk.MaxWait = TimeSpan.FromSeconds(75);
        var harness = new ReleaseLoopHarness(options, Workers, s_serviceTime);
        var flood = EnqueueFlood(harness.Scheduler, seed: 1);
        var lateCritical = new List<DuisMessage>();
        var lateArrivals = new Dictionary<DuisMessage, TimeSpan>();
        var limits = new List<int>();
        var start = harness.Time.GetUtcNow();
        TimeSpan? backlogCleared = null;
        int step = 0;

        await harness.Service.StartAsync(CancellationToken.None);
        await harness.RunUntilAsync(
            () => harness.BackEnd.Handled.Count == FloodSize + lateCritical.Count,
            TimeSpan.FromMilliseconds(1),
            TimeSpan.FromMinutes(5),
            () =>
            {
                // New Critical work keeps arriving during the drain: 10 per second.
                if (++step % 100 == 0 && backlogCleared is null)
                {
                    var message = TestMessages.Tagged(1_000_000 + step);
                    lateCritical.Add(message);
                    lateArrivals[message] = harness.Time.GetUtcNow() - start;
                    harness.Scheduler.TryEnqueue(message, PriorityLevel.Critical);
                }

                if (step % 100 == 0)
                {
                    limits.Add(harness.Service.Limiter.Limit);
                }

                if (backlogCleared is null && harness.Scheduler.Count == 0)
                {
                    backlogCleared = harness.Time.GetUtcNow() - start;
                }
            });
        await harness.Service.StopAsync(CancellationToken.None);

        var releases = harness.BackEnd.FirstRelease;
        long lastCritical = flood.Where(m => m.Level == PriorityLevel.Critical).Max(m => releases[m.Message].Order);
        var bulk = flood.Where(m => m.Level == PriorityLevel.Bulk).ToList();
        int bulkBeforeLastCritical = bulk.Count(m => releases[m.Message].Order < lastCritical);
        var bulkMaxWait = bulk.Max(m => releases[m.Message].Wait);
        var lateCriticalMaxWait = lateCritical.Where(m => lateArrivals[m] > TimeSpan.FromSeconds(10)).Max(m => releases[m].Wait);
        double clearSeconds = backlogCleared!.Value.TotalSeconds;
        double utilisation = harness.BackEnd.Calls * s_serviceTime.TotalSeconds / (Workers * clearSeconds);
        var steady = limits.Skip(limits.Count / 2).ToList();
        double averageLimit = steady.Average();
        TestContext.Out.WriteLine($"Backlog cleared in {clearSeconds:F1} s (ideal {FloodSize / 1600.0:F1} s); utilisation {utilisation:P1}.");
        TestContext.Out.WriteLine($"Bulk released before the last Critical: {bulkBeforeLastCritical} of {bulk.Count} ({bulkBeforeLastCritical / (double)bulk.Count:P1}); Bulk max wait {bulkMaxWait.TotalSeconds:F1} s.");
        TestContext.Out.WriteLine($"Critical arriving after the flood's Critical has gone (t > 10 s): max wait {lateCriticalMaxWait.TotalMilliseconds:F0} ms; in-flight limit second half avg {averageLimit:F1} (min {steady.Min()}, max {steady.Max()}), workers {Workers}.");

        Assert.That(bulkBeforeLastCritical, Is.LessThan(bulk.Count * 0.05), "every Critical goes before most of the Bulk backlog");
        Assert.That(bulkMaxWait, Is.LessThanOrEqualTo(options.Traffic.Bulk.MaxWait), "Bulk waits within its bound");
        Assert.That(lateCriticalMaxWait, Is.LessThan(TimeSpan.FromMilliseconds(100)), "new Critical work is not stuck behind the lower-level backlog");
        Assert.That(averageLimit, Is.InRange(Workers * 1.0, Workers * 1.6), "the in-flight limit converges near the back-end's capacity");
        Assert.That(utilisation, Is.GreaterThan(0.99), "the back-end is kept busy while a backlog exists");
        Assert.That(harness.BackEnd.Handled.Values, Is.All.EqualTo(1));
        Assert.That(harness.Sink.Count, Is.Zero);
        Assert.That(harness.Counting.Acks.Values.Select(a => a.Count), Is.All.EqualTo(1));
        Assert.That(harness.Scheduler.GetSnapshot().InFlight, Is.Zero);
    }

    [Test]
    public async Task Flood_TwentyPercentFailures_EveryMessageHandledOrDeadLetteredExactlyOnce()
    {
        var options = new ResponsePrioritisationOptions();
        options.Release.MaxReleaseAttempts = 4;
        options.Release.MaxRetryAttempts = 0;
        options.Release.RetryBaseDelay = TimeSpan.FromMilliseconds(200);
        options.Release.RetryMaxDelay = TimeSpan.FromSeconds(2);
        var harness = new ReleaseLoopHarness(options, Workers, s_serviceTime, failureRate: 0.2, seed: 42);
        var flood = EnqueueFlood(harness.Scheduler, seed: 2);

        await harness.Service.StartAsync(CancellationToken.None);
        await harness.RunUntilAsync(
            () => harness.Counting.Acknowledged == FloodSize && harness.Service.ActiveCount == 0,
            TimeSpan.FromMilliseconds(5), // no timing assertions here: coarser steps keep the test fast
            TimeSpan.FromMinutes(10));
        await harness.Service.StopAsync(CancellationToken.None);

        int handled = 0;
        int deadLettered = 0;
        foreach (var (message, _) in flood)
        {
            int handledCount = harness.BackEnd.Handled.GetValueOrDefault(message);
            int letters = harness.Sink.Letters.TryGetValue(message, out var reasons) ? reasons.Count : 0;
            Assert.That(handledCount + letters, Is.EqualTo(1), $"{message} must be handled or dead-lettered exactly once");
            var finals = harness.Counting.Acks[message].Where(a => a != ReleaseOutcome.Returned).ToList();
            Assert.That(finals, Has.Count.EqualTo(1), "acknowledged with a final outcome exactly once");
            Assert.That(harness.Counting.Acks[message].Last(), Is.EqualTo(handledCount == 1 ? ReleaseOutcome.Handled : ReleaseOutcome.DeadLettered));
            handled += handledCount;
            deadLettered += letters;
        }

        TestContext.Out.WriteLine($"Handled {handled}, dead-lettered {deadLettered} (expected about {FloodSize * Math.Pow(0.2, 4):F0}), handler calls {harness.BackEnd.Calls}, final limit {harness.Service.Limiter.Limit}.");
        Assert.That(handled + deadLettered, Is.EqualTo(FloodSize));
        Assert.That(deadLettered, Is.InRange(80, 250), "0.2^4 of 100,000 is 160");
        Assert.That(harness.Sink.Letters.Values.SelectMany(r => r), Is.All.EqualTo(DeadLetter.RetriesExhaustedReason));
        Assert.That(harness.Scheduler.Count, Is.Zero);
        Assert.That(harness.Scheduler.GetSnapshot().InFlight, Is.Zero);
    }

    [Test]
    public async Task Flood_ShutdownMidDrain_LosesNothing()
    {
        const int size = 20_000;
        var options = new ResponsePrioritisationOptions();
        options.Release.ShutdownTimeout = TimeSpan.FromMilliseconds(10);
        options.Release.RetryBaseDelay = TimeSpan.FromMilliseconds(100);
        var harness = new ReleaseLoopHarness(options, Workers, s_serviceTime, failureRate: 0.2, seed: 3);
        var flood = EnqueueFlood(harness.Scheduler, seed: 3, size);

        await harness.Service.StartAsync(CancellationToken.None);
        await harness.RunUntilAsync(() => harness.BackEnd.Handled.Count >= size / 2, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(5));
        Assert.That(harness.Service.ActiveCount, Is.GreaterThan(0), "shutdown happens with work in flight");

        var stop = harness.Service.StopAsync(CancellationToken.None);
        for (int i = 0; i < 10_000 && !stop.IsCompleted; i++)
        {
            await harness.SettleAsync();
            harness.Time.Advance(TimeSpan.FromMilliseconds(1));
        }

        await stop.WaitAsync(TimeSpan.FromSeconds(10));
        int handled = 0;
        int shutdown = 0;
        foreach (var (message, _) in flood)
        {
            int handledCount = harness.BackEnd.Handled.GetValueOrDefault(message);
            var reasons = harness.Sink.Letters.TryGetValue(message, out var bag) ? bag.ToList() : [];
            Assert.That(handledCount + reasons.Count, Is.EqualTo(1), $"{message} must be handled or dead-lettered exactly once");
            Assert.That(harness.Counting.Acks.TryGetValue(message, out var acks) ? acks.Count(a => a != ReleaseOutcome.Returned) : 0, Is.EqualTo(1), "acknowledged with a final outcome exactly once");
            handled += handledCount;
            shutdown += reasons.Count(r => r == DeadLetter.ShutdownReason);
        }

        TestContext.Out.WriteLine($"Shutdown: handled {handled}, dead-lettered {harness.Sink.Count} ({shutdown} with reason shutdown).");
        Assert.That(shutdown, Is.GreaterThan(size / 4), "the queued backlog went to the dead-letter sink");
        Assert.That(harness.Scheduler.Count, Is.Zero);
        Assert.That(harness.Scheduler.GetSnapshot().InFlight, Is.Zero);
        Assert.That(harness.Scheduler.Completion.IsCompleted, Is.True);
    }

    /// <summary>10% Critical, 5% High, 10% Normal, 20% Low, 55% Bulk, shuffled, all at once.</summary>
    private static List<(DuisMessage Message, PriorityLevel Level)> EnqueueFlood(ResponseReleaseScheduler scheduler, int seed, int size = FloodSize)
    {
        var random = new Random(seed);
        var flood = new List<(DuisMessage, PriorityLevel)>(size);
        for (int i = 0; i < size; i++)
        {
            int slot = i % 20;
            var level = slot switch
            {
                < 2 => PriorityLevel.Critical,
                2 => PriorityLevel.High,
                < 5 => PriorityLevel.Normal,
                < 9 => PriorityLevel.Low,
                _ => PriorityLevel.Bulk,
            };
            flood.Add((TestMessages.Tagged(i), level));
        }

        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(flood));
        foreach (var (message, level) in flood)
        {
            Assert.That(scheduler.TryEnqueue(message, level), Is.True);
        }

        return flood;
    }
}
