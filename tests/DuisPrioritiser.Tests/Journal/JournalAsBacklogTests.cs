using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Hashing;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Diagnostics;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Journal;
using DuisPrioritiser.Journal.Internal;
using DuisPrioritiser.Release;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuisPrioritiser.Tests.Journal;

/// <summary>
/// The journal as the backlog: held messages are compact entries read back from their
/// segments on release; attempt counts and intake trace context are journaled; file-system failures are reported
/// for what they are.
/// </summary>
public class JournalAsBacklogTests
{
    private JournalTestDirectory _directory = null!;

    [SetUp]
    public void SetUp() => _directory = new JournalTestDirectory();

    [TearDown]
    public void TearDown() => _directory.Dispose();

    [Test]
    public async Task HeldMessage_IsACompactEntry_AndIsReleasedWithItsExactBytesFromDisk()
    {
        await using var scheduler = Open();
        var raw = RandomBytes(2000, 1);
        Assert.That(await scheduler.EnqueueAsync(Message(raw.ToArray(), "r1")), Is.True);

        // What the scheduler holds: no envelope, no bytes; a journal id and the record's locator.
        Assert.That(scheduler.Backlog.TryPeek((int)PriorityLevel.Normal, out var held), Is.True);
        Assert.That(held.Message, Is.Null, "the held entry references the message: its raw bytes are held in memory");
        Assert.That(held.Locator, Is.Not.Zero);
        Assert.That(held.Token, Is.Not.Zero);

        Assert.That(scheduler.TryDequeue(out var released), Is.True);
        Assert.That(released.Message.RawMessage.ToArray(), Is.EqualTo(raw), "exact bytes, read back from the segment");
        Assert.That(released.Message.RequestId, Is.EqualTo("r1"));
        Assert.That(released.Message.ServiceReferenceVariant, Is.EqualTo(ServiceReferenceVariant.Parse("4.1.1")));
        await scheduler.AcknowledgeAsync(released);
    }

    [Test]
    public async Task ReleaseFromDisk_ManyMessagesAndOneLargerThanTheReadAhead_ExactBytesInOrder_ReadAheadBatchesReads()
    {
        var expected = new List<byte[]>();
        await using var scheduler = Open(configure: o => o.SegmentSize = 1024 * 1024);
        for (int i = 0; i < 600; i++)
        {
            int size = i == 300 ? JournalReader.ReadAheadSize + 12_345 : 1500 + (i % 7 * 150);
            var raw = RandomBytes(size, i);
            expected.Add(raw);
            Assert.That(await scheduler.EnqueueAsync(Message(raw, "r" + i)), Is.True); // one at a time: in order
        }

        var reader = ((FileMessageJournal)scheduler.Journal!).Reader!;
        long readsBefore = reader.Reads;
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.That(scheduler.TryDequeue(out var released), Is.True);
            Assert.That(released.Message.RequestId, Is.EqualTo("r" + i));
            Assert.That(released.Message.RawMessage.ToArray(), Is.EqualTo(expected[i]), $"message {i}");
            await scheduler.AcknowledgeAsync(released);
        }

