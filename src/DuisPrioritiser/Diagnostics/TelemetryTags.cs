using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Diagnostics;

/// <summary>Tag names and pre-built tag values, so recording a measurement never allocates a string.</summary>
internal static class TelemetryTags
{
    public const string Priority = "priority";
    public const string Kind = "kind";
    public const string Reason = "reason";
    public const string Outcome = "outcome";
    public const string RequestId = "duis.request_id";
    public const string ResponseId = "duis.response_id";
    public const string Srv = "duis.srv";
    public const string Attempt = "duis_prioritiser.attempt";
    public const string Event = "event";

    private static readonly string[] s_levels = ["critical", "high", "normal", "low", "bulk"];
    private static readonly string[] s_kinds = ["response", "device_alert", "dcc_alert", "smets1_response"];

    public static string Of(PriorityLevel level) => (uint)level < (uint)s_levels.Length ? s_levels[(int)level] : "unknown";

    public static string Of(DuisMessageKind kind) => (uint)kind < (uint)s_kinds.Length ? s_kinds[(int)kind] : "unknown";
}
