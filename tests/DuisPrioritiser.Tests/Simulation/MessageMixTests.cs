using DuisPrioritiser.Classification;
using StormSimulator.Simulation;

namespace DuisPrioritiser.Tests.Simulation;

public class MessageMixTests
{
    [Test]
    public void Default_ClassifiedByTheDuisDefaults_GivesTheDccVolumeLevels()
    {
        var options = new ScenarioOptions { BacklogCount = 100_000, NormalRate = 0, Seed = 5 };

        var trace = ArrivalTrace.Generate(options, SchedulerClassification.CreateChain());

        var counts = trace.CountByLevel();
        double[] expected = [0.10, 0.05, 0.10, 0.20, 0.55]; // Critical: prepayment 5 + install 3 + prepayment alerts 2; High: supply 2 + supply/outage alerts 3
        for (int level = 0; level < PriorityLevels.Count; level++)
        {
            Assert.That(counts[level] / 100_000.0, Is.EqualTo(expected[level]).Within(0.005), ((PriorityLevel)level).ToString());
        }
    }

    [Test]
    public void Default_EachKind_ClassifiesToItsCatalogueLevel()
    {
        var classifier = SchedulerClassification.CreateChain();
        var random = new Random(1);
        var expected = new Dictionary<string, PriorityLevel>
        {
            ["alert-bulk"] = PriorityLevel.Bulk,
            ["alert-prepayment"] = PriorityLevel.Critical,
            ["alert-supply"] = PriorityLevel.High,
            ["alert-outage"] = PriorityLevel.High,
            ["scheduled"] = PriorityLevel.Low,
            ["ondemand"] = PriorityLevel.Normal,
            ["prepayment"] = PriorityLevel.Critical,
            ["install"] = PriorityLevel.Critical,
            ["supply"] = PriorityLevel.High,
        };

        foreach (var kind in MessageMix.Default.Kinds)
        {
            for (int i = 0; i < 50; i++)
            {
                var message = kind.Create(random, ArrivalTrace.Start);
                Assert.That(classifier.Classify(message), Is.EqualTo(expected[kind.Name]), $"{kind.Name}: {message}");
            }
        }
    }

    [Test]
    public void With_ZeroAlerts_DropsAlertKinds()
    {
        var mix = MessageMix.Default.With("alerts=0", null);

        Assert.That(mix.Kinds.Select(k => k.Name), Has.None.StartsWith("alert-"));
        Assert.That(mix.Kinds.Sum(k => k.Probability), Is.EqualTo(1).Within(1e-9));
    }
}
