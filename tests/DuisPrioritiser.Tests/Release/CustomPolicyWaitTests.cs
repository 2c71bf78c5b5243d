using DuisPrioritiser.Classification;
using DuisPrioritiser.Diagnostics;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Release;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace DuisPrioritiser.Tests.Release;

public class CustomPolicyWaitTests
{
    [Test]
    public async Task WaitToReadAsync_CustomPolicyHoldingEverythingBack_WaitsAndPollsInsteadOfSpinning()
    {
        var clock = new FakeTimeProvider();
        var policy = new GatePolicy();
        using var scheduler = new ResponseReleaseScheduler(new ResponsePrioritisationOptions(), drainPolicy: policy, timeProvider: clock);
        scheduler.TryEnqueue(TestMessages.Tagged(1), PriorityLevel.Bulk);

        var pending = scheduler.WaitToReadAsync().AsTask();
        Assert.That(pending.IsCompleted, Is.False, "held but not releasable: the reader must wait, not report data it cannot release");
        int asked = policy.Asked;

        policy.Open = true;
        clock.Advance(TimeSpan.FromMilliseconds(10)); // the poll interval for a policy that cannot say when
        Assert.That(await pending.WaitAsync(TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(policy.Asked - asked, Is.LessThan(10), "the policy is polled, not spun on");
        Assert.That(scheduler.TryDequeue(out _), Is.True);
    }

    [Test]
    public async Task Rejected_UnderWaitMode_CountsOnlyFinalOutcomes()
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        await using var provider = services.BuildServiceProvider();
        var meterFactory = provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var rejected = new MetricCollector<long>(meterFactory, DuisPrioritiserTelemetry.MeterName, DuisPrioritiserTelemetry.MessagesRejected);
        var options = new ResponsePrioritisationOptions { Capacity = 1, FullMode = QueueFullMode.Wait };
        options.Deduplication.Enabled = false;
        using var scheduler = new ResponseReleaseScheduler(options, meterFactory: meterFactory);

        Assert.That(scheduler.TryEnqueue(TestMessages.Tagged(1)), Is.True);
        var waiting = scheduler.EnqueueAsync(TestMessages.Tagged(2)).AsTask();
        Assert.That(waiting.IsCompleted, Is.False);
        Assert.That(scheduler.TryDequeue(out _), Is.True); // makes room: the waiting writer is accepted
        Assert.That(await waiting.WaitAsync(TimeSpan.FromSeconds(10)), Is.True);

        Assert.That(rejected.GetMeasurementSnapshot(), Is.Empty, "a writer that waited and was accepted was never rejected");
        var late = scheduler.EnqueueAsync(TestMessages.Tagged(4)).AsTask();
        scheduler.Complete();
        Assert.That(await late.WaitAsync(TimeSpan.FromSeconds(10)), Is.False);
        Assert.That(rejected.GetMeasurementSnapshot().Select(m => m.Tags["error.type"]), Is.EqualTo(new[] { "completed" }));
    }

    private sealed class GatePolicy : IDrainPolicy
    {
        private int _asked;

        public volatile bool Open;

        public int Asked => Volatile.Read(ref _asked);

        public bool TrySelectLevel(in DrainState state, out PriorityLevel level)
        {
            Interlocked.Increment(ref _asked);
            level = PriorityLevel.Bulk;
            return Open && state.GetCount(PriorityLevel.Bulk) > 0;
        }

        public void OnReleased(PriorityLevel level, in DrainState state)
        {
        }
    }
}
