using System.Text;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace DuisPrioritiser.Tests.DependencyInjection;

public class ResponsePrioritisationServiceCollectionExtensionsTests
{
    [Test]
    public async Task AddResponsePrioritisation_EndToEnd_ResolvesWorkingScheduler()
    {
        var services = new ServiceCollection();
        var builder = services.AddResponsePrioritisation(o => o.Capacity = 10);
        Assert.That(builder.Services, Is.SameAs(services));
        await using var provider = services.BuildServiceProvider(validateScopes: true);

        var scheduler = provider.GetRequiredService<IResponseReleaseScheduler>();
        Assert.That(provider.GetRequiredService<ResponseReleaseScheduler>(), Is.SameAs(scheduler));
        Assert.That(scheduler.TryEnqueue(TestMessages.Response("4.1.1")), Is.True);
        Assert.That(scheduler.TryDequeue(out var released), Is.True);
        Assert.That(released.Level, Is.EqualTo(PriorityLevel.Normal));
        Assert.That(scheduler.GetSnapshot().Capacity, Is.EqualTo(10));
    }

    [Test]
    public void AddResponsePrioritisation_CalledTwice_IsHarmless()
    {
        var once = new ServiceCollection();
        once.AddResponsePrioritisation();
        var services = new ServiceCollection();
        services.AddResponsePrioritisation();
        services.AddResponsePrioritisation();
        Assert.That(services, Has.Count.EqualTo(once.Count));
        using var provider = services.BuildServiceProvider();
        using var onceProvider = once.BuildServiceProvider();
        Assert.That(provider.GetServices<IResponseReleaseScheduler>().Count(), Is.EqualTo(1));
        Assert.That(
            provider.GetServices<IValidateOptions<ResponsePrioritisationOptions>>().Count(),
            Is.EqualTo(onceProvider.GetServices<IValidateOptions<ResponsePrioritisationOptions>>().Count()));
    }

