using System.Diagnostics;
using System.Globalization;

namespace StormSimulator.Simulation;

/// <summary>Appends the run's memory footprint (and, with <c>--journal</c>, how the backlog was stored) to the report.</summary>
internal static class RunFootprint
{
    public static void Append(string reportPath, ScenarioOptions options)
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var gc = GC.GetGCMemoryInfo();
        var lines = new List<string>
        {
            string.Empty,
            "## Memory of the run",
            string.Empty,
            string.Create(CultureInfo.InvariantCulture, $"- **Peak memory (peak RSS of the simulator process)**: {process.PeakWorkingSet64 / 1048576.0:N0} MiB; peak managed heap seen by the GC {gc.HeapSizeBytes / 1048576.0:N0} MiB at the last collection, {GC.CollectionCount(2)} full collections."),
            "- The process holds the whole arrival trace (one envelope per message, for every policy and the ideal) as well as the schedulers under test, so this is an upper bound on what the scheduler itself needs.",
        };
        if (options.JournalDirectory is not null)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"- **Journal on for the Default policy**, default options otherwise (`AddResponsePrioritisation().UseFileJournal(dir)`: default capacity 10,000,000, disk budget 64 GiB): every message durable before it counts as arrived, held as a compact entry, and read back from disk with its {options.JournalBodyBytes:N0}-byte body when released."));
        }

        File.AppendAllLines(reportPath, lines);
    }
}
