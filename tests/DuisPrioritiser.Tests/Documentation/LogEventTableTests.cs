using System.Text.RegularExpressions;

namespace DuisPrioritiser.Tests.Documentation;

/// <summary>The log event table of docs/operations.md lists exactly the event ids the code defines.</summary>
public partial class LogEventTableTests
{
    [Test]
    public void OperationsGuide_ListsEveryLoggerMessageEventIdOfTheCode()
    {
        var defined = RepositoryFiles.Find("src", "*.cs")
            .SelectMany(f => LoggerMessage().Matches(File.ReadAllText(f)).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
        var documented = File.ReadAllLines(RepositoryFiles.Path("docs/operations.md"))
            .Select(l => TableRow().Match(l))
            .Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
            .ToList();

        Assert.That(defined, Has.Count.GreaterThan(40), "the scan found the [LoggerMessage] definitions");
        Assert.That(defined, Is.Unique, "an event id is defined twice");
        Assert.That(defined.Except(documented).Order(), Is.Empty, "event ids the code defines but docs/operations.md does not list");
        Assert.That(documented.Except(defined).Order(), Is.Empty, "event ids docs/operations.md lists but the code does not define");
    }

    [GeneratedRegex(@"\[LoggerMessage\([^\]]*?EventId\s*=\s*(\d+)")]
    private static partial Regex LoggerMessage();

    [GeneratedRegex(@"^\| (\d{4}) \| (Trace|Debug|Information|Warning|Error|Critical) \|")]
    private static partial Regex TableRow();
}
