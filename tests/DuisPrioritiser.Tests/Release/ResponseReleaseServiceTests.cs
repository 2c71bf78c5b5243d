using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;
using DuisPrioritiser.Release.Internal;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace DuisPrioritiser.Tests.Release;

public partial class ResponseReleaseServiceTests
{
    [Test]
    public async Task Handler_FailsTwiceThenSucceeds_HandledOnceAfterBackoff()
    {
        var time = new FakeTimeProvider();
        var options = new ResponsePrioritisationOptions();
        options.Release.RetryBaseDelay = TimeSpan.FromSeconds(1);
        options.Release.UseJitter = false;
        var scheduler = new ResponseReleaseScheduler(options, timeProvider: time);
        int attempts = 0;
        var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new Mock<IResponseHandler>();
        handler.Setup(h => h.HandleAsync(It.IsAny<ReleasedMessage>(), It.IsAny<CancellationToken>()))
            .Returns(() =>
            {
                if (++attempts <= 2)
                {
                    throw new InvalidOperationException("down");
                }

                handled.SetResult();
                return ValueTask.CompletedTask;
            });
        var sink = new Mock<IDeadLetterSink>(MockBehavior.Strict);
        var service = new ResponseReleaseService(scheduler, handler.Object, sink.Object, Options.Create(options), time);
        await service.StartAsync(CancellationToken.None);
        scheduler.TryEnqueue(TestMessages.Tagged(1), PriorityLevel.Normal);

        await WaitUntilAsync(() => attempts == 1);
        await Task.Delay(20);
        Assert.That(attempts, Is.EqualTo(1), "waits for the 1 s backoff");
        time.Advance(TimeSpan.FromSeconds(1));
        await WaitUntilAsync(() => attempts == 2);
        time.Advance(TimeSpan.FromSeconds(1));
        await Task.Delay(20);
        Assert.That(attempts, Is.EqualTo(2), "the second backoff is 2 s");
        time.Advance(TimeSpan.FromSeconds(1));
        await handled.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await WaitUntilAsync(() => scheduler.GetSnapshot().InFlight == 0);

        await service.StopAsync(CancellationToken.None);
        sink.VerifyNoOtherCalls();
    }

    [Test]
    public async Task Handler_AlwaysFails_DeadLetteredWithReasonAfterMaxAttempts()
    {
        var time = new FakeTimeProvider();
        var options = new ResponsePrioritisationOptions();
        options.Release.MaxReleaseAttempts = 1;
        options.Release.MaxRetryAttempts = 2;
        options.Release.RetryBaseDelay = TimeSpan.Zero;
        var scheduler = new ResponseReleaseScheduler(options, timeProvider: time);
        var failure = new InvalidOperationException("rejected");
        var handler = new Mock<IResponseHandler>();
        handler.Setup(h => h.HandleAsync(It.IsAny<ReleasedMessage>(), It.IsAny<CancellationToken>())).ThrowsAsync(failure);
        var letters = new List<DeadLetter>();
        var sink = new Mock<IDeadLetterSink>();
        sink.Setup(s => s.DeadLetterAsync(It.IsAny<DeadLetter>(), It.IsAny<CancellationToken>()))
            .Callback<DeadLetter, CancellationToken>((letter, _) => { lock (letters) { letters.Add(letter); } })
            .Returns(ValueTask.CompletedTask);
        var service = new ResponseReleaseService(scheduler, handler.Object, sink.Object, Options.Create(options), time);
        await service.StartAsync(CancellationToken.None);
        var message = TestMessages.Tagged(1);
        scheduler.TryEnqueue(message, PriorityLevel.Normal);

        await WaitUntilAsync(() => { lock (letters) { return letters.Count == 1; } });
        Assert.That(letters[0].Reason, Is.EqualTo(DeadLetter.RetriesExhaustedReason));
        Assert.That(letters[0].Attempts, Is.EqualTo(3));
        Assert.That(letters[0].Exception, Is.SameAs(failure));
        Assert.That(letters[0].Message.Message, Is.SameAs(message));
        handler.Verify(h => h.HandleAsync(It.IsAny<ReleasedMessage>(), It.IsAny<CancellationToken>()), Times.Exactly(3));
        await WaitUntilAsync(() => scheduler.GetSnapshot().InFlight == 0);
        await service.StopAsync(CancellationToken.None);
    }

