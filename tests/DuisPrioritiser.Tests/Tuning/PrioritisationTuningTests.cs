using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Draining.Internal;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;
using DuisPrioritiser.Release.Internal;
using DuisPrioritiser.Tuning;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace DuisPrioritiser.Tests.Tuning;

public class PrioritisationTuningTests
{
    private static readonly Dictionary<string, string?> s_initial = new()
    {
        ["DuisPrioritiser:Deduplication:Enabled"] = "false",
        ["DuisPrioritiser:Overrides:ServiceReferenceVariants:4.1.1"] = "Bulk",
    };

    [Test]
    public void ConfigurationReload_ChangedOverride_ClassifiesTheNextMessagesByTheNewRule()
    {
        using var host = new Host();
        host.Scheduler.TryEnqueue(TestMessages.Tagged(1));
        Assert.That(host.Held(PriorityLevel.Bulk), Is.EqualTo(1));

        host.Reload("Overrides:ServiceReferenceVariants:4.1.1", "Critical");

        host.Scheduler.TryEnqueue(TestMessages.Tagged(2));
        Assert.That(host.Held(PriorityLevel.Critical), Is.EqualTo(1), "the next message follows the new override");
        Assert.That(host.Held(PriorityLevel.Bulk), Is.EqualTo(1), "a held message keeps its level");
        var applied = host.Logs.Single(r => r.Id.Id == 5001);
        Assert.That(applied.Message, Does.Contain("Overrides:ServiceReferenceVariants:4.1.1: Bulk -> Critical"));
        Assert.That(host.Tuning.Current.Overrides.ServiceReferenceVariants["4.1.1"], Is.EqualTo(PriorityLevel.Critical));
    }

    [Test]
    public void ConfigurationReload_OutOfRange_IsRefusedLoggedAndTheOldSettingsStay()
    {
        using var host = new Host();
        var before = host.Scheduler.DrainPolicy;

        host.Reload("Traffic:Bulk:MinShare", "0.7");

        var refused = host.Logs.Single(r => r.Id.Id == 5002);
        Assert.That(refused.Level, Is.EqualTo(LogLevel.Warning));
        Assert.That(refused.Message, Does.Contain("MinShare"));
        Assert.That(host.Tuning.Current.Traffic.Bulk.MinShare, Is.EqualTo(0.05), "old settings stay");
        Assert.That(host.Scheduler.DrainPolicy, Is.SameAs(before), "the policy in force is kept");
        Assert.That(host.Logs.Any(r => r.Id.Id == 5001), Is.False);
    }

    [Test]
    public void ConfigurationReload_CrossFieldError_IsRefused()
    {
        using var host = new Host();

        host.Reload("Recovery:ExitBacklog", "20000");

        Assert.That(host.Logs.Single(r => r.Id.Id == 5002).Message, Does.Contain("ExitBacklog (20000) must be below EnterBacklog"));
        Assert.That(host.Tuning.Current.Recovery.ExitBacklog, Is.EqualTo(1000));
    }

    [Test]
    public void ConfigurationReload_MistypedKey_IsRefusedNamingTheKey()
    {
        using var host = new Host();

        host.Reload("Traffic:Bulk:MinShar", "0.1");

        Assert.That(host.Logs.Single(r => r.Id.Id == 5002).Message, Does.Contain("MinShar"));
    }

    [Test]
    public void ConfigurationReload_StartTimeSetting_IsLoggedAndNotApplied()
    {
        using var host = new Host();

        host.Reload("Capacity", "123");

        var warning = host.Logs.Single(r => r.Id.Id == 5003);
        Assert.That(warning.Message, Does.Contain("DuisPrioritiser:Capacity changed from 500000 to 123"));
        Assert.That(host.Tuning.Current.Capacity, Is.EqualTo(500_000), "Current shows what is in force");
        Assert.That(host.Scheduler.GetSnapshot().Capacity, Is.EqualTo(500_000));
    }

