using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using Moq;

namespace DuisPrioritiser.Tests.Classification;

public class PriorityClassifierTests
{
    [Test]
    public void Combine_FirstDecidingClassifierWins()
    {
        var undecided = new Mock<IPriorityClassifier>();
        var level = PriorityLevel.Bulk;
        undecided.Setup(c => c.TryClassify(It.IsAny<DuisMessage>(), out level)).Returns(false);
        var first = Deciding(PriorityLevel.High);
        var second = Deciding(PriorityLevel.Critical);

        var chain = PriorityClassifier.Combine(PriorityLevel.Low, undecided.Object, first.Object, second.Object);

        Assert.That(chain.TryClassify(TestMessages.Response("4.1.1"), out var decided), Is.True);
        Assert.That(decided, Is.EqualTo(PriorityLevel.High));
        undecided.Verify(c => c.TryClassify(It.IsAny<DuisMessage>(), out level), Times.Once);
        second.Verify(c => c.TryClassify(It.IsAny<DuisMessage>(), out level), Times.Never);
    }

    [Test]
    public void Combine_NoneDecides_UsesDefaultLevel()
    {
        var chain = PriorityClassifier.Combine(PriorityLevel.Low);
        Assert.That(chain.TryClassify(TestMessages.Response("4.1.1"), out var level), Is.True);
        Assert.That(level, Is.EqualTo(PriorityLevel.Low));
    }

    [Test]
    public void Combine_ClassifierReturnsUndefinedLevel_IsIgnored()
    {
        var chain = PriorityClassifier.Combine(PriorityLevel.Normal, Deciding((PriorityLevel)99).Object, Deciding(PriorityLevel.High).Object);
        Assert.That(chain.Classify(TestMessages.Response("4.1.1")), Is.EqualTo(PriorityLevel.High));
    }

    [Test]
    public void Combine_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => PriorityClassifier.Combine(PriorityLevel.Normal, (IEnumerable<IPriorityClassifier>)null!));
        Assert.Throws<ArgumentNullException>(() => PriorityClassifier.Combine(PriorityLevel.Normal, [null!]));
        Assert.Throws<ArgumentOutOfRangeException>(() => PriorityClassifier.Combine((PriorityLevel)7));
    }

    [Test]
    public void Classify_UndecidedClassifier_ReturnsFallback()
    {
        var undecided = new Mock<IPriorityClassifier>();
        Assert.That(undecided.Object.Classify(TestMessages.Response("4.1.1"), PriorityLevel.Bulk), Is.EqualTo(PriorityLevel.Bulk));
    }

    [Test]
    public void PriorityLevels_AllIsHighestFirst()
    {
        Assert.That(PriorityLevels.All, Is.EqualTo(new[] { PriorityLevel.Critical, PriorityLevel.High, PriorityLevel.Normal, PriorityLevel.Low, PriorityLevel.Bulk }));
        Assert.That(PriorityLevels.IsDefined((PriorityLevel)5), Is.False);
        Assert.That(PriorityLevels.IsDefined((PriorityLevel)(-1)), Is.False);
    }

    private static Mock<IPriorityClassifier> Deciding(PriorityLevel result)
    {
        var mock = new Mock<IPriorityClassifier>();
        mock.Setup(c => c.TryClassify(It.IsAny<DuisMessage>(), out result)).Returns(true);
        return mock;
    }
}
