using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Journal;
using DuisPrioritiser.Journal.Internal;
using DuisPrioritiser.Release;

namespace DuisPrioritiser.Tests.Journal;

public class ResponseReleaseSchedulerJournalTests
{
    private JournalTestDirectory _directory = null!;

    [SetUp]
    public void SetUp() => _directory = new JournalTestDirectory();

    [TearDown]
    public void TearDown() => _directory.Dispose();

    [Test]
    public async Task EnqueueAsync_ThenRestart_RecoversEveryUncompletedMessageAtItsLevelInOrder()
    {
        await using (var scheduler = Open())
        {
            for (int i = 0; i < 30; i++)
            {
                Assert.That(await scheduler.EnqueueAsync(Tagged(i, i % 3 == 0 ? "2.2" : "4.1.1")), Is.True);
            }
        }

        await using var restarted = Open();
        var released = DrainAll(restarted);
        Assert.That(released.Select(r => (r.Level, r.Message.RequestId)), Is.EqualTo(
            Enumerable.Range(0, 30).Where(i => i % 3 == 0).Select(i => (PriorityLevel.Critical, (string?)Tag(i)))
                .Concat(Enumerable.Range(0, 30).Where(i => i % 3 != 0).Select(i => (PriorityLevel.Normal, (string?)Tag(i))))));
    }

    [Test]
    public async Task AcknowledgeAsync_HandledOrDeadLettered_IsNotRecovered()
    {
        await using (var scheduler = Open())
        {
            for (int i = 0; i < 6; i++)
            {
                await scheduler.EnqueueAsync(Tagged(i));
            }

            for (int i = 0; i < 4; i++)
            {
                Assert.That(scheduler.TryDequeue(out var message), Is.True);
                await scheduler.AcknowledgeAsync(message, i % 2 == 0 ? ReleaseOutcome.Handled : ReleaseOutcome.DeadLettered);
            }

            // Released but not acknowledged: in flight at the stop, so it must come back.
            Assert.That(scheduler.TryDequeue(out _), Is.True);
        }

        await using var restarted = Open();
        Assert.That(DrainAll(restarted).Select(r => r.Message.RequestId), Is.EqualTo(new[] { Tag(4), Tag(5) }));
    }

    [Test]
    public async Task Restart_RecoveredMessagesComeBeforeNewWorkAtTheSameLevel()
    {
        await using (var scheduler = Open())
        {
            await scheduler.EnqueueAsync(Tagged(1));
        }

        await using var restarted = Open();
        await restarted.EnqueueAsync(Tagged(2));
        Assert.That(DrainAll(restarted).Select(r => r.Message.RequestId), Is.EqualTo(new[] { Tag(1), Tag(2) }));
    }

    [Test]
    public async Task Restart_RoundTripsEveryEnvelopeField()
    {
        var raw = "<sr:Response>\u00e9</sr:Response>"u8.ToArray();
        var original = new DuisMessage(DuisMessageKind.DccAlert, raw)
        {
            AlertCode = DuisCode.Parse("N24"),
            ResponseCode = DuisCode.Parse("I0"),
            DccAlertPayloadName = "PowerOutageEvent",
            FutureDatedOutcome = DuisCode.Parse("8F66"),
            IsDccScheduled = true,
            ThrottledAlertCount = 7,
            ResponseDateTime = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(1)),
            ReceivedAt = new DateTimeOffset(2026, 1, 2, 3, 4, 6, TimeSpan.Zero),
            ResponseId = "90-B3-D5-1F-30-01-00-00:88-73-84-57-00-2F-96-1E:1660751141087",
            RequestId = "req",
        };
        var response = new DuisMessage(DuisMessageKind.Smets1Response) { ServiceReferenceVariant = ServiceReferenceVariant.Parse("8.1.1") };
        await using (var scheduler = Open())
        {
            await scheduler.EnqueueAsync(original);
            await scheduler.EnqueueAsync(response);
        }

