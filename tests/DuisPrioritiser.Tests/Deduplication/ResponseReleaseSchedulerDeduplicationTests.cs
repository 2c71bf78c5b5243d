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

    [Test]
    public void GetSnapshot_WindowSmallerThanTheTraffic_CountsKeysForgottenEarly()
    {
        var options = new ResponsePrioritisationOptions { Capacity = 1_000 };
        options.Deduplication.MaxCount = 16;
        using var scheduler = new ResponseReleaseScheduler(options, timeProvider: new FakeTimeProvider());
        Assert.That(scheduler.GetSnapshot().DuplicateKeysEvicted, Is.Zero);
        for (int i = 0; i < 100; i++)
        {
            Assert.That(scheduler.TryEnqueue(Response($"r{i}")), Is.True);
        }

        // 100 live keys through 16 slots: at least 84 were forgotten before their age limit, so their copies count as new.
        Assert.That(scheduler.GetSnapshot().DuplicateKeysEvicted, Is.InRange(84, 100));
        Assert.That(scheduler.TryEnqueue(Response("r0")), Is.True);
        Assert.That(scheduler.Count, Is.EqualTo(101), "The first key was forgotten: its copy is accepted again (a redelivery, never a loss).");
    }

    [Test]
    [Category("Stress")]
    public async Task TryEnqueue_FourProducersWithRedeliveries_LosesNoDistinctMessageAndSuppressesEveryLaterCopy()
    {
        // Four producers: each sends its own ids twice (the second copy after the first was accepted: must be
        // suppressed) and a shared set of ids that all four race on (each id must be released at least once; racing
        // copies may both be accepted, a documented redelivery). Two readers drain concurrently.
        const int Producers = 4;
        const int Own = 5_000;
        const int Shared = 2_000;
        var options = new ResponsePrioritisationOptions { Capacity = 100_000 };
        options.Traffic.Bulk.FairQueueing = false;
        using var scheduler = new ResponseReleaseScheduler(options);
        var released = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        int producing = Producers;

        async Task ReadAsync()
        {
            while (true)
            {
                if (scheduler.TryDequeue(out var message))
                {
                    released.AddOrUpdate(message.Message.ResponseId!, 1, (_, n) => n + 1);
                    await scheduler.AcknowledgeAsync(message);
                }
                else if (Volatile.Read(ref producing) == 0 && scheduler.Count == 0)
                {
                    return;
                }
                else
                {
                    await Task.Yield();
                }
            }
        }

        var readers = new[] { Task.Run(ReadAsync), Task.Run(ReadAsync) };
        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(() =>
        {
            for (int i = 0; i < Own; i++)
            {
                string id = $"own-{p}-{i}";
                Assert.That(scheduler.TryEnqueue(Response(id)), Is.True);
                Assert.That(scheduler.TryEnqueue(Response(id)), Is.True, "A duplicate is reported as accepted.");
                if (i < Shared)
                {
                    Assert.That(scheduler.TryEnqueue(Response($"shared-{(i + p) % Shared}")), Is.True);
                }
            }

            Interlocked.Decrement(ref producing);
        })).ToArray();

        await Task.WhenAll(producers).WaitAsync(TimeSpan.FromSeconds(60));
        await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(60));

        var ownReleased = released.Where(kv => kv.Key.StartsWith("own-", StringComparison.Ordinal)).ToArray();
        Assert.That(ownReleased, Has.Length.EqualTo(Producers * Own), "Every distinct message is released.");
        Assert.That(ownReleased.Where(kv => kv.Value != 1), Is.Empty, "A copy sent after its message was accepted is suppressed.");
        Assert.That(released.Keys.Count(k => k.StartsWith("shared-", StringComparison.Ordinal)), Is.EqualTo(Shared), "Every shared id is released at least once.");
        long sharedCopies = released.Where(kv => kv.Key.StartsWith("shared-", StringComparison.Ordinal)).Sum(kv => (long)kv.Value);
        Assert.That(scheduler.DuplicatesSuppressed, Is.EqualTo((Producers * Own) + ((long)Producers * Shared) - sharedCopies));
    }
}
