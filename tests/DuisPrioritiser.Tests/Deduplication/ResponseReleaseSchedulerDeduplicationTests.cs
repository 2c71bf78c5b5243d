using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;
using Microsoft.Extensions.Time.Testing;

namespace DuisPrioritiser.Tests.Deduplication;

public class ResponseReleaseSchedulerDeduplicationTests
{
    private static ResponseReleaseScheduler Create(int capacity = 100, bool enabled = true, TimeProvider? clock = null)
    {
        var options = new ResponsePrioritisationOptions { Capacity = capacity };
        options.Deduplication.Enabled = enabled;
        options.Deduplication.MaxAge = TimeSpan.FromMinutes(10);
        return new ResponseReleaseScheduler(options, timeProvider: clock);
    }

    private static DuisMessage Response(string? responseId, string code = "I0", string? requestId = null)
        => new(DuisMessageKind.Response)
        {
            ServiceReferenceVariant = ServiceReferenceVariant.Parse("4.1.1"),
            ResponseCode = DuisCode.Parse(code),
            ResponseId = responseId,
            RequestId = requestId,
        };

    private static DuisMessage Alert(string? responseId, string alertCode)
        => new(DuisMessageKind.DeviceAlert) { ResponseId = responseId, AlertCode = DuisCode.Parse(alertCode), ResponseCode = DuisCode.Parse("I0") };

    [Test]
    public async Task EnqueueWithResultAsync_Redelivery_IsAcceptedDuplicateAndNotEnqueuedTwice()
    {
        var scheduler = Create();
        Assert.That(await scheduler.EnqueueWithResultAsync(Response("r1")), Is.EqualTo(EnqueueResult.Accepted));
        Assert.That(await scheduler.EnqueueWithResultAsync(Response("r1")), Is.EqualTo(EnqueueResult.AcceptedDuplicate));
        Assert.That(await scheduler.EnqueueAsync(Response("r1")), Is.True);
        Assert.That(scheduler.TryEnqueue(Response("r1")), Is.True);
        Assert.That(scheduler.Count, Is.EqualTo(1));
        Assert.That(scheduler.DuplicatesSuppressed, Is.EqualTo(3));
        Assert.That(scheduler.GetSnapshot().DuplicatesSuppressed, Is.EqualTo(3));
    }

    [Test]
    public async Task EnqueueWithResultAsync_DifferentCodeKindOrAlert_IsNeverSuppressed()
    {
        var scheduler = Create();
        var messages = new[]
        {
            Response("id"),
            Response("id", "I99"),
            Response("id", "E20"),
            Response(null, requestId: "id"), // the same text as a RequestID is a different key
            Alert("id", "8F0F"),
            Alert("id", "8F35"),
            new DuisMessage(DuisMessageKind.Smets1Response) { ResponseId = "id", ResponseCode = DuisCode.Parse("I0") },
            new DuisMessage(DuisMessageKind.Response) { ResponseId = "id", ResponseCode = DuisCode.Parse("I0"), ServiceReferenceVariant = ServiceReferenceVariant.Parse("8.1.1") },
            new DuisMessage(DuisMessageKind.DccAlert) { ResponseId = "id", AlertCode = DuisCode.Parse("N1"), DccAlertPayloadName = "CommandFailure" },
            new DuisMessage(DuisMessageKind.DccAlert) { ResponseId = "id", AlertCode = DuisCode.Parse("N1"), DccAlertPayloadName = "FirmwareVersionMismatch" },
        };
        foreach (var message in messages)
        {
            Assert.That(await scheduler.EnqueueWithResultAsync(message), Is.EqualTo(EnqueueResult.Accepted), message.ToString());
        }

        Assert.That(scheduler.Count, Is.EqualTo(messages.Length));
        Assert.That(scheduler.DuplicatesSuppressed, Is.Zero);
    }

    [Test]
    public void TryEnqueue_MessagesWithoutAnyId_AreNeverSuppressed()
    {
        var scheduler = Create();
        for (int i = 0; i < 5; i++)
        {
            Assert.That(scheduler.TryEnqueue(Alert(null, "8F0F")), Is.True);
        }

        Assert.That(scheduler.Count, Is.EqualTo(5));
    }

    [Test]
    public void TryEnqueue_RequestIdUsedWhenNoResponseId()
    {
        var scheduler = Create();
        Assert.That(scheduler.TryEnqueue(Response(null, requestId: "q")), Is.True);
        Assert.That(scheduler.TryEnqueue(Response(null, requestId: "q")), Is.True);
        Assert.That((scheduler.Count, scheduler.DuplicatesSuppressed), Is.EqualTo((1L, 1L)));
    }

    [Test]
    public void TryEnqueue_AfterMaxAge_IsAcceptedAgain()
    {
        var clock = new FakeTimeProvider();
        var scheduler = Create(clock: clock);
        scheduler.TryEnqueue(Response("r"));
        clock.Advance(TimeSpan.FromMinutes(11));
        scheduler.TryEnqueue(Response("r"));
        Assert.That(scheduler.Count, Is.EqualTo(2));
    }

    [Test]
    public void TryEnqueue_Disabled_AcceptsEveryCopy()
    {
        var scheduler = Create(enabled: false);
        scheduler.TryEnqueue(Response("r"));
        scheduler.TryEnqueue(Response("r"));
        Assert.That((scheduler.Count, scheduler.DuplicatesSuppressed), Is.EqualTo((2L, 0L)));
    }

    [Test]
    public async Task EnqueueWithResultAsync_RefusedAsFull_IsNotRememberedSoTheResendIsAccepted()
    {
        var scheduler = Create(capacity: 1);
        await scheduler.EnqueueAsync(Response("first"));
        Assert.That(await scheduler.EnqueueWithResultAsync(Response("second")), Is.EqualTo(EnqueueResult.RejectedFull));
        Assert.That(scheduler.TryDequeue(out _), Is.True);
        Assert.That(await scheduler.EnqueueWithResultAsync(Response("second")), Is.EqualTo(EnqueueResult.Accepted));
    }

    [Test]
    public async Task EnqueueWithResultAsync_AfterComplete_IsRejectedCompleted()
    {
        var scheduler = Create();
        scheduler.Complete();
        Assert.That(await scheduler.EnqueueWithResultAsync(Response("x")), Is.EqualTo(EnqueueResult.RejectedCompleted));
    }
}