        // About a megabyte of records read in 256 KiB windows: far fewer reads than messages.
        Assert.That(reader.Reads - readsBefore, Is.LessThan(expected.Count / 10));
    }

    [Test]
    public async Task Recovery_OfTheJournalAsBacklog_ReleasesExactBytes_AndKeepsSegmentsWithHeldMessages()
    {
        var raws = Enumerable.Range(0, 200).Select(i => RandomBytes(1800, 100 + i)).ToList();
        await using (var scheduler = Open(configure: o => o.SegmentSize = 64 * 1024))
        {
            for (int i = 0; i < raws.Count; i++)
            {
                await scheduler.EnqueueAsync(Message(raws[i], "r" + i));
            }

            // Complete every other message: segments roll and compact, but each keeps held messages readable.
            for (int i = 0; i < raws.Count; i++)
            {
                Assert.That(scheduler.TryDequeue(out var released), Is.True);
                if (i % 2 == 0)
                {
                    await scheduler.AcknowledgeAsync(released);
                }
            }
        }

        await using var restarted = Open(configure: o => o.SegmentSize = 64 * 1024);
        for (int i = 1; i < raws.Count; i += 2)
        {
            Assert.That(restarted.TryDequeue(out var released), Is.True);
            Assert.That(released.Message.RequestId, Is.EqualTo("r" + i));
            Assert.That(released.Message.RawMessage.ToArray(), Is.EqualTo(raws[i]));
        }

        Assert.That(restarted.TryDequeue(out _), Is.False);
    }

    [Test]
    public async Task Returned_AttemptCount_IsJournaled_AndSurvivesRestarts_EvenAfterItsRecordSegmentRolls()
    {
        await using (var scheduler = Open(configure: o => o.SegmentSize = 8 * 1024))
        {
            await scheduler.EnqueueAsync(Message(RandomBytes(500, 1), "returned"));
            for (int attempt = 0; attempt < 3; attempt++)
            {
                Assert.That(scheduler.TryDequeue(out var released), Is.True);
                Assert.That(released.Attempts, Is.EqualTo(attempt * 2));
                await scheduler.AcknowledgeAsync(released, ReleaseOutcome.Returned);

                // Traffic that rolls segments and completes: the Returned records' segments must be kept.
                for (int i = 0; i < 20; i++)
                {
                    await scheduler.EnqueueAsync(Message(RandomBytes(900, 10 + i), "other"));
                }

                var handled = new List<ReleasedMessage>();
                while (scheduler.TryDequeue(out var other))
                {
                    if (other.Message.RequestId == "other")
                    {
                        await scheduler.AcknowledgeAsync(other);
                    }
                    else
                    {
                        handled.Add(other);
                    }
                }

                // The returned message was released among the others (front of its level): put it back for the next round.
                Assert.That(handled, Has.Count.EqualTo(1));
                await scheduler.AcknowledgeAsync(handled[0], ReleaseOutcome.Returned);
            }
        }

        // Six returns in all (three at the top of each round, three after the traffic).
        await using (var restarted = Open(configure: o => o.SegmentSize = 8 * 1024))
        {
            Assert.That(restarted.TryDequeue(out var recovered), Is.True);
            Assert.That(recovered.Message.RequestId, Is.EqualTo("returned"));
            Assert.That(recovered.Attempts, Is.EqualTo(6), "the attempt count survived the restart");
            await restarted.AcknowledgeAsync(recovered, ReleaseOutcome.Returned);
        }

        await using var again = Open(configure: o => o.SegmentSize = 8 * 1024);
        Assert.That(again.TryDequeue(out var second), Is.True);
        Assert.That(second.Attempts, Is.EqualTo(7));
    }

    [Test]
    public async Task AcknowledgeAsync_WhenTheCompletionCannotBeWritten_Throws_AndTheMessageIsRecoveredAfterRestart()
    {
        await using (var scheduler = Open())
        {
            await scheduler.EnqueueAsync(Message(RandomBytes(300, 1), "a"));
            await scheduler.EnqueueAsync(Message(RandomBytes(300, 2), "b"));
            var journal = (FileMessageJournal)scheduler.Journal!;
            Assert.That(scheduler.TryDequeue(out var a), Is.True);
            journal.FaultInjector = () => new IOException("No space left on device");
            var ex = Assert.ThrowsAsync<JournalWriteException>(async () => await scheduler.AcknowledgeAsync(a));
            Assert.That(ex!.Message, Does.Contain("stays in the journal"));
            journal.FaultInjector = null;

            // The journal goes on: the next acknowledgement is written.
            Assert.That(scheduler.TryDequeue(out var b), Is.True);
            await scheduler.AcknowledgeAsync(b);
        }

        await using var restarted = Open();
        Assert.That(restarted.TryDequeue(out var recovered), Is.True);
        Assert.That(recovered.Message.RequestId, Is.EqualTo("a"), "the acknowledgement that was never written did not count: redelivered, not lost");
        Assert.That(restarted.TryDequeue(out _), Is.False);
    }

    [Test]
    public async Task IntakeTraceContext_IsJournaled_SoARecoveredMessagesReleaseSpanLinksToItsIntakeTrace()
    {
        using var intake = new ActivitySource("Test.JournalIntake");
        var stopped = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == intake.Name || source.Name == DuisPrioritiserTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (stopped) { stopped.Add(activity); } },
        };
        ActivitySource.AddActivityListener(listener);

        ActivityContext request;
        await using (var scheduler = Open())
        {
            using (var activity = intake.StartActivity("POST /duis", ActivityKind.Server))
            {
                request = activity!.Context;
                await scheduler.EnqueueAsync(Message(RandomBytes(200, 1), "traced"));
            }

            await scheduler.EnqueueAsync(Message(RandomBytes(200, 2), "untraced"));
        }

        await using var restarted = Open();
        Assert.That(restarted.TryDequeue(out var traced), Is.True);
        Assert.That(restarted.TryDequeue(out var untraced), Is.True);
        Assert.That(traced.Message.IntakeTraceContext?.TraceId, Is.EqualTo(request.TraceId));
        Assert.That(traced.Message.IntakeTraceContext?.SpanId, Is.EqualTo(request.SpanId));
        Assert.That(traced.Message.IntakeTraceContext?.TraceFlags, Is.EqualTo(request.TraceFlags));
        Assert.That(untraced.Message.IntakeTraceContext, Is.Null);

        using (var span = ReleaseTelemetry.StartHandle(in traced, 1))
        {
            Assert.That(span, Is.Not.Null);
            Assert.That(span!.Links.Select(l => (l.Context.TraceId, l.Context.SpanId)), Is.EqualTo(new[] { (request.TraceId, request.SpanId) }));
        }
    }

    [Test]
    public async Task FirstFormatRecords_WithoutTraceContextOrVersion_StillRead()
    {
        // A segment as the first record format wrote it: format byte 0, no trace context after the raw bytes.
        var raw = RandomBytes(700, 9);
        var buffer = new ArrayBufferWriter<byte>();
        JournalRecordCodec.WriteEnqueue(buffer, 1, PriorityLevel.High, Message(raw, "old"));
        var record = buffer.WrittenSpan.ToArray();
        const int TraceContextSize = 26;
        var old = new byte[record.Length - TraceContextSize];
        record.AsSpan(0, old.Length - JournalRecordCodec.ChecksumSize).CopyTo(old);
        BinaryPrimitives.WriteUInt32LittleEndian(old, (uint)old.Length);
        old[6] = 0;
        BinaryPrimitives.WriteUInt64LittleEndian(old.AsSpan(old.Length - 8), XxHash3.HashToUInt64(old.AsSpan(0, old.Length - 8)));
        var segment = new byte[JournalRecordCodec.SegmentHeaderSize];
        JournalRecordCodec.WriteSegmentHeader(segment, 1, 1);
        File.WriteAllBytes(Path.Combine(_directory.Path, "000000000001" + FileMessageJournal.SegmentExtension), [.. segment, .. old]);

        await using var scheduler = Open();
        Assert.That(scheduler.TryDequeue(out var released), Is.True);
        Assert.That(released.Level, Is.EqualTo(PriorityLevel.High));
        Assert.That(released.Message.RequestId, Is.EqualTo("old"));
        Assert.That(released.Message.RawMessage.ToArray(), Is.EqualTo(raw));
        Assert.That(released.Message.IntakeTraceContext, Is.Null);
    }

    [Test]
    public void Open_ReadOnlyFileSystem_IsJournalNotWritable_NotALockConflict()
    {
        // Injected: opening the lock file fails as it does on ext4 remounted read-only (EROFS, errno 30). What this
        // proves: any error other than a sharing/lock violation is not reported as "in use by another scheduler".
        // The real lock conflict (two schedulers) is FileMessageJournalTests' Open_DirectoryInUseByAnotherScheduler test.
        var options = new JournalOptions { Directory = _directory.Path };
        var ex = Assert.Throws<JournalNotWritableException>(() => FileMessageJournal.Open(
            options, TimeProvider.System, NullLogger.Instance, onRecovered: null, openLockFile: _ => throw new IOException("Read-only file system", 30)));
        Assert.That(ex!.Message, Does.Contain("cannot be written").And.Contain("read-only").And.Not.Contain("in use by another scheduler"));
        Assert.That(ex, Is.Not.InstanceOf<JournalLockedException>());
        Assert.That(ex.InnerException, Is.InstanceOf<IOException>());
    }

    [Test]
    public void Open_PermissionDenied_IsJournalNotWritable()
    {
        var options = new JournalOptions { Directory = _directory.Path };
        Assert.Throws<JournalNotWritableException>(() => FileMessageJournal.Open(
            options, TimeProvider.System, NullLogger.Instance, onRecovered: null, openLockFile: path => throw new UnauthorizedAccessException($"Access to the path '{path}' is denied.")));
    }

    [Test]
    public void Open_DirectoryOnAFileSystemThatRefusesNewFiles_IsJournalNotWritable()
    {
        // Real file system, no seam, root or not: sysfs creates no files for anyone (the open fails with EACCES), so a
        // journal pointed at one of its directories cannot take its lock file. It must say "not writable", never
        // "in use by another scheduler".
        const string sysfs = "/sys/kernel";
        if (!OperatingSystem.IsLinux() || !Directory.Exists(sysfs))
        {
            Assert.Ignore("needs Linux sysfs at /sys");
            return;
        }

        var options = new ResponsePrioritisationOptions();
        options.Journal.Directory = sysfs;
        var error = Assert.Throws<JournalNotWritableException>(() => new ResponseReleaseScheduler(options));
        Assert.That(error!.Message, Does.Contain(sysfs));
        Assert.That(File.Exists(Path.Combine(sysfs, "journal.lock")), Is.False);
    }

    [Test]
    public void IsLockConflict_OnlySharingAndLockViolations()
    {
        using var first = new FileStream(Path.Combine(_directory.Path, "x.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        var conflict = Assert.Catch<IOException>(() => new FileStream(Path.Combine(_directory.Path, "x.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        Assert.That(FileMessageJournal.IsLockConflict(conflict!), Is.True, $"a real second open (HResult {conflict!.HResult})");
        Assert.That(FileMessageJournal.IsLockConflict(new IOException("Read-only file system", 30)), Is.False);
        Assert.That(FileMessageJournal.IsLockConflict(new IOException("No space left on device", 28)), Is.False);
    }

    [Test]
    public void Capacity_DefaultsTo10MillionWithTheJournal_500ThousandInMemory_AndAnExplicitValueWins()
    {
        var options = new ResponsePrioritisationOptions();
        Assert.That(options.Capacity, Is.EqualTo(500_000));
        options.Journal.Directory = _directory.Path;
        Assert.That(options.Capacity, Is.EqualTo(10_000_000));
        options.Capacity = 1234;
        Assert.That(options.Capacity, Is.EqualTo(1234));
        Assert.That(new JournalOptions().MaxDiskSize, Is.EqualTo(64L * 1024 * 1024 * 1024));
    }

    [Test]
    public async Task DiskBudget_WhenReached_RefusesWithRejectedFullAndCountsIt_UntilAcknowledgementsFreeSegments()
    {
        using var meter = new System.Diagnostics.Metrics.MeterListener();
        long refusedForBudget = 0;
        meter.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name == DuisPrioritiserTelemetry.MessagesRejected)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meter.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "error.type" && (string?)tag.Value == "disk_budget")
                {
                    Interlocked.Add(ref refusedForBudget, value);
                }
            }
        });
        meter.Start();

        await using var scheduler = Open(configure: o =>
        {
            o.SegmentSize = 64 * 1024;
            o.MaxDiskSize = 1024 * 1024;
        });
        var journal = (FileMessageJournal)scheduler.Journal!;
        int accepted = 0;
        EnqueueResult result;
        while ((result = await scheduler.EnqueueWithResultAsync(Message(RandomBytes(2000, accepted), "m" + accepted))) == EnqueueResult.Accepted)
        {
            accepted++;
            Assert.That(accepted, Is.LessThan(2000), "the budget never refused");
        }

        Assert.That(result, Is.EqualTo(EnqueueResult.RejectedFull));
        Assert.That(journal.DiskBytes, Is.GreaterThanOrEqualTo(1024 * 1024).And.LessThan((1024 * 1024) + (64 * 1024) + 8192));
        Assert.That(accepted, Is.GreaterThan(400), "about 1 MiB of 2 KB messages");
        Assert.That(Interlocked.Read(ref refusedForBudget), Is.EqualTo(1));

        while (scheduler.TryDequeue(out var released))
        {
            await scheduler.AcknowledgeAsync(released);
        }

        // Completed segments were deleted: room again.
        Assert.That(await scheduler.EnqueueWithResultAsync(Message(RandomBytes(2000, 1), "again")), Is.EqualTo(EnqueueResult.Accepted));
        Assert.That(journal.DiskBytes, Is.LessThan(1024 * 1024));
    }

    private static byte[] RandomBytes(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static DuisMessage Message(byte[] raw, string requestId)
        => new(DuisMessageKind.Response, raw)
        {
            ServiceReferenceVariant = ServiceReferenceVariant.Parse("4.1.1"),
            ResponseCode = DuisCode.Parse("I0"),
            RequestId = requestId,
        };

    private ResponseReleaseScheduler Open(Action<JournalOptions>? configure = null)
    {
        var options = new ResponsePrioritisationOptions { Capacity = 10_000 };
        options.Deduplication.Enabled = false;
        options.Journal.Directory = _directory.Path;
        configure?.Invoke(options.Journal);
        return new ResponseReleaseScheduler(options);
    }
}
