namespace DuisPrioritiser.Tests.Documentation;

/// <summary>Finds files of this repository (the folder holding DuisPrioritiser.sln) from the test's output folder.</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string Path(string relative) => System.IO.Path.Combine(Root, relative);

    public static IEnumerable<string> Find(string relativeDirectory, string pattern)
        => Directory.EnumerateFiles(Path(relativeDirectory), pattern, SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{System.IO.Path.DirectorySeparatorChar}bin{System.IO.Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{System.IO.Path.DirectorySeparatorChar}obj{System.IO.Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    public static string Relative(string path) => System.IO.Path.GetRelativePath(Root, path);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "DuisPrioritiser.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("DuisPrioritiser.sln not found above the test directory.");
    }
}
