using DuisPrioritiser.Duis;
using DuisPrioritiser.Journal;
using DuisPrioritiser.Journal.Internal;
using DuisPrioritiser.Release;

namespace DuisPrioritiser.Tests.Journal;

public class FileMessageJournalTests
{
    private JournalTestDirectory _directory = null!;

    [SetUp]
    public void SetUp() => _directory = new JournalTestDirectory();

    [TearDown]
    public void TearDown() => _directory.Dispose();

    [Test]
    public async Task StartSegment_OnRoll_FsyncsTheWholeOldSegmentBeforeCreatingTheNewOne()
    {
        await using var scheduler = Open(o => o.SegmentSize = 4096);
        var io = Observe(scheduler);

        // Appends and completion-only batches (not fsynced while the writer is busy) fill several segments.
        for (int round = 0; round < 10; round++)
        {
            var appends = Enumerable.Range(0, 10).Select(i => scheduler.EnqueueAsync(Tagged((round * 100) + i)).AsTask()).ToArray();
            await Task.WhenAll(appends);
            var acks = new List<Task>();
            while (scheduler.TryDequeue(out var message))
            {
                acks.Add(scheduler.AcknowledgeAsync(message).AsTask());
            }

            await Task.WhenAll(acks);
        }

        var events = io.Snapshot();
        var creates = Enumerable.Range(0, events.Count).Where(i => events[i].Operation == "create").ToList();
        Assert.That(creates, Has.Count.GreaterThanOrEqualTo(2), "The test must roll segments to mean anything.");
        foreach (int i in creates)
        {
            string created = events[i].File;
            string previous = (long.Parse(Path.GetFileNameWithoutExtension(created), System.Globalization.CultureInfo.InvariantCulture) - 1)
                .ToString("D12", System.Globalization.CultureInfo.InvariantCulture) + FileMessageJournal.SegmentExtension;
            Assert.That(i, Is.GreaterThan(0), $"{created} was created before anything was fsynced.");
            var before = events[i - 1];
            Assert.That((before.Operation, before.File), Is.EqualTo(("fsync", previous)),
                $"{created} was created before its predecessor {previous} was made durable.");

            Assert.That(events.Skip(i + 1).Where(e => e.File == previous), Is.Empty,
                $"{previous} was still being made durable after {created} existed: a power cut between them leaves a torn sealed segment.");

            // That fsync covered the whole old segment: it is never written again (unless compaction deleted it since).
            string previousPath = Path.Combine(_directory.Path, previous);
            if (File.Exists(previousPath))
            {
                Assert.That(before.Length, Is.EqualTo(new FileInfo(previousPath).Length));
            }
        }
    }

    [Test]
    public async Task CompleteAsync_WhenWriterIsIdle_IsFsyncedBeforeItReturns()
    {
        await using var scheduler = Open();
        for (int i = 0; i < 3; i++)
        {
            await scheduler.EnqueueAsync(Tagged(i));
        }

        var io = Observe(scheduler);
        string segment = ActiveSegment();
        for (int i = 0; i < 3; i++)
        {
            Assert.That(scheduler.TryDequeue(out var message), Is.True);
            await scheduler.AcknowledgeAsync(message);

            // Nothing else is queued, so the acknowledgement alone must be on disk now (not at the next append).
            var fsyncs = io.Snapshot().Where(e => e.Operation == "fsync").ToList();
            Assert.That(fsyncs, Has.Count.EqualTo(i + 1));
            Assert.That(fsyncs[^1].Length, Is.EqualTo(new FileInfo(segment).Length));
        }
    }

    [Test]
    public async Task Open_DirectoryInUseByAnotherScheduler_ThrowsJournalLockedExceptionUntilTheFirstIsDisposed()
    {
        var first = Open();
        await first.EnqueueAsync(Tagged(1));

        var ex = Assert.Throws<JournalLockedException>(() => Open());
        Assert.That(ex!.Message, Does.Contain("in use by another scheduler").And.Contain(_directory.Path));

        // The refused scheduler touched nothing: the first still works and its message is recovered once.
        await first.EnqueueAsync(Tagged(2));
        await first.DisposeAsync();

        await using var next = Open();
        var recovered = new List<string?>();
        while (next.TryDequeue(out var message))
        {
            recovered.Add(message.Message.RequestId);
        }

        Assert.That(recovered, Is.EqualTo(new[] { "1", "2" }));
    }

    [Test]
    public async Task Open_LockedDirectory_SecondRefusalDoesNotReleaseTheLock()
    {
        await using var first = Open();
        Assert.Throws<JournalLockedException>(() => Open());
        Assert.Throws<JournalLockedException>(() => Open());
    }

    internal static IoLog Observe(ResponseReleaseScheduler scheduler)
    {
        var log = new IoLog();
        ((FileMessageJournal)scheduler.Journal!).IoObserver = log.Add;
        return log;
    }

    private string ActiveSegment() => _directory.Segments[^1];

    private static DuisMessage Tagged(int i)
        => new(DuisMessageKind.Response, System.Text.Encoding.UTF8.GetBytes("<raw " + i + "/>"))
        {
            ServiceReferenceVariant = ServiceReferenceVariant.Parse("4.1.1"),
            ResponseCode = DuisCode.Parse("I0"),
            RequestId = i.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

    private ResponseReleaseScheduler Open(Action<JournalOptions>? configure = null)
    {
        var options = new ResponsePrioritisationOptions { Capacity = 1000 };
        options.Journal.Directory = _directory.Path;
        configure?.Invoke(options.Journal);
        return new ResponseReleaseScheduler(options);
    }

    /// <summary>The durability-relevant file operations the journal's writer reported, in order.</summary>
    internal sealed class IoLog
    {
        private readonly List<(string Operation, string File, long Length)> _events = [];

        public void Add(string operation, string file, long length)
        {
            lock (_events)
            {
                _events.Add((operation, file, length));
            }
        }

        public List<(string Operation, string File, long Length)> Snapshot()
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }
}
