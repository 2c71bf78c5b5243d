using System.Text;
using DuisPrioritiser.Classification;
using DuisPrioritiser.DeadLetters;
using DuisPrioritiser.DeadLetters.Internal;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;
using DuisPrioritiser.Tests.Journal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DuisPrioritiser.Tests.DeadLetters;

public sealed class DeadLetterStoreTests
{
    private static readonly byte[] s_xml = Encoding.UTF8.GetBytes(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sr:Response xmlns:sr=\"http://www.dccinterface.co.uk/ServiceUserGateway\" xmlns:ra=\"http://www.dccinterface.co.uk/ResponseAndAlert\" schemaVersion=\"5.1\">" +
        "<sr:Header><sr:RequestID>90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1000</sr:RequestID><sr:ResponseCode>I0</sr:ResponseCode><sr:ResponseDateTime>2026-01-01T00:00:00.00Z</sr:ResponseDateTime></sr:Header>" +
        "<sr:Body><sr:ResponseMessage><sr:ServiceReference>4.1</sr:ServiceReference><sr:ServiceReferenceVariant>4.1.1</sr:ServiceReferenceVariant></sr:ResponseMessage></sr:Body></sr:Response>");

    [Test]
    public async Task FileStore_KeepsExactBytesReasonAndAttempts_AcrossReopen()
    {
        using var directory = new JournalTestDirectory();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var store = new FileDeadLetterStore(directory.Path, time, NullLogger.Instance);
        var message = Read();
        await store.DeadLetterAsync(new DeadLetter(Released(message, PriorityLevel.High), DeadLetter.PermanentFailureReason, 3, new InvalidOperationException("rejected")), CancellationToken.None);
        await store.DeadLetterAsync(new DeadLetter(Released(Read(), PriorityLevel.Bulk), DeadLetter.MaxAgeReason, 7, null), CancellationToken.None);

        var reopened = new FileDeadLetterStore(directory.Path, time, NullLogger.Instance);
        Assert.That(await reopened.CountAsync(), Is.EqualTo(2));
        var page = await reopened.ListAsync();
        Assert.That(page.Select(l => l.Id), Is.EqualTo(new long[] { 1, 2 }));
        Assert.That(page[0].RawMessage.ToArray(), Is.EqualTo(s_xml), "exact bytes");
        Assert.That(page[0].Level, Is.EqualTo(PriorityLevel.High));
        Assert.That(page[0].Reason, Is.EqualTo(DeadLetter.PermanentFailureReason));
        Assert.That(page[0].Attempts, Is.EqualTo(3));
        Assert.That(page[0].Error, Does.Contain("rejected"));
        Assert.That(page[0].ReceivedAt, Is.EqualTo(message.ReceivedAt));
        Assert.That(page[1].Error, Is.Null);
        Assert.That((await reopened.ListAsync(afterId: 1)).Single().Id, Is.EqualTo(2));
        Assert.That(await reopened.RemoveAsync(1), Is.True);
        Assert.That(await reopened.RemoveAsync(1), Is.False);
        Assert.That(await reopened.CountAsync(), Is.EqualTo(1));
        Assert.That(() => reopened.ListAsync(limit: 0).AsTask(), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public async Task FileStore_DamagedFile_IsSetAsideNotListed()
    {
        using var directory = new JournalTestDirectory();
        var store = new FileDeadLetterStore(directory.Path, TimeProvider.System, NullLogger.Instance);
        await store.DeadLetterAsync(new DeadLetter(Released(Read(), PriorityLevel.Normal), DeadLetter.PermanentFailureReason, 1, null), CancellationToken.None);
        var file = Directory.GetFiles(directory.Path, "*.dlq").Single();
        var bytes = File.ReadAllBytes(file);
        bytes[^10] ^= 0xFF;
        File.WriteAllBytes(file, bytes);

        Assert.That(await store.ListAsync(), Is.Empty);
        Assert.That(File.Exists(file + ".damaged"), Is.True, "kept for an operator");
    }

    [Test]
    public async Task Manager_Replay_EnqueuesAtOriginalLevelBypassingDuplicatesAndRemoves()
    {
        var options = new ResponsePrioritisationOptions();
        options.Deduplication.Enabled = true;
        using var scheduler = new ResponseReleaseScheduler(options);
        var first = scheduler.TryEnqueue(s_xml.AsMemory());
        Assert.That(first.Status, Is.EqualTo(IntakeStatus.Accepted));
        Assert.That(scheduler.TryDequeue(out var released), Is.True);
        var store = new InMemoryDeadLetterStore(TimeProvider.System);
        await store.DeadLetterAsync(new DeadLetter(Released(released.Message, PriorityLevel.Low), DeadLetter.PermanentFailureReason, 1, null), CancellationToken.None);
        await scheduler.AcknowledgeAsync(released, ReleaseOutcome.DeadLettered);
        var manager = new DeadLetterManager(store, scheduler, Options.Create(options));

        Assert.That(await manager.ReplayAsync(1), Is.EqualTo(DeadLetterReplayResult.Replayed));
        Assert.That(await manager.ReplayAsync(1), Is.EqualTo(DeadLetterReplayResult.NotFound));
        Assert.That(await manager.CountAsync(), Is.Zero);
        Assert.That(scheduler.TryDequeue(out var replayed), Is.True, "the duplicate window does not swallow a replay");
        Assert.That(replayed.Level, Is.EqualTo(PriorityLevel.Low), "back at the stored level, not classified again");
        Assert.That(replayed.Message.RawMessage.ToArray(), Is.EqualTo(s_xml));
    }

    [Test]
    public async Task Manager_PurgeAll_DeletesEverything()
    {
        var store = new InMemoryDeadLetterStore(TimeProvider.System);
        for (int i = 0; i < 3; i++)
        {
            await store.DeadLetterAsync(new DeadLetter(Released(Read(), PriorityLevel.Normal), DeadLetter.ShutdownReason, 0, null), CancellationToken.None);
        }

        using var scheduler = new ResponseReleaseScheduler(new ResponsePrioritisationOptions());
        var manager = new DeadLetterManager(store, scheduler, Options.Create(new ResponsePrioritisationOptions()));
        Assert.That(await manager.PurgeAllAsync(), Is.EqualTo(3));
        Assert.That(await manager.CountAsync(), Is.Zero);
    }

    private static DuisMessage Read()
    {
        Assert.That(DuisReader.TryRead(s_xml.ToArray(), out var message, out var error), Is.True, error.Message);
        message!.StampReceivedAt(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        return message;
    }

    private static ReleasedMessage Released(DuisMessage message, PriorityLevel level) => new(message, level, TimeSpan.Zero, 0);
}
