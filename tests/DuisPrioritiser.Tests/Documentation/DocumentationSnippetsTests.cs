using System.Text.RegularExpressions;

namespace DuisPrioritiser.Tests.Documentation;

/// <summary>
/// Every C# block in README.md, docs/ and the package READMEs is a copy of a region of the compiled
/// tests/DuisPrioritiser.Snippets project, named by the marker line <c>&lt;!-- snippet: name --&gt;</c> before it:
/// a snippet that stops compiling breaks the build, and a copy that drifts from its region fails here.
/// </summary>
public partial class DocumentationSnippetsTests
{
    private static readonly Lazy<Dictionary<string, string>> s_regions = new(ReadRegions);

    public static IEnumerable<string> Documents()
        => new[] { RepositoryFiles.Path("README.md") }
            .Concat(RepositoryFiles.Find("docs", "*.md"))
            .Concat(Directory.EnumerateDirectories(RepositoryFiles.Path("src")).Select(d => Path.Combine(d, "README.md")).Where(File.Exists))
            .Select(RepositoryFiles.Relative);

    [TestCaseSource(nameof(Documents))]
    public void CSharpBlocks_AreIncludedFromCompiledSnippets(string document)
    {
        var failures = new List<string>();
        var lines = File.ReadAllLines(RepositoryFiles.Path(document));
        for (int i = 0; i < lines.Length; i++)
        {
            if (!CSharpFence().IsMatch(lines[i]))
            {
                continue;
            }

            int end = Array.FindIndex(lines, i + 1, l => l.StartsWith("```", StringComparison.Ordinal));
            Assert.That(end, Is.GreaterThan(i), $"{document}:{i + 1}: unclosed code block");
            string block = string.Join('\n', lines[(i + 1)..end]);
            var marker = i > 0 ? Marker().Match(lines[i - 1]) : Match.Empty;
            if (!marker.Success)
            {
                failures.Add($"{document}:{i + 1}: a C# block without a <!-- snippet: name --> marker; put the code in tests/DuisPrioritiser.Snippets and include it.");
            }
            else if (!s_regions.Value.TryGetValue(marker.Groups[1].Value, out var region))
            {
                failures.Add($"{document}:{i + 1}: no region '{marker.Groups[1].Value}' in tests/DuisPrioritiser.Snippets.");
            }
            else if (!string.Equals(block, region, StringComparison.Ordinal))
            {
                failures.Add($"{document}:{i + 1}: the block differs from region '{marker.Groups[1].Value}' (copy the region's text, dedented).");
            }

            i = end;
        }

        Assert.That(failures, Is.Empty);
    }

    [Test]
    public void EveryRegion_IsIncludedSomewhere()
    {
        var used = Documents()
            .SelectMany(d => File.ReadAllLines(RepositoryFiles.Path(d)))
            .Select(l => Marker().Match(l))
            .Where(m => m.Success)
            .Select(m => m.Groups[1].Value)
            .ToHashSet(StringComparer.Ordinal);

        Assert.That(s_regions.Value.Keys.Where(k => !used.Contains(k)), Is.Empty, "regions that no document includes");
    }

    [Test]
    public void Documents_SayNothingAboutInternalProcess()
    {
        string[] phrases = ["once the journal is merged", "README material", "for the lead", "is on main", "not on main", "(issue "];
        var hits = from document in Documents()
                   from line in File.ReadAllLines(RepositoryFiles.Path(document)).Select((text, index) => (text, index))
                   from phrase in phrases
                   where line.text.Contains(phrase, StringComparison.OrdinalIgnoreCase)
                   select $"{document}:{line.index + 1}: '{phrase}'";
        var issueNumbers = from document in Documents()
                           from line in File.ReadAllLines(RepositoryFiles.Path(document)).Select((text, index) => (text, index))
                           where IssueNumber().IsMatch(line.text)
                           select $"{document}:{line.index + 1}: '{IssueNumber().Match(line.text).Value}' (our tracker's numbers mean nothing to a reader)";

        Assert.That(hits.Concat(issueNumbers), Is.Empty);
    }

    [Test]
    public void PackageReadmes_HaveNoRelativeLinks()
    {
        // A package gallery shows the README out of the repository: relative links and images would be broken.
        var relative = Directory.EnumerateDirectories(RepositoryFiles.Path("src"))
            .Select(d => Path.Combine(d, "README.md"))
            .Where(File.Exists)
            .SelectMany(f => MarkdownLink().Matches(File.ReadAllText(f)).Select(m => (File: RepositoryFiles.Relative(f), Target: m.Groups[1].Value)))
            .Where(link => !link.Target.StartsWith("https://", StringComparison.Ordinal) && !link.Target.StartsWith('#'))
            .Select(link => $"{link.File}: {link.Target}");

        Assert.That(relative, Is.Empty);
    }

    private static Dictionary<string, string> ReadRegions()
    {
        var regions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in RepositoryFiles.Find("tests/DuisPrioritiser.Snippets", "*.cs"))
        {
            var lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                var start = RegionStart().Match(lines[i]);
                if (!start.Success)
                {
                    continue;
                }

                int end = Array.FindIndex(lines, i + 1, l => RegionEnd().IsMatch(l));
                var body = lines[(i + 1)..end];
                int indent = body.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
                Assert.That(regions.TryAdd(start.Groups[1].Value, string.Join('\n', body.Select(l => l.Trim().Length > 0 ? l[indent..] : string.Empty))), Is.True, $"region '{start.Groups[1].Value}' is defined twice");
                i = end;
            }
        }

        return regions;
    }

    [GeneratedRegex(@"\b[Ii]ssues? #?\d+")]
    private static partial Regex IssueNumber();

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"^```(csharp|cs|c#)\s*$")]
    private static partial Regex CSharpFence();

    [GeneratedRegex(@"^<!-- snippet: (\S+) -->\s*$")]
    private static partial Regex Marker();

    [GeneratedRegex(@"^\s*#region (\S+)\s*$")]
    private static partial Regex RegionStart();

    [GeneratedRegex(@"^\s*#endregion\s*$")]
    private static partial Regex RegionEnd();
}
