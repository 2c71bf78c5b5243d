namespace DuisPrioritiser.Tests.Journal;

/// <summary>A fresh temporary directory for one test, deleted afterwards.</summary>
internal sealed class JournalTestDirectory : IDisposable
{
    public JournalTestDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "duis-journal-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string[] Segments => Directory.GetFiles(Path, "*.djl").Order(StringComparer.Ordinal).ToArray();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