        await using var restarted = Open();
        var released = DrainAll(restarted);
        var copy = released[0].Message;
        Assert.Multiple(() =>
        {
            Assert.That(copy.RawMessage.ToArray(), Is.EqualTo(raw));
            Assert.That(copy.Kind, Is.EqualTo(original.Kind));
            Assert.That(copy.AlertCode, Is.EqualTo(original.AlertCode));
            Assert.That(copy.ResponseCode, Is.EqualTo(original.ResponseCode));
            Assert.That(copy.DccAlertPayloadName, Is.EqualTo(original.DccAlertPayloadName));
            Assert.That(copy.FutureDatedOutcome, Is.EqualTo(original.FutureDatedOutcome));
            Assert.That(copy.IsDccScheduled, Is.True);
            Assert.That(copy.ThrottledAlertCount, Is.EqualTo(7));
            Assert.That(copy.ResponseDateTime, Is.EqualTo(original.ResponseDateTime));
            Assert.That(copy.ResponseDateTime!.Value.Offset, Is.EqualTo(TimeSpan.FromHours(1)));
            Assert.That(copy.ReceivedAt, Is.EqualTo(original.ReceivedAt));
            Assert.That(copy.ResponseId, Is.EqualTo(original.ResponseId));
            Assert.That(copy.RequestId, Is.EqualTo("req"));
            Assert.That(released[1].Message.ServiceReferenceVariant, Is.EqualTo(ServiceReferenceVariant.Parse("8.1.1")));
            Assert.That(released[1].Message.ThrottledAlertCount, Is.Null);
            Assert.That(released[1].Message.ResponseDateTime, Is.Null);
            Assert.That(released[1].Message.ReceivedAt, Is.Not.EqualTo(default(DateTimeOffset)));
        });
    }

    [Test]
    public void TryEnqueue_WithJournal_ThrowsTellingToUseEnqueueAsync()
    {
        using var scheduler = Open();
        var ex = Assert.Throws<InvalidOperationException>(() => scheduler.TryEnqueue(Tagged(1)));
        Assert.That(ex!.Message, Does.Contain("EnqueueAsync"));
        Assert.Throws<InvalidOperationException>(() => scheduler.TryEnqueue(Tagged(1), PriorityLevel.Low));
    }

    [Test]
    public async Task EnqueueAsync_AtCapacity_IsRefusedAndNotJournaled()
    {
        await using (var scheduler = Open(capacity: 2))
        {
            Assert.That(await scheduler.EnqueueWithResultAsync(Tagged(1)), Is.EqualTo(EnqueueResult.Accepted));
            Assert.That(await scheduler.EnqueueWithResultAsync(Tagged(2)), Is.EqualTo(EnqueueResult.Accepted));
            Assert.That(await scheduler.EnqueueWithResultAsync(Tagged(3)), Is.EqualTo(EnqueueResult.RejectedFull));
        }

        await using var restarted = Open(capacity: 2);
        Assert.That(DrainAll(restarted).Select(r => r.Message.RequestId), Is.EqualTo(new[] { Tag(1), Tag(2) }));
    }

    [Test]
    public async Task EnqueueAsync_WaitMode_WaitsForRoomThenJournals()
    {
        await using (var scheduler = Open(capacity: 1, fullMode: QueueFullMode.Wait))
        {
            await scheduler.EnqueueAsync(Tagged(1));
            var waiting = scheduler.EnqueueAsync(Tagged(2)).AsTask();
            Assert.That(waiting.IsCompleted, Is.False);
            Assert.That(scheduler.TryDequeue(out var first), Is.True);
            await scheduler.AcknowledgeAsync(first);
            Assert.That(await waiting.WaitAsync(TimeSpan.FromSeconds(10)), Is.True);
        }

        await using var restarted = Open(capacity: 1);
        Assert.That(DrainAll(restarted).Select(r => r.Message.RequestId), Is.EqualTo(new[] { Tag(2) }));
    }

    [Test]
    public async Task EnqueueAsync_AfterComplete_IsRefused()
    {
        await using var scheduler = Open();
        scheduler.Complete();
        Assert.That(await scheduler.EnqueueWithResultAsync(Tagged(1)), Is.EqualTo(EnqueueResult.RejectedCompleted));
    }

    [Test]
    public async Task EnqueueAsync_DiskFull_ThrowsJournalWriteExceptionAndDoesNotAccept()
    {
        await using (var scheduler = Open())
        {
            await scheduler.EnqueueAsync(Tagged(1));
            var journal = (FileMessageJournal)scheduler.Journal!;
            journal.FaultInjector = () => new IOException("No space left on device");
            var ex = Assert.ThrowsAsync<JournalWriteException>(async () => await scheduler.EnqueueAsync(Tagged(2)));
            Assert.That(ex!.Message, Does.Contain("NOT accepted"));
            Assert.That(ex.InnerException!.Message, Does.Contain("No space left"));
            Assert.That(scheduler.Count, Is.EqualTo(1));

            journal.FaultInjector = null;
            Assert.That(await scheduler.EnqueueAsync(Tagged(3)), Is.True);
        }

        await using var restarted = Open();
        Assert.That(DrainAll(restarted).Select(r => r.Message.RequestId), Is.EqualTo(new[] { Tag(1), Tag(3) }));
    }

    [Test]
    public async Task Restart_TornTail_TruncatesAfterLastGoodRecordAndRecoversTheRest()
    {
        await using (var scheduler = Open())
        {
            for (int i = 0; i < 5; i++)
            {
                await scheduler.EnqueueAsync(Tagged(i));
            }
        }

        // Cut the last record in half, as a crash mid-write (before its fsync) would.
        var segment = SegmentWithRecords();
        long length = new FileInfo(segment).Length;
        using (var stream = new FileStream(segment, FileMode.Open))
        {
            stream.SetLength(length - 20);
        }

        await using var restarted = Open();
        Assert.That(DrainAll(restarted).Select(r => r.Message.RequestId), Is.EqualTo(Enumerable.Range(0, 4).Select(Tag)));
        Assert.That(new FileInfo(segment).Length, Is.LessThan(length - 20));
    }

    [Test]
    public async Task Restart_GarbageAfterLastRecord_IsTreatedAsTornTail()
    {
        await using (var scheduler = Open())
        {
            await scheduler.EnqueueAsync(Tagged(1));
        }

        File.AppendAllText(SegmentWithRecords(), new string('\0', 100) + "garbage");
        await using var restarted = Open();
        Assert.That(DrainAll(restarted).Select(r => r.Message.RequestId), Is.EqualTo(new[] { Tag(1) }));
    }

    [Test]
    public async Task Restart_DamageBeforeGoodRecords_ThrowsJournalCorruptedException()
    {
        await WriteThreeAndDamageFirstAsync();
        var ex = Assert.Throws<JournalCorruptedException>(() => Open());
        Assert.That(ex!.SegmentPath, Is.Not.Null);
        Assert.That(ex.Offset, Is.EqualTo(24));
        Assert.That(ex.Message, Does.Contain("SkipDamagedRecords"));
    }

    [Test]
    public async Task Restart_DamageWithSkipDamagedRecords_RecoversTheGoodRecords()
    {
        await WriteThreeAndDamageFirstAsync();
        await using var restarted = Open(configure: o => o.CorruptionHandling = JournalCorruptionHandling.SkipDamagedRecords);
        Assert.That(DrainAll(restarted).Select(r => r.Message.RequestId), Is.EqualTo(new[] { Tag(2), Tag(3) }));
    }

    [Test]
    public async Task Compaction_DeletesFullyCompletedSegments()
    {
        await using var scheduler = Open(configure: o => o.SegmentSize = 4096);
        for (int i = 0; i < 400; i++)
        {
            await scheduler.EnqueueAsync(Tagged(i));
        }

        int before = _directory.Segments.Length;
        while (scheduler.TryDequeue(out var message))
        {
            await scheduler.AcknowledgeAsync(message);
        }

        // A few more writes roll the active segment so that the completed ones behind it can go.
        for (int i = 400; i < 460; i++)
        {
            await scheduler.EnqueueAsync(Tagged(i));
        }

        Assert.That(before, Is.GreaterThan(5));
        Assert.That(_directory.Segments, Has.Length.LessThanOrEqualTo(3));
    }

    [Test]
    public async Task Compaction_WithOneLongRunningMessage_NeverResurrectsCompletedMessages()
    {
        await using (var scheduler = Open(configure: o => o.SegmentSize = 4096))
        {
            await scheduler.EnqueueAsync(Tagged(0));
            Assert.That(scheduler.TryDequeue(out _), Is.True); // held by a slow handler: never acknowledged
            for (int round = 0; round < 10; round++)
            {
                for (int i = 1; i <= 20; i++)
                {
                    await scheduler.EnqueueAsync(Tagged((round * 100) + i));
                }

                while (scheduler.TryDequeue(out var message))
                {
                    await scheduler.AcknowledgeAsync(message);
                }
            }

            await scheduler.EnqueueAsync(Tagged(5000));
        }

        await using var restarted = Open();
        Assert.That(DrainAll(restarted).Select(r => r.Message.RequestId), Is.EqualTo(new[] { Tag(0), Tag(5000) }));
    }

    [Test]
    public async Task FlushPolicyEveryMessage_IsDurableAndRecovers()
    {
        using var copy = new JournalTestDirectory();
        await using (var scheduler = Open(configure: o => o.FlushPolicy = JournalFlushPolicy.EveryMessage))
        {
            var io = FileMessageJournalTests.Observe(scheduler);
            await Task.WhenAll(Enumerable.Range(0, 20).Select(i => scheduler.EnqueueAsync(Tagged(i)).AsTask()));

            // One fsync per message, each covering one more record, before the scheduler is disposed.
            var fsyncs = io.Snapshot().Where(e => e.Operation == "fsync").Select(e => e.Length).ToList();
            Assert.That(fsyncs, Has.Count.EqualTo(20).And.Ordered.And.Unique);
            Assert.That(fsyncs[^1], Is.EqualTo(new FileInfo(SegmentWithRecords()).Length));
            CopyFiles(_directory.Path, copy.Path);
        }

        // Recover from the files as they were while the writer was still open (no flush at dispose helped).
        await using var restarted = Open(directory: copy.Path);
        Assert.That(DrainAll(restarted).Select(r => r.Message.RequestId), Is.EquivalentTo(Enumerable.Range(0, 20).Select(Tag)));
    }

    [Test]
    public async Task GroupCommitWithDelay_ConcurrentProducers_AllDurable()
    {
        using var copy = new JournalTestDirectory();
        await using (var scheduler = Open(configure: o => o.MaxBatchDelay = TimeSpan.FromMilliseconds(2)))
        {
            var io = FileMessageJournalTests.Observe(scheduler);
            var results = await Task.WhenAll(Enumerable.Range(0, 500).Select(i => scheduler.EnqueueAsync(Tagged(i)).AsTask()));
            Assert.That(results, Is.All.True);

            // Every byte written was fsynced before the last append was answered, in fewer fsyncs than messages.
            var fsyncs = io.Snapshot().Where(e => e.Operation == "fsync").Select(e => e.Length).ToList();
            Assert.That(fsyncs, Has.Count.InRange(1, 499));
            Assert.That(fsyncs[^1], Is.EqualTo(new FileInfo(SegmentWithRecords()).Length));
            CopyFiles(_directory.Path, copy.Path);
        }

        await using var restarted = Open(directory: copy.Path);
        Assert.That(DrainAll(restarted).Select(r => r.Message.RequestId), Is.EquivalentTo(Enumerable.Range(0, 500).Select(Tag)));
    }

    [Test]
    public async Task Restart_RecoveredMessageRedelivered_IsSuppressedAsDuplicate()
    {
        await using (var scheduler = Open())
        {
            await scheduler.EnqueueAsync(Tagged(1));
        }

        await using var restarted = Open();
        Assert.That(await restarted.EnqueueWithResultAsync(Tagged(1)), Is.EqualTo(EnqueueResult.AcceptedDuplicate));
        Assert.That(restarted.Count, Is.EqualTo(1));
    }

    [Test]
    public async Task Restart_MoreRecoveredThanCapacity_KeepsThemAll()
    {
        await using (var scheduler = Open(capacity: 10))
        {
            for (int i = 0; i < 10; i++)
            {
                await scheduler.EnqueueAsync(Tagged(i));
            }
        }

        await using var restarted = Open(capacity: 3);
        Assert.That(restarted.Count, Is.EqualTo(10));
        Assert.That(await restarted.EnqueueWithResultAsync(Tagged(99)), Is.EqualTo(EnqueueResult.RejectedFull));
        Assert.That(DrainAll(restarted), Has.Count.EqualTo(10));
    }

    [Test]
    public async Task RawIntake_WithJournal_IsDurableDeduplicatedAndRecovered()
    {
        var xml = DuisPrioritiser.Tests.Duis.DuisCorpus.Utf8(DuisPrioritiser.Tests.Duis.DuisCorpus.Response("4.1.1", DuisPrioritiser.Tests.Duis.DuisCorpus.GbcsPayload()));
        await using (var scheduler = Open())
        {
            Assert.Throws<InvalidOperationException>(() => scheduler.TryEnqueue(xml.AsMemory()));
            Assert.That((await scheduler.EnqueueAsync(xml.AsMemory())).Status, Is.EqualTo(IntakeStatus.Accepted));
            var again = await scheduler.EnqueueAsync(xml.AsMemory());
            Assert.That((again.Status, again.IsAccepted), Is.EqualTo((IntakeStatus.AcceptedDuplicate, true)));
        }

        await using var restarted = Open();
        var released = DrainAll(restarted);
        Assert.That(released, Has.Count.EqualTo(1));
        Assert.That(released[0].Message.RawMessage.ToArray(), Is.EqualTo(xml));
        Assert.That(released[0].Message.ServiceReferenceVariant, Is.EqualTo(ServiceReferenceVariant.Parse("4.1.1")));
    }

    private static string Tag(int i) => i.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Test]
    public async Task Reopen_ThrottledAlertCode_RecoveredMessagesStayThrottledAndInOrder()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        ResponseReleaseScheduler OpenThrottled()
        {
            var options = new ResponsePrioritisationOptions();
            options.Journal.Directory = _directory.Path;
            options.Traffic.AlertCodes["8F35"] = new() { Normal = { Rate = 1 } };
            return new ResponseReleaseScheduler(options, timeProvider: time);
        }

        await using (var scheduler = OpenThrottled())
        {
            for (int i = 0; i < 3; i++)
            {
                Assert.That(await scheduler.EnqueueAsync(Alert(i, "8F35")), Is.True);
            }

            Assert.That(await scheduler.EnqueueAsync(Alert(3, "8F36")), Is.True);
        }

        await using var restarted = OpenThrottled();
        Assert.That(restarted.GetSnapshot().DeferredCount, Is.EqualTo(3), "recovered throttled alerts wait in their code's lane");
        var first = DrainAll(restarted);
        Assert.That(first.Select(r => r.Message.RequestId), Is.EqualTo(new[] { Tag(0), Tag(3) }), "one token for 8F35; 8F36 is not held up");

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(DrainAll(restarted).Select(r => r.Message.RequestId), Is.EqualTo(new[] { Tag(1) }));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(DrainAll(restarted).Select(r => r.Message.RequestId), Is.EqualTo(new[] { Tag(2) }));
        Assert.That(restarted.Count, Is.Zero);
    }

    private static DuisMessage Alert(int i, string code)
        => new(DuisMessageKind.DeviceAlert, System.Text.Encoding.UTF8.GetBytes("<raw " + i + "/>"))
        {
            AlertCode = DuisCode.Parse(code),
            ResponseCode = DuisCode.Parse("I0"),
            RequestId = Tag(i),
        };

    private static DuisMessage Tagged(int i, string srv = "4.1.1")
        => new(DuisMessageKind.Response, System.Text.Encoding.UTF8.GetBytes("<raw " + i + "/>"))
        {
            ServiceReferenceVariant = ServiceReferenceVariant.Parse(srv),
            ResponseCode = DuisCode.Parse("I0"),
            RequestId = Tag(i),
        };

    private static List<ReleasedMessage> DrainAll(ResponseReleaseScheduler scheduler)
    {
        var released = new List<ReleasedMessage>();
        while (scheduler.TryDequeue(out var message))
        {
            released.Add(message);
        }

        return released;
    }

    private async Task WriteThreeAndDamageFirstAsync()
    {
        await using (var scheduler = Open())
        {
            for (int i = 1; i <= 3; i++)
            {
                await scheduler.EnqueueAsync(Tagged(i));
            }
        }

        var segment = SegmentWithRecords();
        var bytes = File.ReadAllBytes(segment);
        bytes[24 + 40] ^= 0xFF; // inside the first record's body, after the 24-byte segment header
        File.WriteAllBytes(segment, bytes);
    }

    private string SegmentWithRecords()
        => _directory.Segments.Single(path => new FileInfo(path).Length > JournalRecordCodec.SegmentHeaderSize);

    private static void CopyFiles(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*" + FileMessageJournal.SegmentExtension))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    private ResponseReleaseScheduler Open(int capacity = 1000, QueueFullMode fullMode = QueueFullMode.Reject, Action<JournalOptions>? configure = null, string? directory = null)
    {
        var options = new ResponsePrioritisationOptions { Capacity = capacity, FullMode = fullMode };
        options.Overrides.ServiceReferenceVariants["2.2"] = PriorityLevel.Critical;
        options.Journal.Directory = directory ?? _directory.Path;
        configure?.Invoke(options.Journal);
        return new ResponseReleaseScheduler(options);
    }
}
