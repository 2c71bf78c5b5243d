using DuisPrioritiser.Classification;

namespace DuisPrioritiser.Tests.Classification;

public class RuleBasedPriorityClassifierTests
{
    private static RuleBasedPriorityClassifier Create(Action<PriorityOverrideOptions> configure)
    {
        var rules = new PriorityOverrideOptions();
        configure(rules);
        return new RuleBasedPriorityClassifier(rules);
    }

    [Test]
    public void TryClassify_ExactBeatsPrefixes_LongerPrefixBeatsShorter()
    {
        var classifier = Create(r =>
        {
            r.ServiceReferenceVariants["4.*"] = PriorityLevel.Low;
            r.ServiceReferenceVariants["4.6.*"] = PriorityLevel.Bulk;
            r.ServiceReferenceVariants["4.6.1"] = PriorityLevel.Critical;
        });

        Assert.Multiple(() =>
        {
            Assert.That(Classify(classifier, TestMessages.Response("4.6.1")), Is.EqualTo(PriorityLevel.Critical));
            Assert.That(Classify(classifier, TestMessages.Response("4.6.2")), Is.EqualTo(PriorityLevel.Bulk));
            Assert.That(Classify(classifier, TestMessages.Response("4.1.1")), Is.EqualTo(PriorityLevel.Low));
            Assert.That(Classify(classifier, TestMessages.Response("4.6")), Is.EqualTo(PriorityLevel.Low), "4.6.* only matches SRVs under 4.6");
            Assert.That(classifier.TryClassify(TestMessages.Response("8.1.1"), out _), Is.False);
            Assert.That(classifier.RuleCount, Is.EqualTo(3));
        });
    }

    [Test]
    public void TryClassify_AlertCodes_AreCaseInsensitiveAndBeatPayloadRules()
    {
        var classifier = Create(r =>
        {
            r.AlertCodes["8f0f"] = PriorityLevel.Bulk;
            r.AlertCodes["N24"] = PriorityLevel.Low;
            r.DccAlertPayloads["PowerOutageEvent"] = PriorityLevel.Critical;
        });

        Assert.Multiple(() =>
        {
            Assert.That(Classify(classifier, TestMessages.DeviceAlert("8F0F")), Is.EqualTo(PriorityLevel.Bulk));
            Assert.That(Classify(classifier, TestMessages.DccAlert("N24", "PowerOutageEvent")), Is.EqualTo(PriorityLevel.Low));
            Assert.That(Classify(classifier, TestMessages.DccAlert("AD1", "PowerOutageEvent")), Is.EqualTo(PriorityLevel.Critical));
            Assert.That(classifier.TryClassify(TestMessages.DccAlert("AD1", "Other"), out _), Is.False);
            Assert.That(classifier.TryClassify(TestMessages.DeviceAlert("8F35"), out _), Is.False);
        });
    }

    [Test]
    public void Constructor_CopiesRules()
    {
        var rules = new PriorityOverrideOptions();
        rules.ServiceReferenceVariants["2.2"] = PriorityLevel.Bulk;
        var classifier = new RuleBasedPriorityClassifier(rules);
        rules.ServiceReferenceVariants["2.2"] = PriorityLevel.Critical;
        Assert.That(Classify(classifier, TestMessages.Response("2.2")), Is.EqualTo(PriorityLevel.Bulk));
    }

    [TestCase("4.6.")]
    [TestCase("4.6.1.*")]
    [TestCase("*")]
    [TestCase(".*")]
    [TestCase("x.*")]
    [TestCase("8.1.1.1")]
    [TestCase("")]
    public void Constructor_MalformedSrvKey_ThrowsNamingTheKey(string key)
    {
        var ex = Assert.Throws<ArgumentException>(() => Create(r => r.ServiceReferenceVariants[key] = PriorityLevel.High));
        Assert.That(ex!.Message, Does.Contain($"'{key}'"));
    }

    [Test]
    public void Constructor_BadAlertCodeOrLevel_Throws()
    {
        Assert.Throws<ArgumentException>(() => Create(r => r.AlertCodes["8F-0F"] = PriorityLevel.High));
        var ex = Assert.Throws<ArgumentException>(() => Create(r => r.DccAlertPayloads["X"] = (PriorityLevel)9));
        Assert.That(ex!.Message, Does.Contain("Critical, High, Normal, Low or Bulk"));
        Assert.Throws<ArgumentException>(() => Create(r => r.DccAlertPayloads[" "] = PriorityLevel.High));
        Assert.Throws<ArgumentNullException>(() => _ = new RuleBasedPriorityClassifier(null!));
    }

    [Test]
    public void CopyFrom_MergesRules()
    {
        var source = new PriorityOverrideOptions();
        source.ServiceReferenceVariants["2.2"] = PriorityLevel.Bulk;
        source.AlertCodes["8F0F"] = PriorityLevel.Low;
        source.DccAlertPayloads["X"] = PriorityLevel.High;
        var target = new PriorityOverrideOptions();
        Assert.That(target.IsEmpty, Is.True);
        target.CopyFrom(source);
        Assert.That(target.IsEmpty, Is.False);
        Assert.That(target.AlertCodes["8f0f"], Is.EqualTo(PriorityLevel.Low));
        Assert.That(target.ServiceReferenceVariants["2.2"], Is.EqualTo(PriorityLevel.Bulk));
        Assert.That(target.DccAlertPayloads["X"], Is.EqualTo(PriorityLevel.High));
    }

    private static PriorityLevel Classify(IPriorityClassifier classifier, DuisPrioritiser.Duis.DuisMessage message)
    {
        Assert.That(classifier.TryClassify(message, out var level), Is.True, $"expected a decision for {message}");
        return level;
    }
}
