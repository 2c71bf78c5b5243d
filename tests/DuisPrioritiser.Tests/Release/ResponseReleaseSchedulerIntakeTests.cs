using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;
using static DuisPrioritiser.Tests.Duis.DuisCorpus;

namespace DuisPrioritiser.Tests.Release;

/// <summary>One-call intake of raw bytes: read + classify + enqueue.</summary>
public class ResponseReleaseSchedulerIntakeTests
{
    private static ResponseReleaseScheduler Create(int capacity = 100, QueueFullMode fullMode = QueueFullMode.Reject, int maxMessageBytes = DuisReaderOptions.DefaultMaxMessageBytes)
        => new(new ResponsePrioritisationOptions
        {
            Capacity = capacity,
            FullMode = fullMode,
            Reader = { MaxMessageBytes = maxMessageBytes },
            Deduplication = { Enabled = false }, // these tests enqueue the very same bytes again and again
        });

    [Test]
    public void TryEnqueue_ValidBytes_AcceptedWithLevelAndReleasedUnchanged()
    {
        var scheduler = Create();
        var bytes = Utf8(Response("8.1.1", GbcsPayload()));
        var result = scheduler.TryEnqueue(bytes);
        Assert.Multiple(() =>
        {
            Assert.That(result.Status, Is.EqualTo(IntakeStatus.Accepted));
            Assert.That(result.IsAccepted, Is.True);
            Assert.That(result.Level, Is.EqualTo(PriorityLevel.Critical));
            Assert.That(result.Message!.ServiceReferenceVariant.ToString(), Is.EqualTo("8.1.1"));
            Assert.That(result.Error.IsError, Is.False);
            Assert.That(scheduler.Count, Is.EqualTo(1));
        });

        Assert.That(scheduler.TryDequeue(out var released), Is.True);
        Assert.That(released.Message, Is.SameAs(result.Message));
        Assert.That(released.Level, Is.EqualTo(PriorityLevel.Critical));
        Assert.That(released.Message.RawMessage.ToArray(), Is.EqualTo(bytes));
    }

    [Test]
    public void TryEnqueue_MixedBytes_ReleasedInPriorityOrder()
    {
        var scheduler = Create();
        Assert.That(scheduler.TryEnqueue(Utf8(DeviceAlert("0001"))).Level, Is.EqualTo(PriorityLevel.Bulk));
        Assert.That(scheduler.TryEnqueue(Utf8(Response("4.6.1", ScheduledPayload()))).Level, Is.EqualTo(PriorityLevel.Low));
        Assert.That(scheduler.TryEnqueue(Utf8(Response("4.1.1"))).Level, Is.EqualTo(PriorityLevel.Normal));
        Assert.That(scheduler.TryEnqueue(Utf8(DccAlert("AD1"))).Level, Is.EqualTo(PriorityLevel.High));
        Assert.That(scheduler.TryEnqueue(Utf8(DeviceAlert("8F0F"))).Level, Is.EqualTo(PriorityLevel.Critical));

        var order = new List<PriorityLevel>();
        while (scheduler.TryDequeue(out var released))
        {
            order.Add(released.Level);
        }

        Assert.That(order, Is.EqualTo(new[] { PriorityLevel.Critical, PriorityLevel.High, PriorityLevel.Normal, PriorityLevel.Low, PriorityLevel.Bulk }));
    }

    [Test]
    public void TryEnqueue_InvalidBytes_RejectedInvalidWithErrorAndNothingEnqueued()
    {
        var scheduler = Create();
        var result = scheduler.TryEnqueue(Utf8(DeviceAlert("ZZZZ")));
        Assert.Multiple(() =>
        {
            Assert.That(result.Status, Is.EqualTo(IntakeStatus.RejectedInvalid));
            Assert.That(result.IsAccepted, Is.False);
            Assert.That(result.Message, Is.Null);
            Assert.That(result.Error.Code, Is.EqualTo(DuisParseErrorCode.InvalidAlertCode));
            Assert.That(result.ToString(), Does.Contain("AlertCode"));
            Assert.That(scheduler.Count, Is.Zero);
        });
    }

