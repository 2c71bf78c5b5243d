using System.Text;
using StormSimulator.Simulation;

try
{
    if (args is ["noisy-devices", ..])
    {
        return StormSimulator.NoisyDevices.NoisyDevicesScenario.Run(args[1..]);
    }

    var (options, output, help) = CommandLine.Parse(args);
    if (help)
    {
        Console.WriteLine(CommandLine.Usage);
        return 0;
    }

    Console.WriteLine($"Scenario: {options}");
    if (options.Instances > 0)
    {
        return StormSimulator.ScaleOut.ScaleOutCommand.Run(options, output, args);
    }

    Console.WriteLine($"Mix: {options.Mix}");
    var result = StormSimulation.Run(options, line => Console.WriteLine(line));

    Directory.CreateDirectory(output);
    const string ChartFile = "chart.svg";
    File.WriteAllText(Path.Combine(output, ChartFile), SvgChartWriter.Write(result), new UTF8Encoding(false));
    string report = options.BackendOutage is null ? MarkdownReportWriter.Write(result, ChartFile) : OutageReportWriter.Write(result, ChartFile);
    File.WriteAllText(Path.Combine(output, "report.md"), report, new UTF8Encoding(false));
    using (var json = File.Create(Path.Combine(output, "summary.json")))
    {
        SummaryJsonWriter.Write(json, result);
    }

    Console.WriteLine();
    foreach (var target in options.BackendOutage is null ? result.EvaluateTargets() : OutageReportWriter.EvaluateTargets(result))
    {
        Console.WriteLine($"{(target.Met ? "MET    " : "NOT MET")}  {target.Target}: {target.Measured}");
    }

    RunFootprint.Append(Path.Combine(output, "report.md"), options);
    Console.WriteLine($"Wrote report.md, {ChartFile} and summary.json to {Path.GetFullPath(output)}");
    return 0;
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
