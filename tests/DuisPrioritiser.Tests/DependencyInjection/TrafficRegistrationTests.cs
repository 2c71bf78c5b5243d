using System.Text;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Draining.Internal;
using DuisPrioritiser.Release;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DuisPrioritiser.Tests.DependencyInjection;

public class TrafficRegistrationTests
{
    private const string Json = """
        {
          "DuisPrioritiser": {
            "Traffic": {
              "OverdueShare": 0.25,
              "Bulk": { "MaxWait": "00:30:00", "MinShare": 0.1, "Recovery": { "Rate": 200, "Burst": 50 } },
              "Critical": { "MaxWait": "00:05:00" },
              "AlertCodes": { "8F35": { "Recovery": { "Rate": 5 } } }
            },
            "Recovery": { "EnterBacklog": 5000, "ExitBacklog": 500, "HoldTime": "00:05:00", "EnterArrivalRate": 800 },
            "Pace": { "Mode": "Fixed", "FixedLimit": 24 },
            "Release": { "MaxReleaseAttempts": 7, "RetryBaseDelay": "00:00:02", "ShutdownTimeout": "00:01:00" }
          }
        }
        """;

    [Test]
    public void AddResponsePrioritisation_Configuration_BindsEveryTrafficKnob()
    {
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(Json))).Build();
        using var provider = new ServiceCollection().AddResponsePrioritisation(configuration.GetSection("DuisPrioritiser")).Services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<ResponsePrioritisationOptions>>().Value;

        Assert.That(options.Traffic.OverdueShare, Is.EqualTo(0.25));
        Assert.That(options.Traffic.Bulk.MaxWait, Is.EqualTo(TimeSpan.FromMinutes(30)));
        Assert.That(options.Traffic.Bulk.MinShare, Is.EqualTo(0.1));
        Assert.That(options.Traffic.Bulk.Recovery.Rate, Is.EqualTo(200));
        Assert.That(options.Traffic.Bulk.Recovery.Burst, Is.EqualTo(50));
        Assert.That(options.Traffic.Critical.MaxWait, Is.EqualTo(TimeSpan.FromMinutes(5)));
        Assert.That(options.Traffic.High.MaxWait, Is.EqualTo(TimeSpan.FromMinutes(15)), "unbound keys keep their defaults");
        Assert.That(options.Traffic.AlertCodes["8f35"].Recovery.Rate, Is.EqualTo(5));
        Assert.That(options.Recovery.EnterBacklog, Is.EqualTo(5000));
        Assert.That(options.Recovery.HoldTime, Is.EqualTo(TimeSpan.FromMinutes(5)));
        Assert.That(options.Recovery.EnterArrivalRate, Is.EqualTo(800));
        Assert.That(options.Pace.Mode, Is.EqualTo(PaceMode.Fixed));
        Assert.That(options.Pace.FixedLimit, Is.EqualTo(24));
        Assert.That(options.Release.MaxReleaseAttempts, Is.EqualTo(7));
        Assert.That(options.Release.RetryBaseDelay, Is.EqualTo(TimeSpan.FromSeconds(2)));
        Assert.That(options.Release.ShutdownTimeout, Is.EqualTo(TimeSpan.FromMinutes(1)));
    }

    [Test]
    public async Task AddResponsePrioritisation_Defaults_UsesBoundedStrictPolicyAndExposesRecoveryControl()
    {
        await using var provider = new ServiceCollection().AddResponsePrioritisation().Services.BuildServiceProvider();
        var scheduler = provider.GetRequiredService<ResponseReleaseScheduler>();

        Assert.That(scheduler.DrainPolicy, Is.TypeOf<BoundedDrainPolicy>());
        Assert.That(((BoundedDrainPolicy)scheduler.DrainPolicy).Inner, Is.SameAs(DrainPolicies.StrictPriority()));
        Assert.That(provider.GetRequiredService<IRecoveryControl>(), Is.SameAs(scheduler));
        Assert.That(provider.GetServices<IHostedService>(), Is.Empty, "no handler: pull mode only, no hosted loop");
    }

    [Test]
    public async Task AddResponsePrioritisation_TrafficDisabled_UsesPlainPolicy()
    {
        await using var provider = new ServiceCollection().AddResponsePrioritisation(o => o.Traffic.Enabled = false).Services.BuildServiceProvider();
        Assert.That(provider.GetRequiredService<ResponseReleaseScheduler>().DrainPolicy, Is.SameAs(DrainPolicies.StrictPriority()));
    }

    [TestCase("Recovery:ExitBacklog", "20000", "ExitBacklog")]
    [TestCase("Traffic:Bulk:MinShare", "0.7", "MinShare")]
    [TestCase("Traffic:Bulk:MaxWait", "-00:01:00", "MaxWait")]
    [TestCase("Pace:InitialLimit", "1000", "InitialLimit")]
    [TestCase("Release:RetryMaxDelay", "00:00:00.5", "RetryMaxDelay")]
    [TestCase("Traffic:AlertCodes:8F-35:Normal:Rate", "1", "8F-35")]
    public void Options_InvalidValue_FailsValidationWithClearMessage(string key, string value, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        using var provider = new ServiceCollection().AddResponsePrioritisation(configuration).Services.BuildServiceProvider();

        Assert.That(
            () => provider.GetRequiredService<IOptions<ResponsePrioritisationOptions>>().Value,
            Throws.InstanceOf<OptionsValidationException>().With.Message.Contains(expected));
    }

    [Test]
    public async Task AddHandler_Delegate_HostedLoopReleasesToIt()
    {
        var time = new FakeTimeProvider();
        var received = new TaskCompletionSource<ReleasedMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var services = new ServiceCollection().AddLogging().AddSingleton<TimeProvider>(time);
        services.AddResponsePrioritisation()
            .UseHandler((message, _) => { received.TrySetResult(message); return ValueTask.CompletedTask; })
            .UseDeadLetterSink(new Moq.Mock<IDeadLetterSink>().Object);
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToList();
        Assert.That(hosted, Has.Count.EqualTo(1));

        await hosted[0].StartAsync(CancellationToken.None);
        var scheduler = provider.GetRequiredService<IResponseReleaseScheduler>();
        scheduler.TryEnqueue(TestMessages.Tagged(1), PriorityLevel.High);
        var message = await received.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await hosted[0].StopAsync(CancellationToken.None);

        Assert.That(message.Level, Is.EqualTo(PriorityLevel.High));
        Assert.That(scheduler.GetSnapshot().InFlight, Is.Zero);
    }

    [Test]
    public async Task AddHandler_CalledTwice_RegistersOneLoopAndLastHandlerWins()
    {
        var services = new ServiceCollection().AddLogging();
        var builder = services.AddResponsePrioritisation();
        builder.UseHandler((_, _) => ValueTask.CompletedTask);
        var last = new Moq.Mock<IResponseHandler>().Object;
        builder.UseHandler(last);
        await using var provider = services.BuildServiceProvider();

        Assert.That(provider.GetServices<IHostedService>().Count(), Is.EqualTo(1));
        Assert.That(provider.GetRequiredService<DuisPrioritiser.Release.Internal.ResponseReleaseService>().Handler, Is.SameAs(last));
        Assert.That(provider.GetRequiredService<IDeadLetterSink>().GetType().Name, Is.EqualTo("InMemoryDeadLetterStore"), "without a journal, the store is in memory");
    }
}
