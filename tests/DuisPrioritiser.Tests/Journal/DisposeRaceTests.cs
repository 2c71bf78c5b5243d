using DuisPrioritiser.Journal.Internal;
using DuisPrioritiser.Release;

namespace DuisPrioritiser.Tests.Journal;

/// <summary>Completing (disposing) the scheduler while a journaled EnqueueAsync is being written: not accepted must mean not journaled.</summary>
public class DisposeRaceTests
{
    [Test]
    public async Task CompletedWhileTheMessageIsBeingWritten_IsAcceptedAndReleasedAtTheNextStart()
    {
        using var directory = new JournalTestDirectory();
        var options = new ResponsePrioritisationOptions { Journal = { Directory = directory.Path } };
        EnqueueResult result;
        await using (var scheduler = new ResponseReleaseScheduler(options))
        {
            // The scheduler completes on the journal's writer, just before the record is written: the message is
            // durable, and the scheduler refuses new work.
            var journal = (FileMessageJournal)scheduler.Journal!;
            journal.FaultInjector = () =>
            {
                scheduler.Complete();
                return null;
            };
            result = await scheduler.EnqueueWithResultAsync(TestMessages.Tagged(1));
            journal.FaultInjector = null;
        }

        await using var restarted = new ResponseReleaseScheduler(options);
        bool recovered = restarted.TryDequeue(out var message);
        Assert.That(result, Is.EqualTo(EnqueueResult.Accepted), "the message is durable, so it is accepted");
        Assert.That(recovered && message.Message.RequestId == "1", Is.True, "an accepted message is released at the next start");
    }

    [Test]
    public async Task CompletedBeforeTheWrite_IsNotAcceptedAndNotJournaled()
    {
        using var directory = new JournalTestDirectory();
        var options = new ResponsePrioritisationOptions { Journal = { Directory = directory.Path } };
        await using (var scheduler = new ResponseReleaseScheduler(options))
        {
            scheduler.Complete();
            Assert.That(await scheduler.EnqueueWithResultAsync(TestMessages.Tagged(1)), Is.EqualTo(EnqueueResult.RejectedCompleted));
        }

        await using var restarted = new ResponseReleaseScheduler(options);
        Assert.That(restarted.TryDequeue(out _), Is.False, "a refused message is not recovered");
    }
}
