using System.Text.Json;
using StormSimulator.Simulation;

namespace DuisPrioritiser.Tests.Simulation;

public class SummaryJsonWriterTests
{
    private static readonly string[] s_classes = ["Critical", "High", "Normal", "Low", "Bulk"];
    private static readonly string[] s_statistics = ["count", "p50", "p95", "p99", "max"];

    [Test]
    public void Write_TinySimulation_HasTheIssuesShape()
    {
        var options = new ScenarioOptions { BacklogCount = 1_000, Capacity = 100, NormalRate = 5, DurationSeconds = 20, Seed = 3, Parallel = false };
        var result = StormSimulation.Run(options);

        using var json = JsonDocument.Parse(SummaryJsonWriter.ToJson(result));

        var root = json.RootElement;
        Assert.That(root.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "policies", "ideal" }));
        var policies = root.GetProperty("policies");
        Assert.That(policies.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "Fifo", "PrioritizedChannel", "StrictPriority", "Default" }));
        foreach (var policy in policies.EnumerateObject())
        {
            Assert.That(policy.Value.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "classes", "clearSeconds", "utilisation" }), policy.Name);
            var classes = policy.Value.GetProperty("classes");
            Assert.That(classes.EnumerateObject().Select(p => p.Name), Is.EqualTo(s_classes), policy.Name);
            long total = 0;
            foreach (var level in classes.EnumerateObject())
            {
                Assert.That(level.Value.EnumerateObject().Select(p => p.Name), Is.EqualTo(s_statistics), $"{policy.Name} {level.Name}");
                Assert.That(level.Value.EnumerateObject().Select(p => p.Value.ValueKind), Has.All.EqualTo(JsonValueKind.Number));
                double p50 = level.Value.GetProperty("p50").GetDouble();
                double p99 = level.Value.GetProperty("p99").GetDouble();
                double max = level.Value.GetProperty("max").GetDouble();
                Assert.That(p50, Is.LessThanOrEqualTo(p99).And.LessThanOrEqualTo(max), $"{policy.Name} {level.Name}");
                total += level.Value.GetProperty("count").GetInt64();
            }

            Assert.That(total, Is.EqualTo(result.TraceCount), $"{policy.Name}: every message counted once");
            Assert.That(policy.Value.GetProperty("clearSeconds").GetDouble(), Is.GreaterThan(9.0), "1,000 messages at 100/s take at least 10 s (seconds, not ticks)");
            Assert.That(policy.Value.GetProperty("utilisation").GetDouble(), Is.InRange(0.0, 1.0));
        }

        var ideal = root.GetProperty("ideal");
        Assert.That(ideal.EnumerateObject().Select(p => p.Name), Is.EqualTo(s_classes));
        Assert.That(ideal.EnumerateObject().Select(p => p.Value.GetProperty("p99").ValueKind), Has.All.EqualTo(JsonValueKind.Number));
    }
}
