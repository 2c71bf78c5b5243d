using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Diagnostics;

/// <summary>Tag names and pre-built tag values, so recording a measurement never allocates a string.</summary>
internal static class TelemetryTags
{
    public const string Priority = "duis.priority";
    public const string Kind = "duis.message.kind";
    public const string AlertCode = "duis.alert_code";

    /// <summary>Why an operation failed (OpenTelemetry's general attribute): a low-cardinality reason or exception type; absent on success.</summary>
    public const string ErrorType = "error.type";
    public const string RequestId = "duis.request_id";
    public const string ResponseId = "duis.response_id";
    public const string Srv = "duis.srv";
    public const string Attempt = "duis.release.attempt";
    public const string Wait = "duis.release.wait";
    public const string Event = "event";

    private static readonly string[] s_levels = ["critical", "high", "normal", "low", "bulk"];
    private static readonly string[] s_kinds = ["response", "device_alert", "dcc_alert", "smets1_response"];

    public static string Of(PriorityLevel level) => (uint)level < (uint)s_levels.Length ? s_levels[(int)level] : "unknown";

    public static string Of(DuisMessageKind kind) => (uint)kind < (uint)s_kinds.Length ? s_kinds[(int)kind] : "unknown";
}