    [Test]
    public void AddResponsePrioritisation_NullArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => ((IServiceCollection)null!).AddResponsePrioritisation());
        Assert.Throws<ArgumentNullException>(() => new ServiceCollection().AddResponsePrioritisation((Action<ResponsePrioritisationOptions>)null!));
        Assert.Throws<ArgumentNullException>(() => new ServiceCollection().AddResponsePrioritisation((IConfiguration)null!));
    }

    [Test]
    public void Options_BoundFromAppsettingsJson()
    {
        const string Json = """
        {
          "DuisPrioritiser": {
            "Capacity": 250000,
            "FullMode": "Wait",
            "DefaultLevel": "Low",
            "Overrides": {
              "ServiceReferenceVariants": { "8.1.1": "High", "4.6.*": "Bulk" },
              "AlertCodes": { "8f35": "Critical" },
              "DccAlertPayloads": { "PowerOutageEvent": "Normal" }
            },
            "Drain": {
              "Policy": "WeightedFair",
              "Weights": { "Critical": 20, "High": 10, "Normal": 5, "Low": 2, "Bulk": 1 }
            }
          }
        }
        """;
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(Json))).Build();
        var services = new ServiceCollection();
        services.AddResponsePrioritisation(configuration.GetSection(ResponsePrioritisationOptions.SectionName));
        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<ResponsePrioritisationOptions>>().Value;

        Assert.Multiple(() =>
        {
            Assert.That(options.Capacity, Is.EqualTo(250_000));
            Assert.That(options.FullMode, Is.EqualTo(QueueFullMode.Wait));
            Assert.That(options.DefaultLevel, Is.EqualTo(PriorityLevel.Low));
            Assert.That(options.Overrides.ServiceReferenceVariants["8.1.1"], Is.EqualTo(PriorityLevel.High));
            Assert.That(options.Overrides.ServiceReferenceVariants["4.6.*"], Is.EqualTo(PriorityLevel.Bulk));
            Assert.That(options.Overrides.AlertCodes["8F35"], Is.EqualTo(PriorityLevel.Critical));
            Assert.That(options.Overrides.DccAlertPayloads["PowerOutageEvent"], Is.EqualTo(PriorityLevel.Normal));
            Assert.That(options.Drain.Policy, Is.EqualTo(DrainPolicyKind.WeightedFair));
            Assert.That(options.Drain.Weights.Critical, Is.EqualTo(20));
        });

        var scheduler = provider.GetRequiredService<IResponseReleaseScheduler>();
        scheduler.TryEnqueue(TestMessages.Response("4.6.1"));
        scheduler.TryEnqueue(TestMessages.DeviceAlert("8F35"));
        scheduler.TryEnqueue(new DuisMessage(DuisMessageKind.Response)); // no SRV: nothing but DefaultLevel decides
        scheduler.TryDequeue(out var first);
        Assert.That(first.Level, Is.EqualTo(PriorityLevel.Critical), "the override from JSON decides");
        Assert.That(scheduler.GetSnapshot().Levels[(int)PriorityLevel.Bulk].Count, Is.EqualTo(1));
        Assert.That(scheduler.GetSnapshot().Levels[(int)PriorityLevel.Low].Count, Is.EqualTo(1), "DefaultLevel from JSON");
    }

    [TestCase("Capacity", "0", "DuisPrioritiser:Capacity is 0: it must be between 1 and 2147483647.")]
    [TestCase("Drain:Weights:Bulk", "0", "DuisPrioritiser:Drain:Weights:Bulk is 0: it must be between 1 and 1000000.")]
    [TestCase("Traffic:Bulk:MinShare", "0.7", "DuisPrioritiser:Traffic:Bulk:MinShare is 0.7: it must be between 0 and 0.5.")]
    [TestCase("Recovery:HoldTime", "-00:00:01", "DuisPrioritiser:Recovery:HoldTime is -00:00:01: it must be between")]
    [TestCase("Traffic:Bulk:MaxWait", "00:00:00", "DuisPrioritiser:Traffic:Bulk:MaxWait is 00:00:00: it must be positive")]
    [TestCase("Health:UnhealthyAfterStoreUnavailableFor", "00:00:00", "DuisPrioritiser:Health:UnhealthyAfterStoreUnavailableFor is 00:00:00: it must be positive")]
    [TestCase("Traffic:AlertCodes:8F35:Recovery:Burst", "0", "DuisPrioritiser:Traffic:AlertCodes:8F35:Recovery:Burst is 0: it must be between 1 and 1000000.")]
    [TestCase("Overrides:ServiceReferenceVariants:8.x", "High", "'8.x'")]
    [TestCase("Overrides:AlertCodes:8F-0F", "High", "'8F-0F'")]
    public void ValidateOnStart_InvalidOptions_HostFailsToStartWithClearMessage(string key, string value, string expected)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [$"DuisPrioritiser:{key}"] = value });
        builder.Services.AddResponsePrioritisation(builder.Configuration.GetSection("DuisPrioritiser"));
        using var host = builder.Build();

        var ex = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.That(ex!.Message, Does.Contain(expected));
    }

    [TestCase("Trafic:Bulk:MinShare", "'Trafic'")]
    [TestCase("Traffic:Bulk:MinShar", "'MinShar'")]
    [TestCase("Pace:MaxLimt", "'MaxLimt'")]
    public void Start_MistypedKey_HostFailsNamingTheKey(string key, string expected)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [$"DuisPrioritiser:{key}"] = "1" });
        builder.Services.AddResponsePrioritisation(builder.Configuration.GetSection("DuisPrioritiser"));
        using var host = builder.Build();

        var ex = Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.That(ex!.Message, Does.Contain(expected));
    }

    [Test]
    public async Task ValidOptions_HostStarts()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddResponsePrioritisation();
        using var host = builder.Build();
        await host.StartAsync();
        await host.StopAsync();
    }

    [Test]
    public void AddClassifier_RunsAfterOverridesInRegistrationOrder()
    {
        var services = new ServiceCollection();
        services.AddResponsePrioritisation(o => o.Overrides.ServiceReferenceVariants["2.2"] = PriorityLevel.Critical)
            .AddClassifier<AlwaysBulkForReads>()
            .AddClassifier(new FixedClassifier(PriorityLevel.High))
            .AddClassifier<AlwaysBulkForReads>(); // duplicate type registration is ignored
        using var provider = services.BuildServiceProvider();
        var scheduler = provider.GetRequiredService<IResponseReleaseScheduler>();

        scheduler.TryEnqueue(TestMessages.Response("2.2"));
        scheduler.TryEnqueue(TestMessages.Response("4.1.1"));
        scheduler.TryEnqueue(TestMessages.Response("3.1"));
        var snapshot = scheduler.GetSnapshot();
        Assert.That(snapshot.Levels.Select(l => l.Count), Is.EqualTo(new long[] { 1, 1, 0, 0, 1 }));
    }

    [Test]
    public void UseDrainPolicy_KindInstanceAndFactory()
    {
        var services = new ServiceCollection();
        services.AddResponsePrioritisation().UseDrainPolicy(DrainPolicyKind.WeightedFair);
        using (var provider = services.BuildServiceProvider())
        {
            Assert.That(provider.GetRequiredService<IOptions<ResponsePrioritisationOptions>>().Value.Drain.Policy, Is.EqualTo(DrainPolicyKind.WeightedFair));
        }

        var custom = new Mock<IDrainPolicy>().Object;
        services = new ServiceCollection();
        services.AddResponsePrioritisation().UseDrainPolicy(DrainPolicies.StrictPriority()).UseDrainPolicy(custom);
        using (var provider = services.BuildServiceProvider())
        {
            Assert.That(provider.GetRequiredService<ResponseReleaseScheduler>().DrainPolicy, Is.SameAs(custom), "the last call wins");
        }

        services = new ServiceCollection();
        services.AddResponsePrioritisation().UseDrainPolicy(_ => custom);
        using (var provider = services.BuildServiceProvider())
        {
            Assert.That(provider.GetRequiredService<ResponseReleaseScheduler>().DrainPolicy, Is.SameAs(custom));
        }

        var builder = new ServiceCollection().AddResponsePrioritisation();
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.UseDrainPolicy((DrainPolicyKind)9));
        Assert.Throws<ArgumentNullException>(() => builder.UseDrainPolicy((IDrainPolicy)null!));
        Assert.Throws<ArgumentNullException>(() => builder.UseDrainPolicy((Func<IServiceProvider, IDrainPolicy>)null!));
        Assert.Throws<ArgumentNullException>(() => builder.AddClassifier(null!));
        Assert.Throws<ArgumentNullException>(() => builder.Configure(null!));
        Assert.Throws<ArgumentNullException>(() => ((IResponsePrioritisationBuilder)null!).AddClassifier<AlwaysBulkForReads>());
    }

    [Test]
    public void TimeProvider_FromContainer_IsUsed()
    {
        var clock = new FakeTimeProvider();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(clock);
        services.AddResponsePrioritisation().Configure(o => o.Capacity = 5);
        using var provider = services.BuildServiceProvider();
        var scheduler = provider.GetRequiredService<IResponseReleaseScheduler>();
        scheduler.TryEnqueue(TestMessages.Tagged(1));
        clock.Advance(TimeSpan.FromMinutes(3));
        Assert.That(scheduler.GetSnapshot().Levels[(int)PriorityLevel.Normal].OldestWait, Is.EqualTo(TimeSpan.FromMinutes(3)));
        Assert.That(scheduler.GetSnapshot().Capacity, Is.EqualTo(5));
    }

    private sealed class AlwaysBulkForReads : IPriorityClassifier
    {
        public bool TryClassify(DuisMessage message, out PriorityLevel level)
        {
            level = PriorityLevel.Bulk;
            return message.ServiceReferenceVariant.IsWithin(4);
        }
    }

    private sealed class FixedClassifier(PriorityLevel level) : IPriorityClassifier
    {
        public bool TryClassify(DuisMessage message, out PriorityLevel decided)
        {
            decided = level;
            return true;
        }
    }
}
