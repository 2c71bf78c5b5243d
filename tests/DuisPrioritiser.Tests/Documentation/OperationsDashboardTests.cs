using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using DuisPrioritiser.Diagnostics;

namespace DuisPrioritiser.Tests.Documentation;

/// <summary>The Grafana dashboard and the Prometheus alert rules in docs/operations/ query metrics and attributes that exist.</summary>
public partial class OperationsDashboardTests
{
    private static readonly string[] s_attributes = ["duis_priority", "duis_message_kind", "error_type", "instance", "le"];

    [TestCase("docs/operations/grafana-dashboard.json")]
    [TestCase("docs/operations/prometheus-alerts.yml")]
    public void Queries_UseOnlyMetricsAndAttributesTheLibraryExports(string file)
    {
        string text = File.ReadAllText(RepositoryFiles.Path(file));
        if (file.EndsWith(".json", StringComparison.Ordinal))
        {
            using var _ = JsonDocument.Parse(text); // valid JSON
        }

        // The OpenTelemetry Prometheus exporter's names: dots to underscores, "_seconds" for unit s, "_total" for counters.
        var exported = typeof(DuisPrioritiserTelemetry).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name is not nameof(DuisPrioritiserTelemetry.MeterName) and not nameof(DuisPrioritiserTelemetry.ActivitySourceName))
            .Select(f => ((string)f.GetRawConstantValue()!).Replace('.', '_'))
            .ToHashSet(StringComparer.Ordinal);
        var used = MetricName().Matches(text).Select(m => m.Value).Distinct().ToList();

        Assert.That(used, Has.Count.GreaterThan(5));
        Assert.That(used.Where(name => !exported.Contains(Base(name))), Is.Empty, "metric names the library does not export");
        var labels = LabelMatcher().Matches(text).Select(m => m.Groups[1].Value)
            .Concat(ByClause().Matches(text).SelectMany(m => m.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries)))
            .Distinct();
        Assert.That(labels.Where(l => !s_attributes.Contains(l)), Is.Empty, "attributes the library does not set");
    }

    private static string Base(string name)
    {
        foreach (var suffix in new[] { "_bucket", "_count", "_sum", "_total" })
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal))
            {
                name = name[..^suffix.Length];
                break;
            }
        }

        return name.EndsWith("_seconds", StringComparison.Ordinal) ? name[..^"_seconds".Length] : name;
    }

    [GeneratedRegex(@"duis_prioritiser_[a-z_]+")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"[{,]\s*([a-z_]+)\s*(?:=~|!=|=)\s*\\?""")]
    private static partial Regex LabelMatcher();

    [GeneratedRegex(@"by \(([a-z_, ]+)\)")]
    private static partial Regex ByClause();
}