    [Test]
    public void TryEnqueue_HostileInputs_NeverThrowNeverEnqueue()
    {
        var scheduler = Create();
        string[] hostile =
        [
            "", "not xml", "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>",
            StatusResponse1K()[..100], $"<sr:Response xmlns:sr=\"{DuisNs}\"><sr:Body/></sr:Response>", StatusResponse1K() + StatusResponse1K(),
        ];
        foreach (string xml in hostile)
        {
            var result = scheduler.TryEnqueue(Utf8(xml));
            Assert.That(result.Status, Is.EqualTo(IntakeStatus.RejectedInvalid), xml);
            Assert.That(result.Error.IsError, Is.True);
        }

        Assert.That(scheduler.TryEnqueue(new byte[] { 0xFF, 0xFE, 0x00 }).Status, Is.EqualTo(IntakeStatus.RejectedInvalid));
        Assert.That(scheduler.Count, Is.Zero);
    }

    [Test]
    public void TryEnqueue_OverReaderLimit_RejectedInvalidTooLarge()
    {
        var scheduler = Create(maxMessageBytes: 1800);
        var result = scheduler.TryEnqueue(Utf8(ReadResponse2K()));
        Assert.That(result.Status, Is.EqualTo(IntakeStatus.RejectedInvalid));
        Assert.That(result.Error.Code, Is.EqualTo(DuisParseErrorCode.MessageTooLarge));
        Assert.That(scheduler.TryEnqueue(Utf8(Response("4.1.1", responseId: null, requestId: null))).Status, Is.EqualTo(IntakeStatus.Accepted));
    }

    [Test]
    public void TryEnqueue_AtCapacity_RejectedFullWithLevelAndMessage()
    {
        var scheduler = Create(capacity: 1);
        Assert.That(scheduler.TryEnqueue(Utf8(Response("4.1.1"))).Status, Is.EqualTo(IntakeStatus.Accepted));
        var result = scheduler.TryEnqueue(Utf8(Response("8.1.1")));
        Assert.That(result.Status, Is.EqualTo(IntakeStatus.RejectedFull));
        Assert.That(result.Level, Is.EqualTo(PriorityLevel.Critical));
        Assert.That(result.Message, Is.Not.Null, "the caller keeps the read message to retry or dead-letter");
        Assert.That(scheduler.Count, Is.EqualTo(1));
    }

    [Test]
    public void TryEnqueue_AfterComplete_RejectedCompleted()
    {
        var scheduler = Create();
        scheduler.Complete();
        Assert.That(scheduler.TryEnqueue(Utf8(Response("4.1.1"))).Status, Is.EqualTo(IntakeStatus.RejectedCompleted));
    }

    [Test]
    public async Task EnqueueAsync_ValidBytes_Accepted()
    {
        var scheduler = Create();
        var result = await scheduler.EnqueueAsync(Utf8(DeviceAlert("8F35")));
        Assert.That(result.Status, Is.EqualTo(IntakeStatus.Accepted));
        Assert.That(result.Level, Is.EqualTo(PriorityLevel.High));
    }

    [Test]
    public async Task EnqueueAsync_InvalidBytes_RejectedInvalidWithoutThrowing()
    {
        var scheduler = Create(capacity: 1, fullMode: QueueFullMode.Wait);
        var result = await scheduler.EnqueueAsync(Utf8("<x/>"));
        Assert.That(result.Status, Is.EqualTo(IntakeStatus.RejectedInvalid));
        Assert.That(result.Error.Code, Is.EqualTo(DuisParseErrorCode.WrongRoot));
    }