    [Test]
    public void ConfigurationReload_FromAJsonFile_AppliesTheEditedFile()
    {
        string directory = Directory.CreateTempSubdirectory("duis-tuning-").FullName;
        try
        {
            string path = Path.Combine(directory, "appsettings.json");
            File.WriteAllText(path, """{ "DuisPrioritiser": { "Recovery": { "EnterBacklog": 10000 } } }""");
            var configuration = new ConfigurationBuilder().AddJsonFile(path, optional: false, reloadOnChange: true).Build();
            using var provider = new ServiceCollection().AddResponsePrioritisation(configuration.GetSection("DuisPrioritiser")).Services.BuildServiceProvider();
            var tuning = provider.GetRequiredService<IPrioritisationTuning>();

            File.WriteAllText(path, """{ "DuisPrioritiser": { "Recovery": { "EnterBacklog": 3, "ExitBacklog": 1 } } }""");

            // The file watcher runs in real time: wait for it, bounded.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (tuning.Current.Recovery.EnterBacklog != 3 && DateTime.UtcNow < deadline)
            {
                Thread.Yield();
                Task.Delay(50).Wait();
            }

            Assert.That(tuning.Current.Recovery.EnterBacklog, Is.EqualTo(3));
            var scheduler = provider.GetRequiredService<ResponseReleaseScheduler>();
            for (long i = 0; i < 3; i++)
            {
                scheduler.TryEnqueue(TestMessages.Tagged(i));
            }

            Assert.That(scheduler.Mode, Is.EqualTo(TrafficMode.Recovery), "the new threshold decides");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public void Apply_RecoveryThreshold_TheNextArrivalsUseIt()
    {
        using var host = new Host();
        for (long i = 0; i < 5; i++)
        {
            host.Scheduler.TryEnqueue(TestMessages.Tagged(i));
        }

        Assert.That(host.Scheduler.Mode, Is.EqualTo(TrafficMode.Normal));

        var result = host.Tuning.Apply(o => { o.Recovery.EnterBacklog = 6; o.Recovery.ExitBacklog = 2; });

        Assert.That(result.Applied, Is.True);
        Assert.That(result.Changes.Select(c => c.ToString()), Is.EqualTo(new[] { "Recovery:EnterBacklog: 10000 -> 6", "Recovery:ExitBacklog: 1000 -> 2" }));
        host.Scheduler.TryEnqueue(TestMessages.Tagged(6));
        Assert.That(host.Scheduler.Mode, Is.EqualTo(TrafficMode.Recovery));
    }

    [Test]
    public void Apply_LevelThrottle_ReplacesThePolicyAndHoldsBackTheLevel()
    {
        using var host = new Host();
        var before = host.Scheduler.DrainPolicy;
        for (long i = 0; i < 3; i++)
        {
            host.Scheduler.TryEnqueue(TestMessages.Tagged(i)); // Bulk, by the override
        }

        var result = host.Tuning.Apply(o => { o.Traffic.Bulk.Normal.Rate = 1; o.Traffic.Bulk.Normal.Burst = 1; });

        Assert.That(result.Applied, Is.True);
        Assert.That(host.Scheduler.DrainPolicy, Is.TypeOf<BoundedDrainPolicy>().And.Not.SameAs(before));
        Assert.That(host.Scheduler.TryDequeue(out _), Is.True, "the burst of one");
        Assert.That(host.Scheduler.TryDequeue(out _), Is.False, "throttled to one a second");
        host.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(host.Scheduler.TryDequeue(out _), Is.True);
    }

    [Test]
    public void Apply_AlertCodeThrottle_AddedThenRemoved_ParkedMessagesAreReleased()
    {
        using var host = new Host();
        Assert.That(host.Tuning.Apply(o => o.Traffic.AlertCodes["8F35"] = new() { Normal = { Rate = 1, Burst = 1 } }).Applied, Is.True);
        for (int i = 0; i < 3; i++)
        {
            host.Scheduler.TryEnqueue(TestMessages.DeviceAlert("8F35"));
        }

        int released = 0;
        while (host.Scheduler.TryDequeue(out _))
        {
            released++;
        }

        Assert.That(released, Is.EqualTo(1));
        Assert.That(host.Scheduler.GetSnapshot().DeferredCount, Is.EqualTo(2));

        var removed = host.Tuning.Apply(o => o.Traffic.AlertCodes.Clear());

        Assert.That(removed.Applied, Is.True, string.Join(" ", removed.Errors));
        while (host.Scheduler.TryDequeue(out _))
        {
            released++;
        }

        Assert.That(released, Is.EqualTo(3), "a code no longer throttled drains what it held");
        Assert.That(host.Scheduler.Count, Is.Zero);
    }

    [Test]
    public void Apply_StartTimeSetting_IsRefusedNamingIt()
    {
        using var host = new Host();

        var result = host.Tuning.Apply(o => o.Capacity = 10);

        Assert.That(result.Applied, Is.False);
        Assert.That(result.Errors, Has.One.Contains("DuisPrioritiser:Capacity is a start-time setting"));
        Assert.That(host.Tuning.Current.Capacity, Is.EqualTo(500_000));
    }

    [Test]
    public void Apply_Invalid_IsRefusedWithTheValidatorsMessage()
    {
        using var host = new Host();

        var result = host.Tuning.Apply(o => o.Pace.MinLimit = 500);

        Assert.That(result.Applied, Is.False);
        Assert.That(result.Errors, Has.Some.Contains("Pace:MinLimit (500) must not exceed MaxLimit (256)"));
        Assert.That(host.Logs.Single(r => r.Id.Id == 5002).Message, Does.Contain("an Apply call"));
    }

    [Test]
    public void Apply_KeptUnderLaterConfigurationChanges_UntilReset()
    {
        using var host = new Host();
        host.Tuning.Apply(o => o.Recovery.EnterBacklog = 5000);

        host.Reload("Recovery:HoldTime", "00:00:30");

        Assert.That(host.Tuning.Current.Recovery.EnterBacklog, Is.EqualTo(5000), "the Apply change stays on top");
        Assert.That(host.Tuning.Current.Recovery.HoldTime, Is.EqualTo(TimeSpan.FromSeconds(30)));

        var reset = host.Tuning.Reset();

        Assert.That(reset.Applied, Is.True);
        Assert.That(reset.Changes.Select(c => c.Setting), Is.EqualTo(new[] { "Recovery:EnterBacklog" }));
        Assert.That(host.Tuning.Current.Recovery.EnterBacklog, Is.EqualTo(10_000));
    }

    [Test]
    public async Task Apply_PaceLimit_ReachesTheReleaseLoop()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DuisPrioritiser:Pace:Mode"] = "Fixed",
            ["DuisPrioritiser:Pace:FixedLimit"] = "3",
        }).Build();
        await using var provider = new ServiceCollection().AddLogging()
            .AddResponsePrioritisation(configuration.GetSection("DuisPrioritiser"))
            .AddHandler((_, _) => ValueTask.CompletedTask)
            .Services.BuildServiceProvider();
        var tuning = provider.GetRequiredService<IPrioritisationTuning>();
        var loop = provider.GetRequiredService<ResponseReleaseService>();
        Assert.That(loop.Limiter.Limit, Is.EqualTo(3));

