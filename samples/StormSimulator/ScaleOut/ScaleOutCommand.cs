using System.Text;

namespace StormSimulator.ScaleOut;

/// <summary>The <c>--instances</c> mode of the command line: runs <see cref="ScaleOutSimulation"/> and writes its report.</summary>
internal static class ScaleOutCommand
{
    public static int Run(Simulation.ScenarioOptions options, string output, IReadOnlyList<string> args)
    {
        // Three schedulers, their store loops and the back-end's workers share one process: do not let the thread
        // pool's slow injection on a 2-core host hold releases up (measured: without it, the first releases of a small
        // run came 4 s late).
        ThreadPool.GetMinThreads(out int workerThreads, out int ioThreads);
        ThreadPool.SetMinThreads(Math.Max(workerThreads, 64), Math.Max(ioThreads, 64));
        string loadBefore = Load();
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        var result = ScaleOutSimulation.RunAsync(options, line => Console.WriteLine(line), cancel.Token).GetAwaiter().GetResult();
        string loadAfter = Load();

        // The command line as run, without the connection string (it may hold a password).
        var shown = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            shown.Add(args[i] == "--postgres" && i + 1 < args.Count ? $"--postgres <connection string>" : args[i]);
            i += args[i] == "--postgres" ? 1 : 0;
        }

        string commandLine = "dotnet run -c Release --project samples/StormSimulator -- " + string.Join(' ', shown);
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "report.md"), ScaleOutReportWriter.Write(result, commandLine, loadBefore, loadAfter), new UTF8Encoding(false));
        using (var json = File.Create(Path.Combine(output, "summary.json")))
        {
            ScaleOutReportWriter.WriteJson(json, result, loadBefore, loadAfter);
        }

        Console.WriteLine();
        Console.WriteLine($"{(result.CriticalRatio <= ScaleOutResult.CriticalIdealFactor ? "MET    " : "NOT MET")}  Critical p99 within {ScaleOutResult.CriticalIdealFactor:0.0}x of the ideal: {result.Statistics[0].P99:N1} s vs {result.Ideal[0].P99:N1} s = {result.CriticalRatio:0.000}x");
        Console.WriteLine($"Accepted {result.Accepted:N0}, released {result.Released:N0}, lost {result.Lost:N0}, released twice {result.DuplicateReleases:N0}; load {loadBefore} -> {loadAfter}");
        Console.WriteLine($"Wrote report.md and summary.json to {Path.GetFullPath(output)}");
        if (!result.Complete)
        {
            Console.WriteLine($"INCOMPLETE: {result.TraceCount - result.Released:N0} messages not released when the wall-clock limit stopped the run.");
            return 3;
        }

        return 0;
    }

    private static string Load()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