    [Test]
    public async Task StopAsync_QueuedAndThrottledBacklog_DeadLettersAllWithShutdownReason()
    {
        var time = new FakeTimeProvider();
        var options = new ResponsePrioritisationOptions();
        options.Traffic.Bulk.Normal.Rate = 0.001;
        options.Traffic.AlertCodes["8F35"] = new() { Normal = { Rate = 0.001 } };
        var scheduler = new ResponseReleaseScheduler(options, timeProvider: time);
        var handled = 0;
        var sink = new ReleaseLoopHarness.RecordingSink();
        var service = new ResponseReleaseService(scheduler, new DelegateResponseHandler((_, _) => { Interlocked.Increment(ref handled); return ValueTask.CompletedTask; }), sink, Options.Create(options), time);
        for (int i = 0; i < 10; i++)
        {
            scheduler.TryEnqueue(TestMessages.Tagged(i), PriorityLevel.Bulk);
            scheduler.TryEnqueue(TestMessages.DeviceAlert("8F35"), PriorityLevel.Normal);
        }

        await service.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => handled == 2);
        await Task.Delay(20);
        Assert.That(handled, Is.EqualTo(2), "one Bulk and one 8F35 token, then throttled");

        await service.StopAsync(CancellationToken.None);

        Assert.That(sink.Count, Is.EqualTo(18));
        Assert.That(sink.Letters.Values.SelectMany(r => r), Is.All.EqualTo(DeadLetter.ShutdownReason));
        Assert.That(scheduler.Count, Is.Zero);
        Assert.That(scheduler.GetSnapshot().InFlight, Is.Zero);
        Assert.That(scheduler.TryEnqueue(TestMessages.Tagged(99)), Is.False, "writes are refused after shutdown; the message stays the caller's");
    }

    [Test]
    public async Task StopAsync_HandlerIgnoresShutdown_AbandonsAfterTimeoutAndIgnoresLateOutcome()
    {
        var time = new FakeTimeProvider();
        var options = new ResponsePrioritisationOptions();
        options.Release.ShutdownTimeout = TimeSpan.FromSeconds(5);
        var scheduler = new ResponseReleaseScheduler(options, timeProvider: time);
        var release = new TaskCompletionSource();
        var sink = new ReleaseLoopHarness.RecordingSink();
        var service = new ResponseReleaseService(scheduler, new DelegateResponseHandler(async (_, _) => await release.Task), sink, Options.Create(options), time);
        await service.StartAsync(CancellationToken.None);
        scheduler.TryEnqueue(TestMessages.Tagged(1), PriorityLevel.Critical);
        await WaitUntilAsync(() => service.ActiveCount == 1);

        var stop = service.StopAsync(CancellationToken.None);
        await Task.Delay(20);
        Assert.That(stop.IsCompleted, Is.False, "waits for in-flight work");
        time.Advance(TimeSpan.FromSeconds(5));
        await stop.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.That(sink.Letters.Values.Single().Single(), Is.EqualTo(DeadLetter.ShutdownReason));
        release.SetResult();
        await Task.Delay(20);
        Assert.That(sink.Count, Is.EqualTo(1), "the late success does not produce a second outcome");
        Assert.That(scheduler.GetSnapshot().InFlight, Is.Zero);
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (int i = 0; i < 5000 && !condition(); i++)
        {
            await Task.Delay(1);
        }

        Assert.That(condition(), Is.True, "condition not reached");
    }
}