        tuning.Apply(o => o.Pace.FixedLimit = 7);

        Assert.That(loop.Limiter.Limit, Is.EqualTo(7));
        tuning.Apply(o => { o.Pace.Mode = PaceMode.Adaptive; o.Pace.InitialLimit = 5; });
        Assert.That(loop.Limiter.IsAdaptive, Is.True);
        Assert.That(loop.Limiter.Limit, Is.EqualTo(5));
    }

    [Test]
    public async Task Apply_ChangedBeforeTheLoopStarts_TheLoopStartsWithIt()
    {
        var services = new ServiceCollection().AddLogging().AddResponsePrioritisation(o => { o.Pace.Mode = PaceMode.Fixed; o.Pace.FixedLimit = 3; });
        services.AddHandler((_, _) => ValueTask.CompletedTask);
        await using var provider = services.Services.BuildServiceProvider();

        provider.GetRequiredService<IPrioritisationTuning>().Apply(o => o.Pace.FixedLimit = 9);

        Assert.That(provider.GetRequiredService<ResponseReleaseService>().Limiter.Limit, Is.EqualTo(9));
    }

    [Test]
    public void Apply_CustomDrainPolicy_IsNeverReplaced()
    {
        var custom = DrainPolicies.StrictPriority();
        using var provider = new ServiceCollection().AddResponsePrioritisation().UseDrainPolicy(custom).Services.BuildServiceProvider();
        var scheduler = provider.GetRequiredService<ResponseReleaseScheduler>();

        provider.GetRequiredService<IPrioritisationTuning>().Apply(o => o.Traffic.Bulk.MinShare = 0.2);

        Assert.That(scheduler.DrainPolicy, Is.SameAs(custom));
    }

    [Test]
    [Category("Stress")]
    [CancelAfter(30_000)]
    public async Task Apply_WhileProducersAndConsumersRun_LosesAndDuplicatesNothing()
    {
        using var host = new Host(TimeProvider.System);
        const int PerProducer = 20_000;
        const int Producers = 2;
        var seen = new int[PerProducer * Producers];
        using var done = new CancellationTokenSource();
        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(() =>
        {
            for (int i = 0; i < PerProducer; i++)
            {
                string id = (p * PerProducer + i).ToString(System.Globalization.CultureInfo.InvariantCulture);
                var message = i % 3 == 0
                    ? new DuisMessage(DuisMessageKind.DeviceAlert) { AlertCode = DuisCode.Parse("8F35"), RequestId = id }
                    : new DuisMessage(DuisMessageKind.Response) { ServiceReferenceVariant = ServiceReferenceVariant.Create(4, 1, 1), RequestId = id };
                while (!host.Scheduler.TryEnqueue(message))
                {
                    Thread.Yield();
                }
            }
        })).ToArray();
        var tuner = Task.Run(() =>
        {
            int round = 0;
            while (!done.IsCancellationRequested)
            {
                round++;
                var result = host.Tuning.Apply(o =>
                {
                    o.Overrides.ServiceReferenceVariants["4.1.1"] = (PriorityLevel)(round % 5);
                    o.Traffic.Bulk.MinShare = round % 2 == 0 ? 0.05 : 0.2;
                    o.Traffic.AlertCodes["8F35"] = new() { Normal = { Rate = round % 2 == 0 ? 0 : 100_000, Burst = 100 } };
                    o.Recovery.EnterBacklog = 100 + (round % 7 * 1000);
                    o.Recovery.ExitBacklog = 10;
                });
                Assert.That(result.Applied, Is.True, string.Join(" ", result.Errors));
                Thread.Yield();
            }
        });
        var consumers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            await foreach (var released in host.Scheduler.ReadAllAsync())
            {
                Interlocked.Increment(ref seen[int.Parse(released.Message.RequestId!, System.Globalization.CultureInfo.InvariantCulture)]);
                await host.Scheduler.AcknowledgeAsync(released);
            }
        })).ToArray();

        await Task.WhenAll(producers);
        await done.CancelAsync();
        await tuner;
        host.Tuning.Reset(); // no throttles: let the last parked messages go
        host.Scheduler.Complete();
        await Task.WhenAll(consumers);

        Assert.That(seen, Is.All.EqualTo(1), "every message released exactly once");
    }

    /// <summary>A DI-built scheduler over an in-memory configuration that a test can change and reload.</summary>
    private sealed class Host : IDisposable
    {
        private readonly IConfigurationRoot _configuration;
        private readonly ServiceProvider _provider;
        private readonly FakeLogCollector _logs;

        public Host(TimeProvider? time = null)
        {
            _configuration = new ConfigurationBuilder().AddInMemoryCollection(s_initial).Build();
            var services = new ServiceCollection();
            Time = new FakeTimeProvider(DateTimeOffset.Parse("2026-03-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
            services.AddSingleton(time ?? Time);
            services.AddLogging(b => b.AddFakeLogging().SetMinimumLevel(LogLevel.Debug));
            services.AddResponsePrioritisation(_configuration.GetSection("DuisPrioritiser"));
            _provider = services.BuildServiceProvider();
            _logs = _provider.GetRequiredService<FakeLogCollector>();
            Tuning = _provider.GetRequiredService<IPrioritisationTuning>();
            Scheduler = _provider.GetRequiredService<ResponseReleaseScheduler>();
        }

        public FakeTimeProvider Time { get; }

        public IPrioritisationTuning Tuning { get; }

        public ResponseReleaseScheduler Scheduler { get; }

        public IReadOnlyList<FakeLogRecord> Logs => _logs.GetSnapshot();

        public long Held(PriorityLevel level) => Scheduler.GetSnapshot().Levels[(int)level].Count;

        public void Reload(string key, string value)
        {
            _configuration["DuisPrioritiser:" + key] = value;
            _configuration.Reload();
        }

        public void Dispose() => _provider.Dispose();
    }
}
