using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace DuisPrioritiser.Tests.Release;

public class ResponseReleaseSchedulerTests
{
    private static readonly TimeSpan s_testTimeout = TimeSpan.FromSeconds(10);

    private static ResponseReleaseScheduler Create(int capacity = 100, QueueFullMode fullMode = QueueFullMode.Reject, TimeProvider? clock = null, IPriorityClassifier? classifier = null)
        => new(new ResponsePrioritisationOptions { Capacity = capacity, FullMode = fullMode }, classifier, timeProvider: clock);

    [Test]
    public void TryEnqueue_UsesClassifier()
    {
        var classifier = new Mock<IPriorityClassifier>();
        var level = PriorityLevel.High;
        classifier.Setup(c => c.TryClassify(It.IsAny<DuisMessage>(), out level)).Returns(true);
        var scheduler = Create(classifier: classifier.Object);
        Assert.That(scheduler.TryEnqueue(TestMessages.Response("4.1.1")), Is.True);
        Assert.That(scheduler.TryDequeue(out var released), Is.True);
        Assert.That(released.Level, Is.EqualTo(PriorityLevel.High));
    }

    [Test]
    public void TryEnqueue_WithoutClassifier_UsesOverridesThenDuisDefaultsThenDefaultLevel()
    {
        var options = new ResponsePrioritisationOptions { DefaultLevel = PriorityLevel.Low };
        options.Overrides.ServiceReferenceVariants["2.2"] = PriorityLevel.Critical;
        var scheduler = new ResponseReleaseScheduler(options);
        scheduler.TryEnqueue(new DuisMessage(DuisMessageKind.Response)); // no SRV: only DefaultLevel decides
        scheduler.TryEnqueue(TestMessages.Response("2.2"));
        Assert.That(scheduler.TryDequeue(out var first), Is.True);
        Assert.That(scheduler.TryDequeue(out var second), Is.True);
        Assert.That((first.Level, second.Level), Is.EqualTo((PriorityLevel.Critical, PriorityLevel.Low)));
    }

    [Test]
    public void TryEnqueue_AtCapacity_ReturnsFalseAndNeverEvicts()
    {
        var scheduler = Create(capacity: 3);
        for (int i = 0; i < 3; i++)
        {
            Assert.That(scheduler.TryEnqueue(TestMessages.Tagged(i), PriorityLevel.Critical), Is.True);
        }

        Assert.That(scheduler.TryEnqueue(TestMessages.Tagged(9), PriorityLevel.Bulk), Is.False);
        Assert.That(scheduler.TryEnqueue(TestMessages.Tagged(10), PriorityLevel.Critical), Is.False);
        var levels = new List<PriorityLevel>();
        while (scheduler.TryDequeue(out var released))
        {
            levels.Add(released.Level);
        }

        Assert.That(levels, Is.EqualTo(Enumerable.Repeat(PriorityLevel.Critical, 3)));
    }