    [Test]
    public async Task EnqueueAsync_FullUnderReject_RejectedFullAtOnce()
    {
        var scheduler = Create(capacity: 1);
        Assert.That((await scheduler.EnqueueAsync(Utf8(Response("4.1.1")))).IsAccepted, Is.True);
        Assert.That((await scheduler.EnqueueAsync(Utf8(Response("4.1.1")))).Status, Is.EqualTo(IntakeStatus.RejectedFull));
    }

    [Test]
    public async Task EnqueueAsync_FullUnderWait_WaitsForSpaceThenAccepted()
    {
        var scheduler = Create(capacity: 1, fullMode: QueueFullMode.Wait);
        Assert.That(scheduler.TryEnqueue(Utf8(Response("4.1.1"))).IsAccepted, Is.True);
        var pending = scheduler.EnqueueAsync(Utf8(Response("8.1.1")));
        Assert.That(pending.IsCompleted, Is.False, "waits for space");
        Assert.That(scheduler.TryDequeue(out _), Is.True);
        var result = await pending;
        Assert.That(result.Status, Is.EqualTo(IntakeStatus.Accepted));
        Assert.That(result.Level, Is.EqualTo(PriorityLevel.Critical));
        Assert.That(scheduler.Count, Is.EqualTo(1));
    }

    [Test]
    public async Task EnqueueAsync_WaitingWhenCompleted_RejectedCompleted()
    {
        var scheduler = Create(capacity: 1, fullMode: QueueFullMode.Wait);
        Assert.That(scheduler.TryEnqueue(Utf8(Response("4.1.1"))).IsAccepted, Is.True);
        var pending = scheduler.EnqueueAsync(Utf8(Response("8.1.1")));
        scheduler.Complete();
        Assert.That((await pending).Status, Is.EqualTo(IntakeStatus.RejectedCompleted));
        Assert.That(scheduler.Count, Is.EqualTo(1), "the held message is still there for readers");
    }

    [Test]
    public void EnqueueAsync_CancelledWhileWaiting_ThrowsAndDoesNotEnqueue()
    {
        var scheduler = Create(capacity: 1, fullMode: QueueFullMode.Wait);
        Assert.That(scheduler.TryEnqueue(Utf8(Response("4.1.1"))).IsAccepted, Is.True);
        using var cts = new CancellationTokenSource();
        var pending = scheduler.EnqueueAsync(Utf8(Response("8.1.1")), cts.Token).AsTask();
        cts.Cancel();
        Assert.That(async () => await pending, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(scheduler.Count, Is.EqualTo(1));
    }

    [Test]
    public void EnqueueAsync_AlreadyCancelled_Throws()
    {
        var scheduler = Create();
        Assert.That(async () => await scheduler.EnqueueAsync(Utf8(Response("4.1.1")), new CancellationToken(canceled: true)), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(scheduler.Count, Is.Zero);
    }

    [Test]
    public void Constructor_InvalidReaderLimit_ThrowsSayingWhatToFix()
    {
        var options = new ResponsePrioritisationOptions { Reader = { MaxMessageBytes = 0 } };
        Assert.That(() => new ResponseReleaseScheduler(options), Throws.ArgumentException.With.Message.Contains("MaxMessageBytes"));
        Assert.That(() => new ResponseReleaseScheduler(new ResponsePrioritisationOptions { Reader = null! }), Throws.ArgumentException.With.Message.Contains("Reader"));
    }

    [Test]
    public void Constructor_ReaderLimit_IsCopied()
    {
        var options = new ResponsePrioritisationOptions { Reader = { MaxMessageBytes = 1024 } };
        var scheduler = new ResponseReleaseScheduler(options);
        options.Reader.MaxMessageBytes = DuisReaderOptions.DefaultMaxMessageBytes;
        Assert.That(scheduler.TryEnqueue(Utf8(ReadResponse2K())).Error.Code, Is.EqualTo(DuisParseErrorCode.MessageTooLarge));
    }
}
