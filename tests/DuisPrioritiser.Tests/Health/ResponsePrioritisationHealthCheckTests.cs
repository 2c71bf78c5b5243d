using DuisPrioritiser.Classification;
using DuisPrioritiser.Release;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace DuisPrioritiser.Tests.Health;

public partial class ResponsePrioritisationHealthCheckTests
{
    [Test]
    public async Task Idle_IsHealthy_WithData()
    {
        await using var provider = Build(new FakeTimeProvider());
        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var entry = report.Entries[ResponsePrioritisationHealthBuilderExtensions.DefaultHealthCheckName];
        Assert.That(entry.Status, Is.EqualTo(HealthStatus.Healthy));
        Assert.That(entry.Data["mode"], Is.EqualTo("Normal"));
        Assert.That(entry.Data["held_critical"], Is.EqualTo(0L));
    }

    [Test]
    public async Task Recovering_IsDegraded()
    {
        await using var provider = Build(new FakeTimeProvider());
        provider.GetRequiredService<IRecoveryControl>().EnterRecovery();
        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.That(report.Status, Is.EqualTo(HealthStatus.Degraded));
        Assert.That(report.Entries.Single().Value.Description, Does.Contain("Recovering"));
    }

    [Test]
    public async Task CriticalWaitingPastThreshold_IsDegraded()
    {
        var clock = new FakeTimeProvider();
        await using var provider = Build(clock, o => o.Health.CriticalWaitDegradedAfter = TimeSpan.FromSeconds(30));
        var scheduler = provider.GetRequiredService<IResponseReleaseScheduler>();
        var health = provider.GetRequiredService<HealthCheckService>();
        scheduler.TryEnqueue(TestMessages.Response("8.1.1"), PriorityLevel.Critical);

        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.That((await health.CheckHealthAsync()).Status, Is.EqualTo(HealthStatus.Healthy));
        clock.Advance(TimeSpan.FromSeconds(2));
        var report = await health.CheckHealthAsync();
        Assert.That(report.Status, Is.EqualTo(HealthStatus.Degraded));
        Assert.That(report.Entries.Single().Value.Description, Does.Contain("Critical work has waited 31 s"));
    }

    [Test]
    public async Task HandlerKeepsFailing_IsUnhealthy_ThenRecovers()
    {
        bool fail = true;
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddResponsePrioritisation(o =>
        {
            o.Health.UnhealthyAfterConsecutiveFailures = 3;
            o.Release.CircuitBreaker.Enabled = false; // without a breaker, the run of failures decides
            o.Release.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
            o.Release.RetryMaxDelay = TimeSpan.FromMilliseconds(1);
        })
        .UseHandler((_, _) => Volatile.Read(ref fail) ? throw new InvalidOperationException("back-end down") : ValueTask.CompletedTask)
        .AddHealthCheck(tags: ["ready"]);
        await using var provider = services.BuildServiceProvider();
        var loop = provider.GetServices<IHostedService>().Single(s => s.GetType().Name == "ResponseReleaseService");
        await loop.StartAsync(CancellationToken.None);
        var scheduler = provider.GetRequiredService<IResponseReleaseScheduler>();
        var health = provider.GetRequiredService<HealthCheckService>();

        scheduler.TryEnqueue(TestMessages.Response("2.2"));
        var report = await WaitForAsync(health, HealthStatus.Unhealthy);
        Assert.That(report.Entries.Single().Value.Description, Does.Match("failed [0-9]+ times in a row"));
        Assert.That(report.Entries.Single().Value.Tags, Does.Contain("ready"));

        Volatile.Write(ref fail, false);
        scheduler.TryEnqueue(TestMessages.Response("2.2"));
        await WaitForAsync(health, HealthStatus.Healthy);
        await loop.StopAsync(CancellationToken.None);
    }

    [Test]
    public void AddHealthCheck_InvalidArguments_Throw()
    {
        var builder = new ServiceCollection().AddResponsePrioritisation();
        Assert.Throws<ArgumentException>(() => builder.AddHealthCheck(" "));
        Assert.Throws<ArgumentNullException>(() => ((IResponsePrioritisationBuilder)null!).AddHealthCheck());
        var ex = Assert.Throws<ArgumentException>(() => _ = new ResponseReleaseScheduler(new ResponsePrioritisationOptions { Health = { CriticalWaitDegradedAfter = TimeSpan.Zero } }));
        Assert.That(ex!.Message, Does.Contain("CriticalWaitDegradedAfter"));
    }

    private static ServiceProvider Build(TimeProvider clock, Action<ResponsePrioritisationOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton(clock);
        services.AddLogging();
        services.AddResponsePrioritisation(o => configure?.Invoke(o)).AddHealthCheck();
        return services.BuildServiceProvider();
    }

    private static async Task<HealthReport> WaitForAsync(HealthCheckService health, HealthStatus status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var report = await health.CheckHealthAsync();
            if (report.Status == status)
            {
                return report;
            }

            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"health never became {status}; last {report.Status}");
            await Task.Delay(5);
        }
    }
}
