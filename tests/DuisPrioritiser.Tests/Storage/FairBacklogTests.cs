using System.Globalization;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Journal;
using DuisPrioritiser.Release;
using DuisPrioritiser.Storage.Internal;
using DuisPrioritiser.Tests.Journal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DuisPrioritiser.Tests.Storage;

/// <summary>Fair levels (<see cref="LevelTrafficOptions.FairQueueing"/>) wired through the backlog and the scheduler.</summary>
public class FairBacklogTests
{
    private const ulong Noisy = 0x887384570000_0001;

    [Test]
    public void Scheduler_BulkByDefault_ReleasesALightDevicesAlertAheadOfANoisyDevicesBacklog()
    {
        using var scheduler = new ResponseReleaseScheduler(Options(), timeProvider: new FakeTimeProvider());
        for (int i = 0; i < 500; i++)
        {
            Assert.That(scheduler.TryEnqueue(Alert(Noisy, i), PriorityLevel.Bulk), Is.True);
        }

        Assert.That(scheduler.TryEnqueue(Alert(Noisy + 1, 0), PriorityLevel.Bulk), Is.True);
        Assert.That(scheduler.TryEnqueue(Alert(Noisy + 2, 0), PriorityLevel.Bulk), Is.True);

        var first = Take(scheduler, 3).Select(m => m.Message.Device!.Value.Value).ToList();
        Assert.That(first, Is.EqualTo(new[] { Noisy, Noisy + 1, Noisy + 2 }), "one message per device in turn");
        var rest = Take(scheduler, 499);
        Assert.That(rest.Select(m => m.Message.ResponseId), Is.EqualTo(Enumerable.Range(1, 499).Select(i => Alert(Noisy, i).ResponseId)), "FIFO within the noisy device");
        Assert.That(scheduler.TryDequeue(out _), Is.False);
    }

    [Test]
    public void Scheduler_FairQueueingOff_IsFifoWithinTheLevel()
    {
        var options = Options();
        options.Traffic.Bulk.FairQueueing = false;
        using var scheduler = new ResponseReleaseScheduler(options, timeProvider: new FakeTimeProvider());
        for (int i = 0; i < 50; i++)
        {
            scheduler.TryEnqueue(Alert(Noisy, i), PriorityLevel.Bulk);
        }

        scheduler.TryEnqueue(Alert(Noisy + 1, 0), PriorityLevel.Bulk);
        Assert.That(Take(scheduler, 51).Last().Message.Device!.Value.Value, Is.EqualTo(Noisy + 1));
    }

    [Test]
    public void Scheduler_OtherLevelsStayFifo_AndFairnessCanBeTurnedOnForThem()
    {
        var options = Options();
        options.Traffic.Low.FairQueueing = true;
        using var scheduler = new ResponseReleaseScheduler(options, timeProvider: new FakeTimeProvider());
        for (int i = 0; i < 5; i++)
        {
            scheduler.TryEnqueue(Alert(Noisy, i), PriorityLevel.Normal);
            scheduler.TryEnqueue(Alert(Noisy, 100 + i), PriorityLevel.Low); // another counter: not a duplicate
        }

        scheduler.TryEnqueue(Alert(Noisy + 1, 0), PriorityLevel.Normal);
        scheduler.TryEnqueue(Alert(Noisy + 1, 100), PriorityLevel.Low);

        var normal = Take(scheduler, 6);
        Assert.That(normal.Select(m => m.Level), Is.All.EqualTo(PriorityLevel.Normal));
        Assert.That(normal.Last().Message.Device!.Value.Value, Is.EqualTo(Noisy + 1), "Normal is FIFO");
        var low = Take(scheduler, 6);
        Assert.That(low[1].Message.Device!.Value.Value, Is.EqualTo(Noisy + 1), "Low was made fair");
    }