    [Test]
    public void TryEnqueue_InvalidArguments_Throw()
    {
        var scheduler = Create();
        Assert.Throws<ArgumentNullException>(() => scheduler.TryEnqueue((DuisMessage)null!));
        Assert.Throws<ArgumentNullException>(() => scheduler.TryEnqueue(null!, PriorityLevel.High));
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.TryEnqueue(TestMessages.Tagged(1), (PriorityLevel)5));
    }

    [Test]
    public void TryEnqueue_StampsReceivedAtFromClockWhenUnset()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero));
        var scheduler = Create(clock: clock);
        var unset = TestMessages.Tagged(1);
        var preset = new DuisMessage(DuisMessageKind.Response) { ReceivedAt = clock.GetUtcNow().AddDays(-1) };
        scheduler.TryEnqueue(unset, PriorityLevel.Normal);
        scheduler.TryEnqueue(preset, PriorityLevel.Normal);
        Assert.That(unset.ReceivedAt, Is.EqualTo(clock.GetUtcNow()));
        Assert.That(preset.ReceivedAt, Is.EqualTo(clock.GetUtcNow().AddDays(-1)));
    }

    [Test]
    public async Task EnqueueAsync_RejectMode_ReturnsFalseAtOnceWhenFull()
    {
        var scheduler = Create(capacity: 1);
        Assert.That(await scheduler.EnqueueAsync(TestMessages.Tagged(1)), Is.True);
        Assert.That(await scheduler.EnqueueAsync(TestMessages.Tagged(2)), Is.False);
    }

    [Test]
    public async Task EnqueueAsync_WaitMode_WaitsForSpaceThenAccepts()
    {
        var scheduler = Create(capacity: 1, fullMode: QueueFullMode.Wait);
        Assert.That(await scheduler.EnqueueAsync(TestMessages.Tagged(1)), Is.True);
        var pending = scheduler.EnqueueAsync(TestMessages.Tagged(2)).AsTask();
        Assert.That(pending.IsCompleted, Is.False);
        Assert.That(scheduler.TryDequeue(out _), Is.True);
        Assert.That(await pending.WaitAsync(s_testTimeout), Is.True);
        Assert.That(scheduler.TryDequeue(out var second), Is.True);
        Assert.That(second.Message.RequestId, Is.EqualTo("2"));
    }

    [Test]
    public void EnqueueAsync_WaitMode_Cancelled_ThrowsAndDoesNotAccept()
    {
        var scheduler = Create(capacity: 1, fullMode: QueueFullMode.Wait);
        Assert.That(scheduler.TryEnqueue(TestMessages.Tagged(1)), Is.True);
        using var cts = new CancellationTokenSource();
        var pending = scheduler.EnqueueAsync(TestMessages.Tagged(2), cts.Token).AsTask();
        cts.Cancel();
        Assert.That(async () => await pending.WaitAsync(s_testTimeout), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(scheduler.GetSnapshot().TotalCount, Is.EqualTo(1));
        Assert.That(scheduler.EnqueueAsync(TestMessages.Tagged(3), cts.Token).AsTask().IsCanceled, Is.True);
    }

    [Test]
    public async Task EnqueueAsync_WaitMode_CompleteWhileWaiting_ReturnsFalse()
    {
        var scheduler = Create(capacity: 1, fullMode: QueueFullMode.Wait);
        scheduler.TryEnqueue(TestMessages.Tagged(1));
        var pending = scheduler.EnqueueAsync(TestMessages.Tagged(2)).AsTask();
        scheduler.Complete();
        Assert.That(await pending.WaitAsync(s_testTimeout), Is.False);
    }

    [Test]
    public async Task DequeueAsync_WaitsForAMessage()
    {
        var scheduler = Create();
        var pending = scheduler.DequeueAsync().AsTask();
        Assert.That(pending.IsCompleted, Is.False);
        scheduler.TryEnqueue(TestMessages.Tagged(5), PriorityLevel.High);
        var released = await pending.WaitAsync(s_testTimeout);
        Assert.That(released.Message.RequestId, Is.EqualTo("5"));
    }

    [Test]
    public void DequeueAsync_Cancelled_Throws()
    {
        var scheduler = Create();
        using var cts = new CancellationTokenSource();
        var pending = scheduler.DequeueAsync(cts.Token).AsTask();
        cts.Cancel();
        Assert.That(async () => await pending.WaitAsync(s_testTimeout), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(scheduler.WaitToReadAsync(cts.Token).AsTask().IsCanceled, Is.True);
    }

    [Test]
    public async Task DequeueAsync_CompletedAndEmpty_ThrowsInvalidOperation()
    {
        var scheduler = Create();
        var pending = scheduler.DequeueAsync().AsTask();
        scheduler.Complete();
        var ex = Assert.ThrowsAsync<InvalidOperationException>(async () => await pending.WaitAsync(s_testTimeout));
        Assert.That(ex!.Message, Does.Contain("completed"));
        await Task.CompletedTask;
    }

    [Test]
    public async Task Complete_ReadersFinishBacklogThenEnd()
    {
        var scheduler = Create();
        for (int i = 0; i < 10; i++)
        {
            scheduler.TryEnqueue(TestMessages.Tagged(i), (PriorityLevel)(i % 5));
        }

        scheduler.Complete();
        scheduler.Complete(); // idempotent
        Assert.That(scheduler.TryEnqueue(TestMessages.Tagged(99)), Is.False, "no writes after Complete");
        Assert.That(await scheduler.EnqueueAsync(TestMessages.Tagged(99)), Is.False);
        Assert.That(scheduler.Completion.IsCompleted, Is.False, "backlog still held");

        var released = new List<ReleasedMessage>();
        await foreach (var message in scheduler.ReadAllAsync().WithCancellation(CancellationToken.None))
        {
            released.Add(message);
        }

        Assert.That(released, Has.Count.EqualTo(10));
        Assert.That(released.Select(r => r.Level), Is.Ordered);
        await scheduler.Completion.WaitAsync(s_testTimeout);
        Assert.That(await scheduler.WaitToReadAsync(), Is.False);
    }

    [Test]
    public async Task ReadAllAsync_ConcurrentWritersAndReaders_ReleaseEverythingOnce()
    {
        var scheduler = Create(capacity: 64, fullMode: QueueFullMode.Wait);
        const int PerWriter = 20_000;
        var writers = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
        {
            for (int i = 0; i < PerWriter; i++)
            {
                Assert.That(await scheduler.EnqueueAsync(TestMessages.Tagged((w * PerWriter) + i)), Is.True);
            }
        })).ToArray();
        var seen = new int[3 * PerWriter];
        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            await foreach (var message in scheduler.ReadAllAsync())
            {
                Interlocked.Increment(ref seen[int.Parse(message.Message.RequestId!, System.Globalization.CultureInfo.InvariantCulture)]);
                await scheduler.AcknowledgeAsync(message);
            }
        })).ToArray();

        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));
        scheduler.Complete();
        await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.That(seen.All(s => s == 1), Is.True, "every message released exactly once");
        Assert.That(scheduler.GetSnapshot().InFlight, Is.Zero);
    }

    [Test]
    public void GetSnapshot_ReportsDepthAndOldestWaitPerLevel()
    {
        var clock = new FakeTimeProvider();
        var scheduler = Create(clock: clock);
        scheduler.TryEnqueue(TestMessages.Tagged(1), PriorityLevel.Bulk);
        clock.Advance(TimeSpan.FromSeconds(30));
        scheduler.TryEnqueue(TestMessages.Tagged(2), PriorityLevel.Bulk);
        scheduler.TryEnqueue(TestMessages.Tagged(3), PriorityLevel.Critical);
        clock.Advance(TimeSpan.FromSeconds(10));

        var snapshot = scheduler.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.TotalCount, Is.EqualTo(3));
            Assert.That(snapshot.Capacity, Is.EqualTo(100));
            Assert.That(snapshot.Levels[(int)PriorityLevel.Bulk], Is.EqualTo(new LevelSnapshot(PriorityLevel.Bulk, 2, TimeSpan.FromSeconds(40))));
            Assert.That(snapshot.Levels[(int)PriorityLevel.Critical], Is.EqualTo(new LevelSnapshot(PriorityLevel.Critical, 1, TimeSpan.FromSeconds(10))));
            Assert.That(snapshot.Levels[(int)PriorityLevel.High], Is.EqualTo(new LevelSnapshot(PriorityLevel.High, 0, TimeSpan.Zero)));
            Assert.That(snapshot.TakenAt, Is.EqualTo(clock.GetUtcNow()));
            Assert.That(snapshot.IsCompleted, Is.False);
            Assert.That(snapshot.ToString(), Does.Contain("3/100 held"));
        });
    }

    [Test]
    public async Task AcknowledgeAsync_TracksInFlight()
    {
        var scheduler = Create();
        scheduler.TryEnqueue(TestMessages.Tagged(1));
        scheduler.TryEnqueue(TestMessages.Tagged(2));
        scheduler.TryDequeue(out var first);
        scheduler.TryDequeue(out var second);
        Assert.That(scheduler.GetSnapshot().InFlight, Is.EqualTo(2));
        await scheduler.AcknowledgeAsync(first);
        await scheduler.AcknowledgeAsync(second, ReleaseOutcome.DeadLettered);
        Assert.That(scheduler.GetSnapshot().InFlight, Is.Zero);
        await scheduler.AcknowledgeAsync(second); // unbalanced: logged, never negative
        Assert.That(scheduler.GetSnapshot().InFlight, Is.Zero);
        Assert.ThrowsAsync<ArgumentException>(async () => await scheduler.AcknowledgeAsync(default));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await scheduler.AcknowledgeAsync(first, (ReleaseOutcome)7));
    }

    [Test]
    public async Task DisposeAsync_CompletesButKeepsBacklogReadable()
    {
        var scheduler = Create();
        scheduler.TryEnqueue(TestMessages.Tagged(1));
        await scheduler.DisposeAsync();
        Assert.That(scheduler.GetSnapshot().IsCompleted, Is.True);
        Assert.That(scheduler.TryEnqueue(TestMessages.Tagged(2)), Is.False);
        Assert.That(scheduler.TryDequeue(out var released), Is.True, "nothing accepted is lost by disposing");
        Assert.That(released.Message.RequestId, Is.EqualTo("1"));
        await scheduler.Completion.WaitAsync(s_testTimeout);
    }

    [Test]
    public void Constructor_InvalidOptions_ThrowsSayingWhatToFix()
    {
        Assert.Throws<ArgumentNullException>(() => _ = new ResponseReleaseScheduler(null!));
        var ex = Assert.Throws<ArgumentException>(() => _ = new ResponseReleaseScheduler(new ResponsePrioritisationOptions { Capacity = 0 }));
        Assert.That(ex!.Message, Does.Contain("Capacity"));
        var options = new ResponsePrioritisationOptions();
        options.Overrides.ServiceReferenceVariants["8..1"] = PriorityLevel.High;
        ex = Assert.Throws<ArgumentException>(() => _ = new ResponseReleaseScheduler(options));
        Assert.That(ex!.Message, Does.Contain("'8..1'"));
    }

    [Test]
    public void ReleasedMessage_Equality()
    {
        var scheduler = Create();
        scheduler.TryEnqueue(TestMessages.Tagged(1), PriorityLevel.Low);
        scheduler.TryDequeue(out var released);
        var copy = released;
        Assert.That(copy == released, Is.True);
        Assert.That(copy != default, Is.True);
        Assert.That(released.Equals((object)copy), Is.True);
        Assert.That(released.GetHashCode(), Is.EqualTo(copy.GetHashCode()));
        Assert.That(released.ToString(), Does.StartWith("Low:"));
    }
}
