using DuisPrioritiser.Health;
using DuisPrioritiser.Release;
using DuisPrioritiser.Tests.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DuisPrioritiser.Tests.Health;

public partial class ResponsePrioritisationHealthCheckTests
{
    [Test]
    public async Task EmbeddedStore_IsReportedReachable_WithItsKind()
    {
        await using var provider = Build(new FakeTimeProvider());
        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var data = report.Entries.Single().Value.Data;
        Assert.Multiple(() =>
        {
            Assert.That(data["store_kind"], Is.EqualTo("memory"));
            Assert.That(data["store_reachable"], Is.EqualTo(true));
            Assert.That(data.ContainsKey("store_last_error"), Is.False);
        });
    }

    [Test]
    public async Task RemoteStoreUnreachable_IsDegraded_ThenUnhealthyPastTheThreshold_AndHealthyWhenItIsBack()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20_000));
        var store = new SharedTestBacklogStore(clock);
        var options = new ResponsePrioritisationOptions();
        options.Health.UnhealthyAfterStoreUnavailableFor = TimeSpan.FromSeconds(30);
        await using var scheduler = new ResponseReleaseScheduler(options, timeProvider: clock, backlogStore: store);
        await using var services = new ServiceCollection().BuildServiceProvider();
        var check = new ResponsePrioritisationHealthCheck(scheduler, Options.Create(options), services);

        var healthy = await check.CheckHealthAsync(Context(check));
        Assert.That(healthy.Status, Is.EqualTo(HealthStatus.Healthy));
        Assert.That(healthy.Data["store_kind"], Is.EqualTo(nameof(SharedTestBacklogStore).ToLowerInvariant()));
        Assert.That(healthy.Data["store_reachable"], Is.EqualTo(true));

        store.Available = false;
        Assert.That(await scheduler.EnqueueWithResultAsync(TestMessages.Response("4.1.1")), Is.EqualTo(EnqueueResult.Unavailable));
        clock.Advance(TimeSpan.FromSeconds(10));
        var degraded = await check.CheckHealthAsync(Context(check));
        Assert.Multiple(() =>
        {
            Assert.That(degraded.Status, Is.EqualTo(HealthStatus.Degraded));
            Assert.That(degraded.Data["reason"], Is.EqualTo("store_unavailable"));
            Assert.That(degraded.Data["store_reachable"], Is.EqualTo(false));
            Assert.That(degraded.Data["store_unavailable_seconds"], Is.EqualTo(10.0));
            Assert.That(degraded.Data["store_last_error"], Does.Contain("switched off"));
            Assert.That(degraded.Description, Does.Contain("unreachable for 10 s"));
        });

        clock.Advance(TimeSpan.FromSeconds(25));
        Assert.That(await scheduler.EnqueueWithResultAsync(TestMessages.Response("4.1.1")), Is.EqualTo(EnqueueResult.Unavailable), "a later failure keeps when the outage began");
        var unhealthy = await check.CheckHealthAsync(Context(check));
        Assert.Multiple(() =>
        {
            Assert.That(unhealthy.Status, Is.EqualTo(HealthStatus.Unhealthy));
            Assert.That(unhealthy.Data["reason"], Is.EqualTo("store_unavailable_too_long"));
            Assert.That(unhealthy.Data["store_unavailable_seconds"], Is.EqualTo(35.0));
        });

        store.Available = true;
        Assert.That(await scheduler.EnqueueWithResultAsync(TestMessages.Response("4.1.1")), Is.EqualTo(EnqueueResult.Accepted));
        var back = await check.CheckHealthAsync(Context(check));
        Assert.That(back.Status, Is.EqualTo(HealthStatus.Healthy));
        Assert.That(back.Data["store_reachable"], Is.EqualTo(true));
    }

    private static HealthCheckContext Context(IHealthCheck check)
        => new() { Registration = new HealthCheckRegistration(ResponsePrioritisationHealthBuilderExtensions.DefaultHealthCheckName, check, HealthStatus.Unhealthy, null) };
}