    [Test]
    public async Task Scheduler_FairLevel_ReturnedMessageComesBackFirstAndCountsInTheLevelState()
    {
        var time = new FakeTimeProvider();
        using var scheduler = new ResponseReleaseScheduler(Options(), timeProvider: time);
        scheduler.TryEnqueue(Alert(Noisy, 0), PriorityLevel.Bulk);
        time.Advance(TimeSpan.FromSeconds(10));
        scheduler.TryEnqueue(Alert(Noisy, 1), PriorityLevel.Bulk);
        scheduler.TryEnqueue(Alert(Noisy + 1, 0), PriorityLevel.Bulk);

        Assert.That(scheduler.TryDequeue(out var first), Is.True);
        Assert.That(first.Message.ResponseId, Is.EqualTo(Alert(Noisy, 0).ResponseId));
        var bulk = scheduler.GetSnapshot().Levels[(int)PriorityLevel.Bulk];
        Assert.That(bulk.Count, Is.EqualTo(2));
        Assert.That(bulk.OldestWait, Is.EqualTo(TimeSpan.Zero), "the two held arrived at the current time");

        await scheduler.AcknowledgeAsync(first, ReleaseOutcome.Returned);
        bulk = scheduler.GetSnapshot().Levels[(int)PriorityLevel.Bulk];
        Assert.That(bulk.Count, Is.EqualTo(3));
        Assert.That(bulk.OldestWait, Is.EqualTo(TimeSpan.FromSeconds(10)), "the returned message is the oldest");

        var again = Take(scheduler, 3);
        Assert.That(again[0].Message.ResponseId, Is.EqualTo(first.Message.ResponseId));
        Assert.That(again[0].Attempts, Is.EqualTo(1));
        Assert.That(again.Skip(1).Select(m => m.Message.Device!.Value.Value), Is.EquivalentTo(new[] { Noisy, Noisy + 1 }));
    }

    [Test]
    public void Scheduler_FairLevel_OldestWaitIsTheNoisyDevicesHead_SoMaxWaitStillBounds()
    {
        var time = new FakeTimeProvider();
        using var scheduler = new ResponseReleaseScheduler(Options(), timeProvider: time);
        for (int i = 0; i < 3; i++)
        {
            scheduler.TryEnqueue(Alert(Noisy, i), PriorityLevel.Bulk);
        }

        time.Advance(TimeSpan.FromMinutes(30));
        scheduler.TryEnqueue(Alert(Noisy + 1, 0), PriorityLevel.Bulk);
        Take(scheduler, 2); // the noisy device's first, then the light device's: the noisy device's next is oldest
        Assert.That(scheduler.GetSnapshot().Levels[(int)PriorityLevel.Bulk].OldestWait, Is.EqualTo(TimeSpan.FromMinutes(30)));
    }

    [Test]
    public void Scheduler_FairBulk_OverdueByTheNoisyDevicesOldestMessage_IsReleasedAheadOfHigherLevels()
    {
        var time = new FakeTimeProvider();
        var options = Options();
        options.Traffic.Bulk.MaxWait = TimeSpan.FromMinutes(1);
        options.Traffic.Bulk.MinShare = 0; // only the bound can put Bulk ahead
        using var scheduler = new ResponseReleaseScheduler(options, timeProvider: time);
        for (int i = 0; i < 5; i++)
        {
            scheduler.TryEnqueue(Alert(Noisy, i), PriorityLevel.Bulk);
        }

        time.Advance(TimeSpan.FromMinutes(2));
        scheduler.TryEnqueue(Alert(Noisy + 1, 0), PriorityLevel.Bulk);

        // Releasing the noisy device's first puts its bucket behind the light device's: the level's next message is
        // young, but its oldest (the noisy device's next) is two minutes old, so the level is overdue.
        Assert.That(Take(scheduler, 1)[0].Message.Device!.Value.Value, Is.EqualTo(Noisy));
        Assert.That(scheduler.GetSnapshot().Levels[(int)PriorityLevel.Bulk].OldestWait, Is.EqualTo(TimeSpan.FromMinutes(2)));
        for (int i = 0; i < 20; i++)
        {
            scheduler.TryEnqueue(TestMessages.Tagged(i), PriorityLevel.Normal);
        }

        var released = Take(scheduler, 25);
        int firstBulk = released.FindIndex(m => m.Level == PriorityLevel.Bulk);
        Assert.That(firstBulk, Is.InRange(0, 2), "overdue Bulk goes ahead of Normal (within the overdue share)");
        Assert.That(released.Where(m => m.Level == PriorityLevel.Bulk).Select(m => m.Message.Device!.Value.Value), Is.EqualTo(new[] { Noisy + 1, Noisy, Noisy, Noisy, Noisy }), "in turn, then the noisy device's rest");
    }

    [Test]
    public void Scheduler_UseFlowKey_ASelectorThatThrows_StillHoldsAndReleasesTheMessage()
    {
        var options = Options();
        options.Traffic.UseFlowKey(message => message.AlertCode == DuisCode.Parse("8F35") ? throw new InvalidOperationException("bad selector") : 7UL);
        using var scheduler = new ResponseReleaseScheduler(options, timeProvider: new FakeTimeProvider());
        Assert.That(scheduler.TryEnqueue(Alert(Noisy, 0, "8F35"), PriorityLevel.Bulk), Is.True);
        Assert.That(scheduler.TryEnqueue(Alert(Noisy, 1), PriorityLevel.Bulk), Is.True);
        Assert.That(Take(scheduler, 2).Select(m => m.Message.AlertCode.ToString()), Is.EquivalentTo(new[] { "8F35", "8FFE" }));
        Assert.That(scheduler.Count, Is.Zero);
    }

