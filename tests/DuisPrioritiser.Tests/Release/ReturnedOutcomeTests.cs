using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Journal;
using DuisPrioritiser.Release;
using DuisPrioritiser.Tests.Journal;

namespace DuisPrioritiser.Tests.Release;

/// <summary><see cref="ReleaseOutcome.Returned"/>: back to the front of its own level, in original order, attempts + 1.</summary>
public class ReturnedOutcomeTests
{
    [Test]
    public async Task Returned_InMemory_IsReleasedAgainFirstInOriginalOrderWithAttemptsIncremented()
    {
        using var scheduler = new ResponseReleaseScheduler(new ResponsePrioritisationOptions { Capacity = 100 });
        for (int i = 1; i <= 5; i++)
        {
            Assert.That(scheduler.TryEnqueue(TestMessages.Tagged(i), PriorityLevel.Normal), Is.True);
        }

        var first = Take(scheduler, 3);
        Assert.That(first.Select(m => m.Attempts), Is.All.EqualTo(0));

        // Returned out of order; 2 handled.
        await scheduler.AcknowledgeAsync(first[2], ReleaseOutcome.Returned);
        await scheduler.AcknowledgeAsync(first[0], ReleaseOutcome.Returned);
        await scheduler.AcknowledgeAsync(first[1], ReleaseOutcome.Handled);

        Assert.That(scheduler.Count, Is.EqualTo(4));
        Assert.That(scheduler.GetSnapshot().Levels[(int)PriorityLevel.Normal].Count, Is.EqualTo(4), "returned messages are in the level's depth");
        Assert.That(scheduler.GetSnapshot().InFlight, Is.Zero);

        var again = Take(scheduler, 4);
        Assert.That(again.Select(m => m.Message.RequestId), Is.EqualTo(new[] { "1", "3", "4", "5" }));
        Assert.That(again.Select(m => m.Attempts), Is.EqualTo(new[] { 1, 1, 0, 0 }));

        await scheduler.AcknowledgeAsync(again[0], ReleaseOutcome.Returned);
        Assert.That(Take(scheduler, 1)[0].Attempts, Is.EqualTo(2));
    }

    [Test]
    public async Task Returned_KeepsItsOriginalWait_AndTheDrainPolicySeesIt()
    {
        using var scheduler = new ResponseReleaseScheduler(new ResponsePrioritisationOptions { Capacity = 100 });
        scheduler.TryEnqueue(TestMessages.Tagged(1), PriorityLevel.Critical);
        scheduler.TryEnqueue(TestMessages.Tagged(2), PriorityLevel.Low);
        var critical = Take(scheduler, 1)[0];
        Assert.That(critical.Level, Is.EqualTo(PriorityLevel.Critical));

        await scheduler.AcknowledgeAsync(critical, ReleaseOutcome.Returned);
        Assert.That(scheduler.GetSnapshot().Levels[(int)PriorityLevel.Critical].Count, Is.EqualTo(1));

        // The default policy drains Critical before Low: the returned Critical message goes first.
        var next = Take(scheduler, 1)[0];
        Assert.That((next.Level, next.Message.RequestId), Is.EqualTo((PriorityLevel.Critical, "1")));
        Assert.That(next.Wait, Is.GreaterThanOrEqualTo(critical.Wait));
    }

    [Test]
    public async Task Returned_BeyondCapacity_IsStillHeld()
    {
        using var scheduler = new ResponseReleaseScheduler(new ResponsePrioritisationOptions { Capacity = 1 });
        scheduler.TryEnqueue(TestMessages.Tagged(1));
        var released = Take(scheduler, 1)[0];
        Assert.That(scheduler.TryEnqueue(TestMessages.Tagged(2)), Is.True);

        await scheduler.AcknowledgeAsync(released, ReleaseOutcome.Returned);
        Assert.That(scheduler.Count, Is.EqualTo(2));
        Assert.That(Take(scheduler, 2).Select(m => m.Message.RequestId), Is.EqualTo(new[] { "1", "2" }));
    }

    [Test]
    public async Task Returned_WakesAWaitingReader()
    {
        using var scheduler = new ResponseReleaseScheduler(new ResponsePrioritisationOptions { Capacity = 10 });
        scheduler.TryEnqueue(TestMessages.Tagged(1));
        var released = Take(scheduler, 1)[0];
        var waiting = scheduler.DequeueAsync().AsTask();
        Assert.That(waiting.IsCompleted, Is.False);

        await scheduler.AcknowledgeAsync(released, ReleaseOutcome.Returned);
        var again = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That((again.Message.RequestId, again.Attempts), Is.EqualTo(("1", 1)));
    }

    [Test]
    public async Task Returned_WithTheJournal_SurvivesARestartInOriginalOrder()
    {
        using var directory = new JournalTestDirectory();
        var options = new ResponsePrioritisationOptions { Journal = { Directory = directory.Path } };
        await using (var scheduler = new ResponseReleaseScheduler(options))
        {
            for (int i = 1; i <= 4; i++)
            {
                await scheduler.EnqueueAsync(TestMessages.Tagged(i));
            }

            var released = Take(scheduler, 3);
            await scheduler.AcknowledgeAsync(released[1], ReleaseOutcome.Returned);
            await scheduler.AcknowledgeAsync(released[0], ReleaseOutcome.Handled);
            await scheduler.AcknowledgeAsync(released[2], ReleaseOutcome.Returned);
            var again = Take(scheduler, 1)[0];
            Assert.That((again.Message.RequestId, again.Attempts), Is.EqualTo(("2", 1)));
        }

        await using var restarted = new ResponseReleaseScheduler(options);
        Assert.That(Take(restarted, 3).Select(m => m.Message.RequestId), Is.EqualTo(new[] { "2", "3", "4" }));
        Assert.That(restarted.TryDequeue(out _), Is.False);
    }

    [Test]
    public void Acknowledge_UndefinedOutcome_Throws()
    {
        using var scheduler = new ResponseReleaseScheduler(new ResponsePrioritisationOptions());
        scheduler.TryEnqueue(TestMessages.Tagged(1));
        var released = Take(scheduler, 1)[0];
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await scheduler.AcknowledgeAsync(released, (ReleaseOutcome)42));
    }

    private static ReleasedMessage[] Take(ResponseReleaseScheduler scheduler, int count)
    {
        var taken = new ReleasedMessage[count];
        for (int i = 0; i < count; i++)
        {
            Assert.That(scheduler.TryDequeue(out taken[i]), Is.True, $"message {i + 1} of {count}");
        }

        return taken;
    }
}
