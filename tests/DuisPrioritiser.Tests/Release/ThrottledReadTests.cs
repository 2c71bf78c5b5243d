using DuisPrioritiser.Classification;
using DuisPrioritiser.Release;
using DuisPrioritiser.Release.Internal;
using Microsoft.Extensions.Time.Testing;

namespace DuisPrioritiser.Tests.Release;

public class ThrottledReadTests
{
    private FakeTimeProvider _time = null!;

    [SetUp]
    public void SetUp() => _time = new FakeTimeProvider();

    [Test]
    public async Task WaitToReadAsync_AllHeldThrottled_WaitsForNextTokenInsteadOfSpinning()
    {
        var scheduler = Create(o => o.Traffic.Bulk.Normal.Rate = 2);
        scheduler.TryEnqueue(TestMessages.Tagged(1), PriorityLevel.Bulk);
        scheduler.TryEnqueue(TestMessages.Tagged(2), PriorityLevel.Bulk);
        Assert.That(scheduler.TryDequeue(out _), Is.True);

        var wait = scheduler.WaitToReadAsync().AsTask();
        await Task.Delay(50);
        Assert.That(wait.IsCompleted, Is.False, "held but throttled: not readable");

        _time.Advance(TimeSpan.FromMilliseconds(499));
        await Task.Delay(20);
        Assert.That(wait.IsCompleted, Is.False);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(await wait.WaitAsync(TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(scheduler.TryDequeue(out _), Is.True);
    }

    [Test]
    public async Task WaitToReadAsync_ThrottledThenUnthrottledArrives_WakesAtOnce()
    {
        var scheduler = Create(o => o.Traffic.Bulk.Normal.Rate = 0.01);
        scheduler.TryEnqueue(TestMessages.Tagged(1), PriorityLevel.Bulk);
        scheduler.TryEnqueue(TestMessages.Tagged(2), PriorityLevel.Bulk);
        Assert.That(scheduler.TryDequeue(out _), Is.True);

        var wait = scheduler.WaitToReadAsync().AsTask();
        await Task.Delay(20);
        Assert.That(wait.IsCompleted, Is.False);
        scheduler.TryEnqueue(TestMessages.Tagged(3), PriorityLevel.Critical);
        Assert.That(await wait.WaitAsync(TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(scheduler.TryDequeue(out var released), Is.True);
        Assert.That(released.Level, Is.EqualTo(PriorityLevel.Critical));
    }

    [Test]
    public async Task ReadAllAsync_ThrottledAndCompleted_ReleasesEverythingThenEnds()
    {
        var scheduler = Create(o => o.Traffic.Bulk.Normal.Rate = 10);
        for (int i = 0; i < 20; i++)
        {
            scheduler.TryEnqueue(TestMessages.Tagged(i), PriorityLevel.Bulk);
        }

        scheduler.Complete();
        var read = Task.Run(async () =>
        {
            var seen = new List<DateTimeOffset>();
            await foreach (var message in scheduler.ReadAllAsync())
            {
                seen.Add(_time.GetUtcNow());
            }

            return seen;
        });

        var start = _time.GetUtcNow();
        for (int step = 0; step < 400 && !read.IsCompleted; step++)
        {
            await Task.Delay(1);
            _time.Advance(TimeSpan.FromMilliseconds(10));
        }

        var times = await read.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(times, Has.Count.EqualTo(20));
        Assert.That(times[^1] - start, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1.9)), "10 per second");
        Assert.That(scheduler.Completion.IsCompleted, Is.True);
    }

    [Test]
    public void TryDequeue_AlertCodeOverLimit_DefersItAndReleasesOthersInOrder()
    {
        var scheduler = Create(o => o.Traffic.AlertCodes["8F35"] = new() { Normal = { Rate = 1 } });
        scheduler.TryEnqueue(TestMessages.DeviceAlert("8F35"), PriorityLevel.Bulk);
        scheduler.TryEnqueue(TestMessages.DeviceAlert("8F35"), PriorityLevel.Bulk);
        scheduler.TryEnqueue(TestMessages.DeviceAlert("8F36"), PriorityLevel.Bulk);

        Assert.That(scheduler.TryDequeue(out var first), Is.True);
        Assert.That(first.Message.AlertCode.ToString(), Is.EqualTo("8F35"));
        Assert.That(scheduler.TryDequeue(out var second), Is.True);
        Assert.That(second.Message.AlertCode.ToString(), Is.EqualTo("8F36"), "the second 8F35 is deferred, not blocking other codes");
        Assert.That(scheduler.TryDequeue(out _), Is.False);
        Assert.That(scheduler.Count, Is.EqualTo(1), "the deferred message is still held");
        var snapshot = scheduler.GetSnapshot();
        Assert.That(snapshot.DeferredCount, Is.EqualTo(1));
        Assert.That(snapshot.TotalCount, Is.EqualTo(1));
        Assert.That(scheduler.GetReleaseDelay(_time.GetTimestamp()), Is.EqualTo(_time.TimestampFrequency));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(scheduler.TryDequeue(out var third), Is.True);
        Assert.That(third.Message.AlertCode.ToString(), Is.EqualTo("8F35"));
        Assert.That(third.Wait, Is.EqualTo(TimeSpan.FromSeconds(1)), "keeps its original enqueue time");
        Assert.That(scheduler.Count, Is.Zero);
    }

    [Test]
    public void TryDequeue_DeferredBulkCode_DoesNotJumpAheadOfHigherLevels()
    {
        var scheduler = Create(o => o.Traffic.AlertCodes["8F35"] = new() { Normal = { Rate = 1 } });
        scheduler.TryEnqueue(TestMessages.DeviceAlert("8F35"), PriorityLevel.Bulk);
        scheduler.TryEnqueue(TestMessages.DeviceAlert("8F35"), PriorityLevel.Bulk);
        Assert.That(scheduler.TryDequeue(out _), Is.True);
        Assert.That(scheduler.TryDequeue(out _), Is.False);
        _time.Advance(TimeSpan.FromSeconds(1));
        scheduler.TryEnqueue(TestMessages.Tagged(1), PriorityLevel.Critical);

        Assert.That(scheduler.TryDequeue(out var next), Is.True);
        Assert.That(next.Level, Is.EqualTo(PriorityLevel.Critical));
        Assert.That(scheduler.TryDequeue(out var deferred), Is.True);
        Assert.That(deferred.Level, Is.EqualTo(PriorityLevel.Bulk));
    }

    [Test]
    public void TryDequeue_LaneThatOnceHeldHighWork_DoesNotLetLaterBulkAheadOfNormal()
    {
        var scheduler = Create(o => o.Traffic.AlertCodes["8F35"] = new() { Normal = { Rate = 1 } });

        // The lane parks a High message of the code, then releases it when its token is due.
        scheduler.TryEnqueue(TestMessages.DeviceAlert("8F35"), PriorityLevel.High);
        scheduler.TryEnqueue(TestMessages.DeviceAlert("8F35"), PriorityLevel.High);
        Assert.That(scheduler.TryDequeue(out _), Is.True);
        Assert.That(scheduler.TryDequeue(out _), Is.False, "the second High of the code waits for its token");
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(scheduler.TryDequeue(out var second), Is.True);
        Assert.That(second.Level, Is.EqualTo(PriorityLevel.High));

        // Now a Bulk message of the same code is parked, and Normal work arrives.
        scheduler.TryEnqueue(TestMessages.DeviceAlert("8F35"), PriorityLevel.Bulk);
        Assert.That(scheduler.TryDequeue(out _), Is.False, "no token: the Bulk message is parked");
        scheduler.TryEnqueue(TestMessages.Tagged(7), PriorityLevel.Normal);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.That(scheduler.TryDequeue(out var next), Is.True);
        Assert.That(next.Level, Is.EqualTo(PriorityLevel.Normal), "parked Bulk must not jump ahead of Normal work");
        Assert.That(scheduler.TryDequeue(out var bulk), Is.True);
        Assert.That(bulk.Level, Is.EqualTo(PriorityLevel.Bulk));
    }

    [Test]
    public void TryDequeueIgnoringPolicy_ThrottledAndDeferred_HandsEverythingOver()
    {
        var scheduler = Create(o =>
        {
            o.Traffic.Bulk.Normal.Rate = 0.001;
            o.Traffic.AlertCodes["8F35"] = new() { Normal = { Rate = 0.001 } };
        });
        for (int i = 0; i < 5; i++)
        {
            scheduler.TryEnqueue(TestMessages.DeviceAlert("8F35"), PriorityLevel.High);
            scheduler.TryEnqueue(TestMessages.Tagged(i), PriorityLevel.Bulk);
        }

        while (scheduler.TryDequeue(out _))
        {
        }

        long held = scheduler.Count;
        Assert.That(held, Is.GreaterThan(0));
        int drained = 0;
        while (scheduler.TryDequeueIgnoringPolicy(out _))
        {
            drained++;
        }

        Assert.That(drained, Is.EqualTo(held));
        Assert.That(scheduler.Count, Is.Zero);
    }

    private ResponseReleaseScheduler Create(Action<ResponsePrioritisationOptions> configure)
    {
        var options = new ResponsePrioritisationOptions();
        configure(options);
        return new ResponseReleaseScheduler(options, timeProvider: _time);
    }
}
