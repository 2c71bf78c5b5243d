using System.Runtime.CompilerServices;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Release;
using DuisPrioritiser.Release.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;

namespace DuisPrioritiser.Tests.Health;

/// <summary>The health check and the release loop's own failures (a drain policy that throws).</summary>
public partial class ResponsePrioritisationHealthCheckTests
{
    [Test]
    public async Task ReleaseLoop_DrainPolicyKeepsThrowing_GivesUpAndIsUnhealthy()
    {
        var clock = new FakeTimeProvider();
        var policy = new ThrowingDrainPolicy(throwCount: int.MaxValue);
        await using var provider = BuildWithPolicy(clock, policy, out var handled);
        var service = provider.GetRequiredService<ResponseReleaseService>();
        var health = provider.GetRequiredService<HealthCheckService>();
        await service.StartAsync(CancellationToken.None);
        provider.GetRequiredService<IResponseReleaseScheduler>().TryEnqueue(TestMessages.Tagged(1), PriorityLevel.Normal);

        for (int fault = 1; fault < ResponseReleaseService.MaxConsecutiveLoopFaults; fault++)
        {
            int expected = fault;
            await WaitUntilAsync(() => policy.Throws == expected && service.IsLoopWaiting);
            Assert.That(service.IsFaulted, Is.False, $"the loop backs off and tries again after fault {fault}");
            Assert.That((await health.CheckHealthAsync()).Status, Is.EqualTo(HealthStatus.Healthy));
            clock.Advance(ResponseReleaseService.LoopFaultDelay);
        }

        await WaitUntilAsync(() => service.LoopTask is { IsCompleted: true });
        Assert.That(policy.Throws, Is.EqualTo(ResponseReleaseService.MaxConsecutiveLoopFaults));
        Assert.That(service.IsFaulted, Is.True);
        var report = await health.CheckHealthAsync();
        Assert.That(report.Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(report.Entries.Single().Value.Description, Does.Contain("release loop has stopped after an error"));
        Assert.That(handled(), Is.Zero);

        await service.StopAsync(CancellationToken.None);
        Assert.That(service.IsFaulted, Is.False, "a stopped loop is not reported as faulted");
    }

    [Test]
    public async Task ReleaseLoop_DrainPolicyThrowsThenRecovers_ReleasesAndStaysHealthy()
    {
        var clock = new FakeTimeProvider();
        var policy = new ThrowingDrainPolicy(throwCount: 3);
        await using var provider = BuildWithPolicy(clock, policy, out var handled);
        var service = provider.GetRequiredService<ResponseReleaseService>();
        var health = provider.GetRequiredService<HealthCheckService>();
        await service.StartAsync(CancellationToken.None);
        provider.GetRequiredService<IResponseReleaseScheduler>().TryEnqueue(TestMessages.Tagged(1), PriorityLevel.Normal);

        for (int fault = 1; fault <= 3; fault++)
        {
            int expected = fault;
            await WaitUntilAsync(() => policy.Throws == expected && service.IsLoopWaiting);
            clock.Advance(ResponseReleaseService.LoopFaultDelay);
        }

        await WaitUntilAsync(() => handled() == 1);
        Assert.That(service.IsFaulted, Is.False);
        Assert.That(service.LoopTask!.IsCompleted, Is.False, "the loop is still running");
        Assert.That((await health.CheckHealthAsync()).Status, Is.EqualTo(HealthStatus.Healthy));
        await service.StopAsync(CancellationToken.None);
    }

    private static ServiceProvider BuildWithPolicy(TimeProvider clock, IDrainPolicy policy, out Func<int> handled)
    {
        var count = new StrongBox<int>();
        handled = () => Volatile.Read(ref count.Value);
        var services = new ServiceCollection();
        services.AddSingleton(clock);
        services.AddLogging();
        services.AddResponsePrioritisation()
            .UseDrainPolicy(policy)
            .UseHandler((_, _) =>
            {
                Interlocked.Increment(ref count.Value);
                return ValueTask.CompletedTask;
            })
            .AddHealthCheck();
        return services.BuildServiceProvider();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "condition not reached");
            await Task.Delay(1);
        }
    }

    /// <summary>Throws from <see cref="TrySelectLevel"/> the given number of times, then drains in strict priority.</summary>
    private sealed class ThrowingDrainPolicy(int throwCount) : IDrainPolicy
    {
        private int _throws;

        public int Throws => Volatile.Read(ref _throws);

        public bool TrySelectLevel(in DrainState state, out PriorityLevel level)
        {
            if (Interlocked.Increment(ref _throws) <= throwCount)
            {
                throw new InvalidOperationException("policy bug");
            }

            Interlocked.Decrement(ref _throws);
            return DrainPolicies.StrictPriority().TrySelectLevel(in state, out level);
        }

        public void OnReleased(PriorityLevel level, in DrainState state) => DrainPolicies.StrictPriority().OnReleased(level, in state);
    }
}
