using System.Globalization;
using System.Text;
using DuisPrioritiser.Classification;

namespace StormSimulator.Simulation;

/// <summary>
/// Writes the chart as hand-written SVG: per class, the wait distribution (CDF) of every policy and of the ideal;
/// then, per policy, the backlog by class over time (stacked areas).
/// </summary>
internal static class SvgChartWriter
{
    private const int Width = 1320;
    private const int PanelWidth = 360;
    private const int PanelHeight = 220;
    private const int MarginLeft = 70;
    private const int MarginTop = 40;
    private const int GapX = 40;
    private const int GapY = 80;
    private const double LogMin = 0.1;

    private static readonly Dictionary<string, string> s_policyColours = new(StringComparer.Ordinal)
    {
        [PolicyNames.Fifo] = "#d62728",
        [PolicyNames.PrioritizedChannel] = "#9467bd",
        [PolicyNames.StrictPriority] = "#1f77b4",
        [PolicyNames.Default] = "#2ca02c",
    };

    private static readonly string[] s_levelColours = ["#c0392b", "#e67e22", "#f1c40f", "#3498db", "#95a5a6"];

    public static string Write(SimulationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        int cdfRows = 2;
        int backlogRows = (result.Runs.Count + 2) / 3;
        int cdfTop = 60;
        int backlogTop = cdfTop + (cdfRows * (PanelHeight + GapY)) + 40;
        int height = backlogTop + (backlogRows * (PanelHeight + GapY)) + 20;
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"));
        svg.Append(Invariant($"<rect width=\"{Width}\" height=\"{height}\" fill=\"white\"/>\n"));
        var s = result.Scenario;
        Text(svg, 20, 24, Invariant($"Outage-recovery storm: {result.BacklogCount:N0} backlog + {s.NormalRate:0.###}/s, back-end {s.Capacity:0.###}/s"), 16, "bold");
        Text(svg, 20, cdfTop - 8, "Wait distribution per class: share of messages released within x seconds (dashed: ideal lower bound)", 14, "bold");

        for (int level = 0; level < PriorityLevels.Count; level++)
        {
            int x = MarginLeft + ((level % 3) * (PanelWidth + GapX + MarginLeft - 40));
            int y = cdfTop + MarginTop + ((level / 3) * (PanelHeight + GapY));
            CdfPanel(svg, result, level, x, y);
        }

        // Legend in the sixth slot.
        int lx = MarginLeft + (2 * (PanelWidth + GapX + MarginLeft - 40));
        int ly = cdfTop + MarginTop + PanelHeight + GapY + 10;
        Text(svg, lx, ly, "Policies", 13, "bold");
        int row = 1;
        foreach (var run in result.Runs)
        {
            Line(svg, lx, ly + (row * 20) - 4, lx + 30, ly + (row * 20) - 4, Colour(run.Name), 2.5, null);
            Text(svg, lx + 38, ly + (row * 20), run.Name, 12, null);
            row++;
        }

        Line(svg, lx, ly + (row * 20) - 4, lx + 30, ly + (row * 20) - 4, "#000", 1.5, "6,4");
        Text(svg, lx + 38, ly + (row * 20), "Ideal (lower bound)", 12, null);
        row++;
        if (result.BulkBoundSeconds is not null)
        {
            Line(svg, lx, ly + (row * 20) - 4, lx + 30, ly + (row * 20) - 4, "#555", 1, "2,3");
            Text(svg, lx + 38, ly + (row * 20), "Bulk bound (Default)", 12, null);
        }

        Text(svg, 20, backlogTop - 8, "Backlog by class over time (messages held), per policy", 14, "bold");
        double maxClear = result.Runs.Where(r => double.IsFinite(r.ClearSeconds)).Select(r => r.ClearSeconds).DefaultIfEmpty(1).Max();
        double timeMax = NiceCeiling(Math.Max(1, maxClear * 1.05));
        long heldMax = result.Runs.SelectMany(r => r.BacklogSamples).Select(sample => sample.Sum()).DefaultIfEmpty(1).Max();
        for (int i = 0; i < result.Runs.Count; i++)
        {
            int x = MarginLeft + ((i % 3) * (PanelWidth + GapX + MarginLeft - 40));
            int y = backlogTop + MarginTop + ((i / 3) * (PanelHeight + GapY));
            BacklogPanel(svg, result.Runs[i], x, y, timeMax, Math.Max(1, heldMax));
        }

        // Class legend after the last backlog panel.
        int cx = MarginLeft + ((result.Runs.Count % 3) * (PanelWidth + GapX + MarginLeft - 40));
        int cy = backlogTop + MarginTop + ((result.Runs.Count / 3) * (PanelHeight + GapY)) + 10;
        Text(svg, cx, cy, "Classes", 13, "bold");
        for (int level = 0; level < PriorityLevels.Count; level++)
        {
            svg.Append(Invariant($"<rect x=\"{cx}\" y=\"{cy + ((level + 1) * 20) - 14}\" width=\"24\" height=\"12\" fill=\"{s_levelColours[level]}\"/>\n"));
            Text(svg, cx + 32, cy + ((level + 1) * 20) - 3, ((PriorityLevel)level).ToString(), 12, null);
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static void CdfPanel(StringBuilder svg, SimulationResult result, int level, int x, int y)
    {
        double xMax = result.SortedWaits.Values.Select(w => w[level].Length > 0 ? w[level][^1] : 0).Append(result.IdealSortedWaits[level].Length > 0 ? result.IdealSortedWaits[level][^1] : 0).Max() / (double)TimeSpan.TicksPerSecond;
        if (level == (int)PriorityLevel.Bulk && result.BulkBoundSeconds is { } bound)
        {
            xMax = Math.Max(xMax, bound);
        }

        xMax = Math.Pow(10, Math.Ceiling(Math.Log10(Math.Max(xMax * 1.0001, LogMin * 10))));
        Axes(svg, x, y, xMax, 1, Invariant($"{(PriorityLevel)level} ({result.CountByLevel[level]:N0})"), "wait (s, log scale; waits under 0.1 s at the left edge)", percent: true, logX: true);
        foreach (var run in result.Runs)
        {
            Polyline(svg, CdfPoints(result.SortedWaits[run.Name][level], x, y, xMax), Colour(run.Name), 2, null);
        }

        Polyline(svg, CdfPoints(result.IdealSortedWaits[level], x, y, xMax), "#000", 1.5, "6,4");
        if (level == (int)PriorityLevel.Bulk && result.BulkBoundSeconds is { } b)
        {
            double bx = x + LogScale(b, xMax);
            Line(svg, bx, y, bx, y + PanelHeight, "#555", 1, "2,3");
            Text(svg, bx - 4, y + 12, Invariant($"bound {b:0} s"), 10, null, "end");
        }
    }

    private static IEnumerable<(double X, double Y)> CdfPoints(long[] sorted, int x, int y, double xMax)
    {
        if (sorted.Length == 0)
        {
            yield break;
        }

        const int Steps = 400;
        yield return (x + LogScale(Seconds(sorted[0]), xMax), y + PanelHeight);
        for (int q = 0; q <= Steps; q++)
        {
            int index = Math.Min(sorted.Length - 1, (int)((long)q * sorted.Length / Steps));
            double fraction = (index + 1) / (double)sorted.Length;
            yield return (x + LogScale(Seconds(sorted[index]), xMax), y + PanelHeight - (fraction * PanelHeight));
        }
    }

    private static double Seconds(long ticks) => ticks / (double)TimeSpan.TicksPerSecond;

    /// <summary>Maps seconds to a panel offset on a log axis from <see cref="LogMin"/> to <paramref name="xMax"/>.</summary>
    private static double LogScale(double seconds, double xMax)
        => (Math.Log10(Math.Max(seconds, LogMin)) - Math.Log10(LogMin)) / (Math.Log10(xMax) - Math.Log10(LogMin)) * PanelWidth;

    private static void BacklogPanel(StringBuilder svg, PolicyRun run, int x, int y, double timeMax, long heldMax)
    {
        double yMax = NiceCeiling(heldMax);
        Axes(svg, x, y, timeMax, yMax, run.Name, "time since recovery (s)", percent: false, logX: false);
        var samples = run.BacklogSamples;
        double dt = run.SampleTicks / (double)TimeSpan.TicksPerSecond;
        int count = Math.Min(samples.Count, (int)Math.Ceiling(timeMax / dt) + 1);
        var lower = new double[count];
        for (int level = 0; level < PriorityLevels.Count; level++)
        {
            var upper = new double[count];
            for (int i = 0; i < count; i++)
            {
                upper[i] = lower[i] + samples[i][level];
            }

            var points = new StringBuilder();
            for (int i = 0; i < count; i++)
            {
                points.Append(Invariant($"{x + (i * dt / timeMax * PanelWidth):0.#},{y + PanelHeight - (upper[i] / yMax * PanelHeight):0.#} "));
            }

            for (int i = count - 1; i >= 0; i--)
            {
                points.Append(Invariant($"{x + (i * dt / timeMax * PanelWidth):0.#},{y + PanelHeight - (lower[i] / yMax * PanelHeight):0.#} "));
            }

            svg.Append(Invariant($"<polygon points=\"{points.ToString().TrimEnd()}\" fill=\"{s_levelColours[level]}\" stroke=\"none\"/>\n"));
            lower = upper;
        }

        if (double.IsFinite(run.ClearSeconds))
        {
            double cx = x + (run.ClearSeconds / timeMax * PanelWidth);
            Line(svg, cx, y, cx, y + PanelHeight, "#333", 1, "3,3");
            Text(svg, cx - 4, y + 12, Invariant($"cleared {run.ClearSeconds:0} s"), 10, null, "end");
        }
    }

    private static void Axes(StringBuilder svg, int x, int y, double xMax, double yMax, string title, string xLabel, bool percent, bool logX)
    {
        svg.Append(Invariant($"<rect x=\"{x}\" y=\"{y}\" width=\"{PanelWidth}\" height=\"{PanelHeight}\" fill=\"#fafafa\" stroke=\"#999\"/>\n"));
        Text(svg, x, y - 8, title, 13, "bold");
        if (logX)
        {
            for (double v = LogMin; v <= xMax * 1.0001; v *= 10)
            {
                double px = x + LogScale(v, xMax);
                Line(svg, px, y, px, y + PanelHeight, "#e3e3e3", 1, null);
                Text(svg, px, y + PanelHeight + 14, Number(v), 10, null, "middle");
            }
        }
        else
        {
            double xStep = NiceStep(xMax);
            for (double v = 0; v <= xMax + (xStep / 1000); v += xStep)
            {
                double px = x + (v / xMax * PanelWidth);
                Line(svg, px, y, px, y + PanelHeight, "#e3e3e3", 1, null);
                Text(svg, px, y + PanelHeight + 14, Number(v), 10, null, "middle");
            }
        }

        Text(svg, x + (PanelWidth / 2), y + PanelHeight + 30, xLabel, 11, null, "middle");
        double yStep = percent ? 0.25 : NiceStep(yMax);
        for (double v = 0; v <= yMax + (yStep / 1000); v += yStep)
        {
            double py = y + PanelHeight - (v / yMax * PanelHeight);
            Line(svg, x, py, x + PanelWidth, py, "#e3e3e3", 1, null);
            Text(svg, x - 6, py + 4, percent ? Invariant($"{v * 100:0}%") : Number(v), 10, null, "end");
        }
    }

    private static string Number(double v) => v switch
    {
        >= 1_000_000 => Invariant($"{v / 1_000_000:0.##}M"),
        >= 10_000 => Invariant($"{v / 1000:0.#}k"),
        _ => Invariant($"{v:0.##}"),
    };

    private static double NiceStep(double range)
    {
        double raw = range / 5;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double normalised = raw / magnitude;
        double nice = normalised <= 1 ? 1 : normalised <= 2 ? 2 : normalised <= 2.5 ? 2.5 : normalised <= 5 ? 5 : 10;
        return nice * magnitude;
    }

    private static double NiceCeiling(double value)
    {
        double step = NiceStep(value);
        return Math.Ceiling(value / step) * step;
    }

    private static void Polyline(StringBuilder svg, IEnumerable<(double X, double Y)> points, string colour, double width, string? dash)
    {
        var text = string.Join(" ", points.Select(p => Invariant($"{p.X:0.#},{p.Y:0.#}")));
        if (text.Length == 0)
        {
            return;
        }

        svg.Append(Invariant($"<polyline points=\"{text}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"{width}\"{(dash is null ? string.Empty : $" stroke-dasharray=\"{dash}\"")}/>\n"));
    }

    private static void Line(StringBuilder svg, double x1, double y1, double x2, double y2, string colour, double width, string? dash)
        => svg.Append(Invariant($"<line x1=\"{x1:0.#}\" y1=\"{y1:0.#}\" x2=\"{x2:0.#}\" y2=\"{y2:0.#}\" stroke=\"{colour}\" stroke-width=\"{width}\"{(dash is null ? string.Empty : $" stroke-dasharray=\"{dash}\"")}/>\n"));

    private static void Text(StringBuilder svg, double x, double y, string text, int size, string? weight, string anchor = "start")
        => svg.Append(Invariant($"<text x=\"{x:0.#}\" y=\"{y:0.#}\" font-size=\"{size}\" text-anchor=\"{anchor}\"{(weight is null ? string.Empty : $" font-weight=\"{weight}\"")}>{System.Security.SecurityElement.Escape(text)}</text>\n"));

    private static string Colour(string policy) => s_policyColours.TryGetValue(policy, out var colour) ? colour : "#000";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