    [Test]
    public void Scheduler_UseFlowKey_KeysFlowsByTheSelector()
    {
        var options = Options();
        options.Traffic.UseFlowKey(message => message.AlertCode == DuisCode.Parse("8F35") ? 1UL : 2UL);
        using var scheduler = new ResponseReleaseScheduler(options, timeProvider: new FakeTimeProvider());
        for (int i = 0; i < 20; i++)
        {
            scheduler.TryEnqueue(Alert(Noisy + (ulong)i, i, "8F35"), PriorityLevel.Bulk);
        }

        scheduler.TryEnqueue(Alert(Noisy, 99, "8F0F"), PriorityLevel.Bulk);
        Assert.That(Take(scheduler, 2)[1].Message.AlertCode, Is.EqualTo(DuisCode.Parse("8F0F")), "one flow per code, whatever the device");
    }

    [Test]
    public async Task Journal_FairLevel_RecoversEveryMessageAfterARestart_FifoWithinEachDevice()
    {
        using var directory = new JournalTestDirectory();
        var options = Options();
        options.Journal = new JournalOptions { Directory = directory.Path };
        await using (var scheduler = new ResponseReleaseScheduler(options))
        {
            for (int i = 0; i < 20; i++)
            {
                Assert.That(await scheduler.EnqueueWithResultAsync(Alert(Noisy + (ulong)(i % 3 == 0 ? 1 : 0), i)), Is.EqualTo(EnqueueResult.Accepted));
            }

            Assert.That(scheduler.TryDequeue(out var handled), Is.True);
            await scheduler.AcknowledgeAsync(handled);
            Assert.That(scheduler.TryDequeue(out _), Is.True, "released, never acknowledged: recovered");
        }

        await using var restarted = new ResponseReleaseScheduler(options);
        var recovered = Take(restarted, 19);
        Assert.That(restarted.TryDequeue(out _), Is.False);
        Assert.That(recovered.Select(m => m.Level), Is.All.EqualTo(PriorityLevel.Bulk), "device alerts with no rule are Bulk by default");
        foreach (var device in recovered.GroupBy(m => m.Message.Device!.Value.Value))
        {
            var counters = device.Select(m => Counter(m.Message)).ToList();
            Assert.That(counters, Is.Ordered, $"FIFO within device {device.Key:X}");
        }

        Assert.That(recovered.Select(m => Counter(m.Message)).Order(), Is.EqualTo(Enumerable.Range(1, 19)), "all but the handled one, none twice");
        foreach (var message in recovered)
        {
            await restarted.AcknowledgeAsync(message);
        }
    }

