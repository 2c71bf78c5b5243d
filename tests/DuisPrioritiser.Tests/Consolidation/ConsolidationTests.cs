using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Consolidation;
using DuisPrioritiser.Diagnostics;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Journal;
using DuisPrioritiser.Release;
using DuisPrioritiser.Storage;
using DuisPrioritiser.Tests.Journal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace DuisPrioritiser.Tests.Consolidation;

/// <summary>Consolidation of repeated alerts (<see cref="ConsolidationOptions"/>) through the scheduler.</summary>
public class ConsolidationTests
{
    private const ulong Device = 0x887384570000_0001;

    [Test]
    public async Task RepeatsOfAHeldAlert_AreReleasedOnceWithTheirGroup_ExactBytesIdsAndTimes()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 6, 0, 0, TimeSpan.Zero));
        using var scheduler = new ResponseReleaseScheduler(Options(), timeProvider: time);
        var sent = new List<DuisMessage>();
        for (int i = 0; i < 5; i++)
        {
            var alert = Alert(Device, i);
            sent.Add(alert);
            Assert.That(scheduler.TryEnqueue(alert), Is.True);
            time.Advance(TimeSpan.FromSeconds(10));
        }

        Assert.That(scheduler.Count, Is.EqualTo(5), "every repeat is accepted and held");
        Assert.That(scheduler.GetSnapshot().Levels[(int)PriorityLevel.Bulk].Count, Is.EqualTo(1), "one place in the queue for the group");
        Assert.That(scheduler.TryDequeue(out var released), Is.True);
        Assert.That(scheduler.TryDequeue(out _), Is.False, "the handler is called once for the group");
        Assert.That(released.Message, Is.SameAs(sent[0]));
        var repeats = released.Repeats;
        Assert.That(repeats.Count, Is.EqualTo(4));
        Assert.That(repeats.Select(r => r.ResponseId), Is.EqualTo(sent.Skip(1).Select(m => m.ResponseId)));
        Assert.That(repeats.Select(r => Encoding.UTF8.GetString(r.RawMessage.Span)), Is.EqualTo(sent.Skip(1).Select(m => Encoding.UTF8.GetString(m.RawMessage.Span))));
        Assert.That(repeats.FirstReceivedAt, Is.EqualTo(sent[0].ReceivedAt));
        Assert.That(repeats.LastReceivedAt, Is.EqualTo(sent[4].ReceivedAt));
        Assert.That(repeats.LastReceivedAt - repeats.FirstReceivedAt, Is.EqualTo(TimeSpan.FromSeconds(40)));
        Assert.That(scheduler.Count, Is.Zero);
        Assert.That(scheduler.GetSnapshot().InFlight, Is.EqualTo(5), "every repeat is in flight with its head");

        await scheduler.AcknowledgeAsync(released);
        Assert.That(scheduler.GetSnapshot().InFlight, Is.Zero, "acknowledging the group acknowledges every repeat");
        scheduler.Complete();
        Assert.That(scheduler.Completion.IsCompleted, Is.True);
    }

    [Test]
    public void RepeatOfAReleasedAlert_IsNotAttachedToIt()
    {
        using var scheduler = new ResponseReleaseScheduler(Options(), timeProvider: new FakeTimeProvider());
        Assert.That(scheduler.TryEnqueue(Alert(Device, 0)), Is.True);
        Assert.That(scheduler.TryDequeue(out var first), Is.True, "released: in flight, not yet acknowledged");
        Assert.That(scheduler.TryEnqueue(Alert(Device, 1)), Is.True);
        Assert.That(scheduler.TryEnqueue(Alert(Device, 2)), Is.True);
        Assert.That(first.Repeats, Is.Empty, "nothing attached to an alert already released");
        Assert.That(scheduler.TryDequeue(out var second), Is.True, "the repeat started a new group");
        Assert.That(second.Message.ResponseId, Is.EqualTo(Alert(Device, 1).ResponseId));
        Assert.That(second.Repeats.Select(r => r.ResponseId), Is.EqualTo(new[] { Alert(Device, 2).ResponseId }));
        Assert.That(scheduler.TryDequeue(out _), Is.False);
    }

    [Test]
    public void AlertsOfAnotherDeviceOrCode_OrNoDevice_AreNeverConsolidated()
    {
        var options = Options();
        options.Traffic.Bulk.FairQueueing = false; // FIFO, so the release order is the intake order
        using var scheduler = new ResponseReleaseScheduler(options, timeProvider: new FakeTimeProvider());
        var sent = new[]
        {
            Alert(Device, 0),
            Alert(Device + 1, 1),
            Alert(Device, 2, code: "8F35"),
            new DuisMessage(DuisMessageKind.DeviceAlert) { AlertCode = DuisCode.Parse("8FFE"), ResponseCode = DuisCode.Parse("I0"), ResponseId = "no-device-1" },
            new DuisMessage(DuisMessageKind.DeviceAlert) { AlertCode = DuisCode.Parse("8FFE"), ResponseCode = DuisCode.Parse("I0"), ResponseId = "no-device-2" },
        };
        foreach (var message in sent)
        {
            Assert.That(scheduler.TryEnqueue(message, PriorityLevel.Bulk), Is.True);
        }

        var released = Drain(scheduler);
        Assert.That(released.Select(r => r.Message), Is.EqualTo(sent));
        Assert.That(released.Select(r => r.Repeats.Count), Is.All.Zero);
    }

    [Test]
    public void CriticalAndHigh_AreNeverConsolidated_EvenForAListedCode_AndOtherLevelsOnlyWhenListed()
    {
        var options = new ResponsePrioritisationOptions();
        options.Traffic.Consolidation.AlertCodes.Add("8FFE");
        using var scheduler = new ResponseReleaseScheduler(options, timeProvider: new FakeTimeProvider());
        int counter = 0;
        foreach (var level in PriorityLevels.All)
        {
            Assert.That(scheduler.TryEnqueue(Alert(Device, counter++), level), Is.True);
            Assert.That(scheduler.TryEnqueue(Alert(Device, counter++), level), Is.True);
        }

        var released = Drain(scheduler);
        Assert.That(released.Where(r => r.Level is PriorityLevel.Critical or PriorityLevel.High).Select(r => r.Repeats.Count), Is.EqualTo(new[] { 0, 0, 0, 0 }));
        Assert.That(released.Where(r => r.Level > PriorityLevel.High).Select(r => r.Repeats.Count), Is.EqualTo(new[] { 1, 1, 1 }), "a listed code at Normal, Low and Bulk");

        var byLevel = new ResponsePrioritisationOptions();
        byLevel.Traffic.Consolidation.Levels.Add(PriorityLevel.Low);
        using var low = new ResponseReleaseScheduler(byLevel, timeProvider: new FakeTimeProvider());
        low.TryEnqueue(Alert(Device, 0), PriorityLevel.Low);
        low.TryEnqueue(Alert(Device, 1), PriorityLevel.Low);
        low.TryEnqueue(Alert(Device, 2), PriorityLevel.Bulk);
        low.TryEnqueue(Alert(Device, 3), PriorityLevel.Bulk);
        Assert.That(Drain(low).Select(r => (r.Level, r.Repeats.Count)), Is.EqualTo(new[] { (PriorityLevel.Low, 1), (PriorityLevel.Bulk, 0), (PriorityLevel.Bulk, 0) }));
    }

    [Test]
    public void Window_And_MaxGroupSize_BoundAGroup_TheNextRepeatStartsANewOne()
    {
        var time = new FakeTimeProvider();
        var options = Options();
        options.Traffic.Bulk.FairQueueing = false;
        options.Traffic.Consolidation.Window = TimeSpan.FromMinutes(1);
        options.Traffic.Consolidation.MaxGroupSize = 3;
        using var scheduler = new ResponseReleaseScheduler(options, timeProvider: time);
        for (int i = 0; i < 7; i++)
        {
            scheduler.TryEnqueue(Alert(Device, i));
        }

        time.Advance(TimeSpan.FromSeconds(10));
        scheduler.TryEnqueue(Alert(Device, 7)); // joins the open group (7th..): group 3 has 6 and 7
        time.Advance(TimeSpan.FromSeconds(60));
        scheduler.TryEnqueue(Alert(Device, 8)); // group 3's first alert is 70 s old: a new group
        var groups = Drain(scheduler).Select(r => new[] { r.Message }.Concat(r.Repeats).Select(Counter).ToArray()).ToList();
        Assert.That(groups, Is.EqualTo(new[] { new[] { 0, 1, 2 }, [3, 4, 5], [6, 7], [8] }));
    }

    [Test]
    public async Task ReturnedGroup_KeepsEveryRepeat_AndIsReleasedAgainAsOneGroup()
    {
        using var scheduler = new ResponseReleaseScheduler(Options(), timeProvider: new FakeTimeProvider());
        for (int i = 0; i < 3; i++)
        {
            scheduler.TryEnqueue(Alert(Device, i));
        }

        Assert.That(scheduler.TryDequeue(out var first), Is.True);
        await scheduler.AcknowledgeAsync(first, ReleaseOutcome.Returned);
        Assert.That(scheduler.Count, Is.EqualTo(3), "held again, with its repeats");
        scheduler.TryEnqueue(Alert(Device, 3)); // a new alert does not join a returned group
        Assert.That(scheduler.TryDequeue(out var again), Is.True);
        Assert.That(again.Attempts, Is.EqualTo(1));
        Assert.That(again.Repeats.Select(Counter), Is.EqualTo(new[] { 1, 2 }));
        Assert.That(scheduler.TryDequeue(out var fresh), Is.True);
        Assert.That(Counter(fresh.Message), Is.EqualTo(3));
        Assert.That(fresh.Repeats, Is.Empty);
        await scheduler.AcknowledgeAsync(again);
        await scheduler.AcknowledgeAsync(fresh);
        Assert.That(scheduler.GetSnapshot().InFlight, Is.Zero);
    }

    [Test]
    public void DuplicateResponseId_IsStillADuplicate_NotARepeat()
    {
        var scheduler = new ResponseReleaseScheduler(Options(), timeProvider: new FakeTimeProvider());
        using (scheduler)
        {
            Assert.That(scheduler.TryEnqueue(Alert(Device, 0)), Is.True);
            Assert.That(scheduler.TryEnqueue(Alert(Device, 0)), Is.True, "a redelivery is acknowledged");
            Assert.That(scheduler.DuplicatesSuppressed, Is.EqualTo(1));
            Assert.That(scheduler.Count, Is.EqualTo(1));
            Assert.That(scheduler.TryDequeue(out var released), Is.True);
            Assert.That(released.Repeats, Is.Empty);
        }
    }

    [Test]
    public void EveryRepeat_IsCounted_InTheConsolidatedMetric()
    {
        var measurements = new ConcurrentBag<(long Value, string? Priority, string? Code)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == DuisPrioritiserTelemetry.MeterName && instrument.Name == DuisPrioritiserTelemetry.AlertsConsolidated)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? priority = null, code = null;
            foreach (var tag in tags)
            {
                priority = tag.Key == "duis.priority" ? tag.Value as string : priority;
                code = tag.Key == "duis.alert_code" ? tag.Value as string : code;
            }

            measurements.Add((value, priority, code));
        });
        listener.Start();
        using var scheduler = new ResponseReleaseScheduler(Options(), timeProvider: new FakeTimeProvider());
        for (int i = 0; i < 4; i++)
        {
            scheduler.TryEnqueue(Alert(Device, i));
        }

        Assert.That(measurements.Sum(m => m.Value), Is.EqualTo(3));
        Assert.That(measurements.Select(m => (m.Priority, m.Code)).Distinct(), Is.EqualTo(new[] { ("bulk", "8FFE") }));
    }

    [Test]
    public async Task Journal_GroupsSurviveARestart_WithEveryRepeat_AndAcknowledgingAGroupCompletesEveryRecord()
    {
        using var directory = new JournalTestDirectory();
        var options = Options();
        options.Journal = new JournalOptions { Directory = directory.Path };
        var sent = new Dictionary<string, byte[]>();
        await using (var scheduler = new ResponseReleaseScheduler(options))
        {
            for (int i = 0; i < 12; i++)
            {
                var alert = Alert(Device + (ulong)(i % 3), i);
                sent[alert.ResponseId!] = alert.RawMessage.ToArray();
                Assert.That(await scheduler.EnqueueWithResultAsync(alert), Is.EqualTo(EnqueueResult.Accepted));
            }

            Assert.That(scheduler.Count, Is.EqualTo(12));
            Assert.That(scheduler.TryDequeue(out var inFlight), Is.True, "released, never acknowledged: recovered with its group");
            Assert.That(inFlight.Repeats.Count, Is.EqualTo(3));
        }

        List<ReleasedMessage> recovered;
        await using (var restarted = new ResponseReleaseScheduler(options))
        {
            Assert.That(restarted.Count, Is.EqualTo(12));
            recovered = Drain(restarted);
            Assert.That(recovered, Has.Count.EqualTo(3), "three devices: three groups, rebuilt from the journal");
            Assert.That(recovered.Select(r => r.Repeats.Count), Is.All.EqualTo(3));
            foreach (var group in recovered)
            {
                var members = new[] { group.Message }.Concat(group.Repeats).ToList();
                Assert.That(members.Select(m => m.Device), Is.All.EqualTo(group.Message.Device));
                Assert.That(members.Select(Counter), Is.Ordered);
                foreach (var member in members)
                {
                    Assert.That(member.RawMessage.ToArray(), Is.EqualTo(sent[member.ResponseId!]), "exact bytes back from the journal");
                }
            }

            Assert.That(recovered.SelectMany(r => new[] { r.Message }.Concat(r.Repeats)).Select(m => m.ResponseId).Order(), Is.EqualTo(sent.Keys.Order()));

            // A new alert after the restart starts a group of its own (recovered groups take no new repeats).
            Assert.That(await restarted.EnqueueWithResultAsync(Alert(Device, 100)), Is.EqualTo(EnqueueResult.Accepted));
            Assert.That(await restarted.EnqueueWithResultAsync(Alert(Device, 101)), Is.EqualTo(EnqueueResult.Accepted));
            Assert.That(restarted.TryDequeue(out var fresh), Is.True);
            Assert.That(fresh.Repeats.Select(Counter), Is.EqualTo(new[] { 101 }));
            foreach (var group in recovered.Append(fresh))
            {
                await restarted.AcknowledgeAsync(group);
            }
        }

        await using var third = new ResponseReleaseScheduler(options);
        Assert.That(third.Count, Is.Zero, "acknowledging a group completed every repeat's record");
    }

    [Test]
    public async Task Journal_AHeadThatCannotBeReadBack_LeavesItsRepeatsToBeReleasedOnTheirOwn()
    {
        using var directory = new JournalTestDirectory();
        var options = Options();
        options.Journal = new JournalOptions { Directory = directory.Path };
        await using var scheduler = new ResponseReleaseScheduler(options);
        for (int i = 0; i < 3; i++)
        {
            Assert.That(await scheduler.EnqueueWithResultAsync(Alert(Device, i)), Is.EqualTo(EnqueueResult.Accepted));
        }

        // Damage the head's record (the first after the 24-byte segment header): its read-back fails (event 6016).
        string segment = directory.Segments.Single();
        using (var stream = new FileStream(segment, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            stream.Position = 24 + 40;
            stream.Write(new byte[16]);
            stream.Flush(true);
        }

        var released = Drain(scheduler);
        Assert.That(released.Select(r => Counter(r.Message)), Is.EqualTo(new[] { 1, 2 }), "the repeats, each on its own");
        Assert.That(released.Select(r => r.Repeats.Count), Is.All.Zero);
        Assert.That(scheduler.Count, Is.Zero, "nothing left waiting for a head that cannot be released");
        foreach (var message in released)
        {
            await scheduler.AcknowledgeAsync(message);
        }
    }

    [Test]
    public void Options_BindFromConfiguration_AndValidation_RefusesCriticalAndHigh()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Traffic:Consolidation:Levels:0"] = "Bulk",
            ["Traffic:Consolidation:Levels:1"] = "Low",
            ["Traffic:Consolidation:AlertCodes:0"] = "8F35",
            ["Traffic:Consolidation:Window"] = "00:02:00",
            ["Traffic:Consolidation:MaxGroupSize"] = "25",
        }).Build();
        using var provider = new ServiceCollection().AddResponsePrioritisation(configuration).Services.BuildServiceProvider();
        var consolidation = provider.GetRequiredService<IOptions<ResponsePrioritisationOptions>>().Value.Traffic.Consolidation;
        Assert.That(consolidation.Levels, Is.EqualTo(new[] { PriorityLevel.Bulk, PriorityLevel.Low }));
        Assert.That(consolidation.AlertCodes, Is.EqualTo(new[] { "8F35" }));
        Assert.That(consolidation.Window, Is.EqualTo(TimeSpan.FromMinutes(2)));
        Assert.That(consolidation.MaxGroupSize, Is.EqualTo(25));
        Assert.That(consolidation.IsEnabled, Is.True);
        Assert.That(new ConsolidationOptions().IsEnabled, Is.False, "off by default");

        foreach (var (key, value, expected) in new[]
        {
            ("Traffic:Consolidation:Levels:0", "High", "Critical and High work is never consolidated"),
            ("Traffic:Consolidation:Levels:0", "Critical", "Critical and High work is never consolidated"),
            ("Traffic:Consolidation:AlertCodes:0", "not a code!", "is not an alert code"),
            ("Traffic:Consolidation:Window", "00:00:00", "Window"),
            ("Traffic:Consolidation:MaxGroupSize", "1", "MaxGroupSize"),
        })
        {
            var invalid = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
            using var refused = new ServiceCollection().AddResponsePrioritisation(invalid).Services.BuildServiceProvider();
            Assert.That(
                () => refused.GetRequiredService<IOptions<ResponsePrioritisationOptions>>().Value,
                Throws.InstanceOf<OptionsValidationException>().With.Message.Contains(expected),
                $"{key} = {value}");
        }

        var direct = new ResponsePrioritisationOptions();
        direct.Traffic.Consolidation.Levels.Add(PriorityLevel.Critical);
        Assert.That(() => new ResponseReleaseScheduler(direct), Throws.ArgumentException.With.Message.Contains("never consolidated"));
    }

    [Test]
    public void RemoteStore_WithConsolidation_IsRefusedAtStart()
    {
        var store = new Mock<IBacklogStore>(MockBehavior.Strict);
        Assert.That(
            () => new ResponseReleaseScheduler(Options(), backlogStore: store.Object),
            Throws.InstanceOf<NotSupportedException>().With.Message.Contains("does not support consolidation"));
    }

    [Test]
    public void Tuning_ConsolidationIsAStartTimeSetting()
    {
        using var provider = new ServiceCollection().AddResponsePrioritisation().Services.BuildServiceProvider();
        var tuning = provider.GetRequiredService<DuisPrioritiser.Tuning.IPrioritisationTuning>();
        var result = tuning.Apply(o => o.Traffic.Consolidation.MaxGroupSize = 10);
        Assert.That(result.Applied, Is.False);
        Assert.That(result.Errors, Has.Some.Contains("Traffic:Consolidation:MaxGroupSize"));
    }

    [Test]
    [Category("Stress")]
    [CancelAfter(60_000)]
    public async Task FourProducersFourConsumers_EveryAlertReleasedExactlyOnce_AsAHeadOrARepeat()
    {
        const int PerProducer = 20_000;
        var options = Options();
        options.Traffic.Consolidation.MaxGroupSize = 8;
        options.Deduplication.Enabled = false;
        using var scheduler = new ResponseReleaseScheduler(options);
        var seen = new ConcurrentDictionary<string, int>();
        int groups = 0;
        var producers = Enumerable.Range(0, 4).Select(p => Task.Run(() =>
        {
            for (int i = 0; i < PerProducer; i++)
            {
                // 16 devices, so that repeats race releases of their heads all the time.
                var alert = Alert(Device + (ulong)(i % 16), (p * PerProducer) + i);
                while (!scheduler.TryEnqueue(alert))
                {
                    Thread.Yield();
                }
            }
        })).ToArray();
        var consumers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            await foreach (var released in scheduler.ReadAllAsync())
            {
                Interlocked.Increment(ref groups);
                foreach (var member in new[] { released.Message }.Concat(released.Repeats))
                {
                    seen.AddOrUpdate(member.ResponseId!, 1, (_, n) => n + 1);
                    Assert.That(member.Device, Is.EqualTo(released.Message.Device));
                }

                await scheduler.AcknowledgeAsync(released);
            }
        })).ToArray();
        await Task.WhenAll(producers);
        scheduler.Complete();
        await Task.WhenAll(consumers);
        TestContext.Out.WriteLine($"{4 * PerProducer} alerts released in {groups} handler calls ({4.0 * PerProducer / groups:0.00} per call)");
        Assert.That(seen, Has.Count.EqualTo(4 * PerProducer), "none lost");
        Assert.That(seen.Values, Is.All.EqualTo(1), "none twice");
        Assert.That(groups, Is.LessThan(4 * PerProducer), "some were consolidated");
        Assert.That(scheduler.GetSnapshot().InFlight, Is.Zero);
        Assert.That(scheduler.Consolidator!.OpenGroupCount, Is.Zero, "no group left behind");
    }

    [Test]
    public async Task HostedLoop_CallsTheHandlerOnceForAGroup_AndDeadLettersEveryRepeatWithItsBytes()
    {
        var time = new FakeTimeProvider();
        var options = Options();
        options.Release.MaxReleaseAttempts = 1;
        options.Release.MaxRetryAttempts = 0;
        var scheduler = new ResponseReleaseScheduler(options, timeProvider: time);
        for (int i = 0; i < 4; i++)
        {
            scheduler.TryEnqueue(Alert(Device, i));
        }

        int calls = 0;
        var handler = new DuisPrioritiser.Release.Internal.DelegateResponseHandler((_, _) =>
        {
            Interlocked.Increment(ref calls);
            throw new DuisPermanentFailureException("refused");
        });
        var letters = new ConcurrentQueue<DeadLetter>();
        var sink = new Mock<IDeadLetterSink>();
        sink.Setup(s => s.DeadLetterAsync(It.IsAny<DeadLetter>(), It.IsAny<CancellationToken>()))
            .Callback<DeadLetter, CancellationToken>((letter, _) => letters.Enqueue(letter))
            .Returns(ValueTask.CompletedTask);
        var service = new DuisPrioritiser.Release.Internal.ResponseReleaseService(scheduler, handler, sink.Object, Microsoft.Extensions.Options.Options.Create(options), time);
        await service.StartAsync(CancellationToken.None);
        await DuisPrioritiser.Tests.Release.ResponseReleaseServiceTests.WaitUntilAsync(() => letters.Count == 4 && scheduler.GetSnapshot().InFlight == 0);
        await service.StopAsync(CancellationToken.None);

        Assert.That(calls, Is.EqualTo(1), "one handler call for the group");
        Assert.That(letters.Select(l => l.Message.Message.ResponseId), Is.EqualTo(Enumerable.Range(0, 4).Select(i => Alert(Device, i).ResponseId)), "each message of the group is a dead letter of its own");
        Assert.That(letters.Select(l => Encoding.UTF8.GetString(l.Message.Message.RawMessage.Span)), Is.EqualTo(Enumerable.Range(0, 4).Select(i => Encoding.UTF8.GetString(Alert(Device, i).RawMessage.Span))));
        Assert.That(letters.Select(l => l.Message.Repeats.Count), Is.All.Zero);
        Assert.That(letters.Select(l => l.Reason), Is.All.EqualTo(DeadLetter.PermanentFailureReason));
    }

    internal static ResponsePrioritisationOptions Options()
    {
        var options = new ResponsePrioritisationOptions();
        options.Traffic.FlowHashSeed = 1;
        options.Traffic.Consolidation.Levels.Add(PriorityLevel.Bulk);
        return options;
    }

    internal static DuisMessage Alert(ulong device, int counter, string code = "8FFE")
    {
        string id = string.Create(CultureInfo.InvariantCulture, $"{new DeviceId(device)}:90-B3-D5-1F-30-01-00-00:{1_700_000_000_000 + counter}");
        return new(DuisMessageKind.DeviceAlert, Encoding.UTF8.GetBytes($"<DeviceAlertMessage><ResponseID>{id}</ResponseID><AlertCode>{code}</AlertCode></DeviceAlertMessage>"))
        {
            AlertCode = DuisCode.Parse(code),
            ResponseCode = DuisCode.Parse("I0"),
            ResponseId = id,
        };
    }

    private static int Counter(DuisMessage message) => (int)(long.Parse(message.ResponseId!.Split(':')[2], CultureInfo.InvariantCulture) - 1_700_000_000_000);

    private static List<ReleasedMessage> Drain(ResponseReleaseScheduler scheduler)
    {
        var released = new List<ReleasedMessage>();
        while (scheduler.TryDequeue(out var message))
        {
            released.Add(message);
        }

        return released;
    }
}
