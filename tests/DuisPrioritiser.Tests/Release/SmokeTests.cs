using DuisPrioritiser.Classification;
using DuisPrioritiser.Release;

namespace DuisPrioritiser.Tests.Release;

public class SmokeTests
{
    [Test]
    public void TryDequeue_MixedLevels_ReleasesHighestFirst()
    {
        var scheduler = new ResponseReleaseScheduler(new ResponsePrioritisationOptions());
        Assert.That(scheduler.TryEnqueue(TestMessages.Tagged(1), PriorityLevel.Bulk), Is.True);
        Assert.That(scheduler.TryEnqueue(TestMessages.Tagged(2), PriorityLevel.Critical), Is.True);
        Assert.That(scheduler.TryDequeue(out var first), Is.True);
        Assert.That(first.Level, Is.EqualTo(PriorityLevel.Critical));
        Assert.That(scheduler.TryDequeue(out var second), Is.True);
        Assert.That(second.Level, Is.EqualTo(PriorityLevel.Bulk));
        Assert.That(scheduler.TryDequeue(out _), Is.False);
    }
}