    [Test]
    public void Options_BindFairnessFromConfiguration_AndValidateTheBucketCount()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Traffic:Bulk:FairQueueing"] = "false",
            ["Traffic:Low:FairQueueing"] = "true",
            ["Traffic:FlowBuckets"] = "8192",
        }).Build();
        using var provider = new ServiceCollection().AddResponsePrioritisation(configuration).Services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<ResponsePrioritisationOptions>>().Value;
        Assert.That(options.Traffic.Bulk.FairQueueing, Is.False);
        Assert.That(options.Traffic.Low.FairQueueing, Is.True);
        Assert.That(options.Traffic.FlowBuckets, Is.EqualTo(8192));
        Assert.That(BacklogFairness.From(options.Traffic)!.LevelMask, Is.EqualTo(1 << (int)PriorityLevel.Low));

        var invalid = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Traffic:FlowBuckets"] = "8" }).Build();
        using var refused = new ServiceCollection().AddResponsePrioritisation(invalid).Services.BuildServiceProvider();
        Assert.That(
            () => refused.GetRequiredService<IOptions<ResponsePrioritisationOptions>>().Value,
            Throws.InstanceOf<OptionsValidationException>().With.Message.Contains("FlowBuckets"));
        Assert.That(() => new ResponseReleaseScheduler(new ResponsePrioritisationOptions { Traffic = { FlowBuckets = 8 } }), Throws.ArgumentException.With.Message.Contains("FlowBuckets"));
    }

    [Test]
    public void Builder_UseFlowKey_ReachesTheOptions()
    {
        Func<DuisMessage, ulong> selector = message => (ulong)message.AlertCode.GetHashCode();
        using var provider = new ServiceCollection().AddResponsePrioritisation().UseFlowKey(selector).Services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<ResponsePrioritisationOptions>>().Value;
        Assert.That(BacklogFairness.From(options.Traffic)!.FlowKey, Is.SameAs(selector));
        Assert.That(BacklogFairness.From(new TrafficOptions())!.FlowKey, Is.SameAs(BacklogFairness.DeviceFlowKey));
    }

    [Test]
    public void Tuning_FairnessIsAStartTimeSetting_ApplyRefusesIt()
    {
        using var provider = new ServiceCollection().AddResponsePrioritisation().Services.BuildServiceProvider();
        var tuning = provider.GetRequiredService<DuisPrioritiser.Tuning.IPrioritisationTuning>();
        var result = tuning.Apply(o => o.Traffic.Bulk.FairQueueing = false);
        Assert.That(result.Applied, Is.False);
        Assert.That(result.Errors, Has.Some.Contains("Traffic:Bulk:FairQueueing"));
        Assert.That(tuning.Apply(o => o.Traffic.FlowBuckets = 64).Errors, Has.Some.Contains("Traffic:FlowBuckets"));
        Assert.That(tuning.Current.Traffic.Bulk.FairQueueing, Is.True);
    }

    [Test]
    [Category("Stress")]
    [CancelAfter(120_000)]
    public async Task Scheduler_FairBulk_FourProducersFourReaders_WithReturns_LosesNothingAndDuplicatesNothing()
    {
        const int Producers = 4;
        const int Readers = 4;
        const int PerProducer = 25_000;
        var options = Options();
        options.Capacity = Producers * PerProducer;
        options.Deduplication.Enabled = false;
        using var scheduler = new ResponseReleaseScheduler(options);
        var handled = new int[Producers * PerProducer];
        long done = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));

        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(() =>
        {
            var rng = new Random(p);
            for (int i = 0; i < PerProducer; i++)
            {
                // Devices: one noisy per producer (half of its messages), 200 light ones shared by all.
                ulong device = rng.Next(2) == 0 ? Noisy + (ulong)p : Noisy + 100 + (ulong)rng.Next(200);
                if (!scheduler.TryEnqueue(Alert(device, (p * PerProducer) + i), PriorityLevel.Bulk))
                {
                    throw new InvalidOperationException("refused");
                }
            }
        })).ToArray();

        var readers = Enumerable.Range(0, Readers).Select(r => Task.Run(async () =>
        {
            var rng = new Random(100 + r);
            while (Interlocked.Read(ref done) < Producers * PerProducer && !deadline.IsCancellationRequested)
            {
                if (!scheduler.TryDequeue(out var message))
                {
                    Thread.Yield();
                    continue;
                }

                // One release in ten fails transiently and is handed back: it must come back, once.
                if (message.Attempts == 0 && rng.Next(10) == 0)
                {
                    await scheduler.AcknowledgeAsync(message, ReleaseOutcome.Returned);
                    continue;
                }

                Interlocked.Increment(ref handled[Counter(message.Message)]);
                await scheduler.AcknowledgeAsync(message);
                Interlocked.Increment(ref done);
            }
        })).ToArray();

        await Task.WhenAll([.. producers, .. readers]);
        Assert.That(deadline.IsCancellationRequested, Is.False, "The readers did not finish within the bound.");
        Assert.That(handled, Is.All.EqualTo(1), "every message handled exactly once");
        Assert.That(scheduler.Count, Is.Zero);
        Assert.That(scheduler.GetSnapshot().InFlight, Is.Zero);
    }

    /// <summary>Default options with a fixed flow hash seed, under which the test devices land in distinct buckets.</summary>
    internal static ResponsePrioritisationOptions Options()
    {
        var options = new ResponsePrioritisationOptions();
        options.Traffic.FlowHashSeed = 1;
        var queue = new DuisPrioritiser.Queueing.Internal.FairLevelQueue<int>(options.Traffic.FlowBuckets, 1);
        Assert.That(Enumerable.Range(0, 21).Select(i => queue.BucketOf(Noisy + (ulong)i)).Distinct().Count(), Is.EqualTo(21), "test devices in distinct buckets");
        return options;
    }

    internal static DuisMessage Alert(ulong device, int counter, string code = "8FFE")
        => new(DuisMessageKind.DeviceAlert)
        {
            AlertCode = DuisCode.Parse(code),
            ResponseCode = DuisCode.Parse("I0"),
            ResponseId = string.Create(CultureInfo.InvariantCulture, $"{new DeviceId(device)}:90-B3-D5-1F-30-01-00-00:{1_700_000_000_000 + counter}"),
        };

    private static int Counter(DuisMessage message) => (int)(long.Parse(message.ResponseId!.Split(':')[2], CultureInfo.InvariantCulture) - 1_700_000_000_000);

    private static List<ReleasedMessage> Take(ResponseReleaseScheduler scheduler, int count)
    {
        var taken = new List<ReleasedMessage>();
        for (int i = 0; i < count; i++)
        {
            Assert.That(scheduler.TryDequeue(out var message), Is.True, $"message {i} of {count}");
            taken.Add(message);
        }

        return taken;
    }
}
