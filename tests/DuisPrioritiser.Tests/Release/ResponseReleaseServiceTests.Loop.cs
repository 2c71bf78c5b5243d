using DuisPrioritiser.Classification;
using DuisPrioritiser.Release;
using DuisPrioritiser.Release.Internal;
using DuisPrioritiser.Tests.Journal;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DuisPrioritiser.Tests.Release;

/// <summary>The release loop's slot handling and shutdown with a durable journal.</summary>
public partial class ResponseReleaseServiceTests
{
    [Test]
    public async Task Retry_FixedLimitOfOneAndIdleLoop_RetriesWithoutAnotherMessageArriving()
    {
        var time = new FakeTimeProvider();
        var options = new ResponsePrioritisationOptions();
        options.Pace.Mode = PaceMode.Fixed;
        options.Pace.FixedLimit = 1;
        options.Release.RetryBaseDelay = TimeSpan.FromSeconds(1);
        options.Release.UseJitter = false;
        var scheduler = new ResponseReleaseScheduler(options, timeProvider: time);
        int attempts = 0;
        var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateResponseHandler((_, _) =>
        {
            if (Interlocked.Increment(ref attempts) == 1)
            {
                throw new InvalidOperationException("first attempt fails");
            }

            handled.TrySetResult();
            return ValueTask.CompletedTask;
        });
        var sink = new ReleaseLoopHarness.RecordingSink();
        var service = new ResponseReleaseService(scheduler, handler, sink, Options.Create(options), time);
        await service.StartAsync(CancellationToken.None);
        scheduler.TryEnqueue(TestMessages.Tagged(1), PriorityLevel.Normal);

        // The first attempt failed; the release waits 1 s to retry while the loop is idle on an empty scheduler.
        await WaitUntilAsync(() => service.ConsecutiveFailures == 1 && scheduler.Count == 0 && service.IsLoopWaiting);
        time.Advance(TimeSpan.FromSeconds(1));

        await handled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await WaitUntilAsync(() => service.ActiveCount == 0);
        Assert.That(attempts, Is.EqualTo(2));
        Assert.That(service.Limiter.InFlight, Is.Zero, "no slot is held while the loop waits for work");
        await service.StopAsync(CancellationToken.None);
        Assert.That(sink.Count, Is.Zero, "the retry ran; nothing was dead-lettered at shutdown");
    }

    [Test]
    public async Task StopAsync_JournaledAndMessageInRetryBackoff_LeavesItInJournalNotDeadLettered()
    {
        using var directory = new JournalTestDirectory();
        var time = new FakeTimeProvider();
        var options = new ResponsePrioritisationOptions();
        options.Journal.Directory = directory.Path;
        options.Release.RetryBaseDelay = TimeSpan.FromMinutes(1);
        options.Release.RetryMaxDelay = TimeSpan.FromMinutes(1);
        var sink = new ReleaseLoopHarness.RecordingSink();
        int attempts = 0;
        var handler = new DelegateResponseHandler((_, _) =>
        {
            Interlocked.Increment(ref attempts);
            throw new InvalidOperationException("back-end down");
        });

        await using (var scheduler = new ResponseReleaseScheduler(options, timeProvider: time))
        {
            var service = new ResponseReleaseService(scheduler, handler, sink, Options.Create(options), time);
            await service.StartAsync(CancellationToken.None);
            Assert.That(await scheduler.EnqueueAsync(TestMessages.Tagged(7)), Is.True);

            // Failed once; now waiting one virtual minute to retry.
            await WaitUntilAsync(() => service.ConsecutiveFailures == 1 && service.ActiveCount == 1);
            await service.StopAsync(CancellationToken.None);

            Assert.That(attempts, Is.EqualTo(1));
            Assert.That(sink.Count, Is.Zero, "with a journal, shutdown does not dead-letter a message waiting to retry");
            Assert.That(service.ActiveCount, Is.Zero);
        }

        await using var restarted = new ResponseReleaseScheduler(options, timeProvider: time);
        Assert.That(restarted.TryDequeue(out var recovered), Is.True, "the message is recovered at the next start");
        Assert.That(recovered.Message.RequestId, Is.EqualTo("7"));
        Assert.That(restarted.TryDequeue(out _), Is.False);
    }
}
