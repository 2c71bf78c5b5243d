using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Tests.Duis;

/// <summary>What a reader extracted from a message: every field of the envelope, as comparable values.</summary>
internal sealed record ExtractedFields(
    DuisMessageKind Kind,
    string Srv,
    string ResponseCode,
    string AlertCode,
    string FutureDated,
    string? PayloadName,
    bool Scheduled,
    int? ThrottledCount,
    DateTimeOffset? ResponseDateTime,
    string? RequestId,
    string? ResponseId)
{
    public static ExtractedFields From(DuisMessage m) => new(
        m.Kind, m.ServiceReferenceVariant.ToString(), m.ResponseCode.ToString(), m.AlertCode.ToString(), m.FutureDatedOutcome.ToString(),
        m.DccAlertPayloadName, m.IsDccScheduled, m.ThrottledAlertCount, m.ResponseDateTime, m.RequestId, m.ResponseId);
}

/// <summary>The oracle's verdict: rejected by XmlReader (malformed XML), rejected by the DUIS rules, or the fields.</summary>
internal sealed record OracleVerdict(bool XmlRejected, string? DuisRejected, ExtractedFields? Fields, string? XmlError)
{
    public bool Accepted => Fields is not null;
}

/// <summary>
/// The reference reader for the differential tests: a secure <see cref="XmlReader"/> (DTDs prohibited, no resolver,
/// characters checked) decides well-formedness and namespace well-formedness; the DUIS rules of the domain README
/// (root <c>Response</c> in the DUIS namespace, one <c>Body</c> holding one known message, the singletons, the SRV
/// and alert-code rules) are applied to the resulting tree, and the value formats follow the XML Schema types
/// (<c>xs:dateTime</c> and <c>xs:unsignedInt</c> through <see cref="XmlConvert"/>). Written independently of the
/// reader under test; it only shares the library's value types (SRV, code) for the shapes the README defines.
/// </summary>
internal static class DuisReaderDifferentialOracle
{
    private static readonly XNamespace s_sr = DuisCorpus.DuisNs;
    private static readonly XNamespace s_ra = DuisCorpus.RaNs;

    private static readonly XmlReaderSettings s_settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        CheckCharacters = true,
        ConformanceLevel = ConformanceLevel.Document,
    };

    public static OracleVerdict Read(byte[] bytes)
    {
        XDocument document;
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            using var reader = XmlReader.Create(stream, s_settings);
            document = XDocument.Load(reader, LoadOptions.None);
        }
        catch (XmlException e)
        {
            return new OracleVerdict(true, null, null, e.Message);
        }
        catch (ArgumentException e)
        {
            // An encoding name .NET does not know, for instance.
            return new OracleVerdict(true, null, null, e.Message);
        }

        try
        {
            return new OracleVerdict(false, null, Extract(document), null);
        }
        catch (DuisRuleException e)
        {
            return new OracleVerdict(false, e.Message, null, null);
        }
    }

    private static ExtractedFields Extract(XDocument document)
    {
        var root = document.Root!;
        Require(root.Name == s_sr + "Response", "root is not a DUIS Response");
        var headers = Children(root, "Header");
        Require(headers.Count <= 1, "two Headers");
        var bodies = Children(root, "Body");
        Require(bodies.Count == 1, bodies.Count == 0 ? "no Body" : "two Bodies");

        string? requestId = null, responseId = null, responseCode = null;
        DateTimeOffset? dateTime = null;
        if (headers.Count == 1)
        {
            requestId = Single(headers[0], "RequestID");
            responseId = Single(headers[0], "ResponseID");
            responseCode = Single(headers[0], "ResponseCode");
            string? time = Single(headers[0], "ResponseDateTime");
            if (responseCode is not null)
            {
                Require(DuisCode.TryParse(responseCode, out _), "malformed ResponseCode");
            }

            if (time is not null)
            {
                dateTime = XmlDateTime(time);
            }
        }

        var messages = bodies[0].Elements().Where(e => e.Name.Namespace == s_sr).ToList();
        foreach (var m in messages)
        {
            Require(m.Name.LocalName is "ResponseMessage" or "DeviceAlertMessage" or "DCCAlertMessage" or "SMETS1ResponseMessage", "unknown message");
        }

        Require(messages.Count == 1, messages.Count == 0 ? "no message" : "two messages");
        var message = messages[0];
        string srv = "", alert = "", future = "";
        string? payload = null;
        bool scheduled = false;
        int? throttled = null;
        DuisMessageKind kind;
        switch (message.Name.LocalName)
        {
            case "ResponseMessage":
                kind = DuisMessageKind.Response;
                srv = Srv(Single(message, "ServiceReferenceVariant")) ?? throw new DuisRuleException("no SRV");
                scheduled = Children(message, "DSPScheduledMessage").Count switch { 0 => false, 1 => true, _ => throw new DuisRuleException("two DSPScheduledMessages") };
                var futures = Children(message, "FutureDatedDeviceAlertMessage");
                Require(futures.Count <= 1, "two FutureDatedDeviceAlertMessages");
                if (futures.Count == 1 && Single(futures[0], "FutureDatedAlertCode") is { } f)
                {
                    future = Code(f, hex: true, "malformed FutureDatedAlertCode");
                }

                break;

            case "DeviceAlertMessage":
                kind = DuisMessageKind.DeviceAlert;
                alert = Code(Single(message, "AlertCode") ?? throw new DuisRuleException("no AlertCode"), hex: true, "malformed AlertCode");
                throttled = Count(Single(message, "ThrottledAlertCount"));
                break;

            case "DCCAlertMessage":
                kind = DuisMessageKind.DccAlert;
                alert = Code(Single(message, "DCCAlertCode") ?? throw new DuisRuleException("no DCCAlertCode"), hex: false, "malformed DCCAlertCode");
                throttled = Count(Single(message, "ThrottledAlertCount"));
                var dccAlerts = Children(message, "DCCAlert");
                Require(dccAlerts.Count <= 1, "two DCCAlerts");
                if (dccAlerts.Count == 1)
                {
                    var payloads = dccAlerts[0].Elements().Where(e => e.Name.Namespace == s_sr).ToList();
                    Require(payloads.Count <= 1, "two DCCAlert payloads");
                    payload = payloads.Count == 1 ? payloads[0].Name.LocalName : null;
                }

                break;

            default:
                kind = DuisMessageKind.Smets1Response;
                srv = Srv(Single(message, "ServiceReferenceVariant")) ?? "";
                scheduled = Children(message, "DSPScheduleID").Count switch { 0 => false, 1 => true, _ => throw new DuisRuleException("two DSPScheduleIDs") };
                throttled = Count(Single(message, "ThrottledAlertCount"));
                var codes = Children(message, "SMETS1SignedResponse")
                    .SelectMany(s => Children(s, "SMETS1Response"))
                    .SelectMany(r => Children(r, "Body"))
                    .SelectMany(b => Children(b, "DeviceAlertMessage"))
                    .SelectMany(d => d.Elements(s_ra + "DeviceAlertContent"))
                    .SelectMany(c => c.Elements(s_ra + "GBCSHexAlertCode"))
                    .ToList();
                Require(codes.Count <= 1, "two GBCSHexAlertCodes");
                string nested = codes.Count == 1 ? Code(Text(codes[0]), hex: true, "malformed GBCSHexAlertCode") : "";
                alert = srv.Length == 0 ? nested : "";
                break;
        }

        return new ExtractedFields(kind, srv, responseCode?.ToUpperInvariant() ?? "", alert, future, payload, scheduled, throttled, dateTime, requestId, responseId);
    }

    private static List<XElement> Children(XElement parent, string localName) => [.. parent.Elements(s_sr + localName)];

    /// <summary>The element's own text (text and CDATA children, not descendants), trimmed of XML whitespace.</summary>
    private static string Text(XElement e) => string.Concat(e.Nodes().OfType<XText>().Select(t => t.Value)).Trim(' ', '\t', '\n', '\r');

    private static string? Single(XElement parent, string localName)
    {
        var found = Children(parent, localName);
        Require(found.Count <= 1, "two " + localName);
        return found.Count == 0 ? null : Text(found[0]);
    }

    private static string? Srv(string? text)
    {
        if (text is null)
        {
            return null;
        }

        Require(ServiceReferenceVariant.TryParse(text, out var srv), "malformed SRV");
        return srv.ToString();
    }

    private static string Code(string text, bool hex, string what)
    {
        Require(DuisCode.TryParse(text, out var code) && (!hex || code.IsHexadecimal), what);
        return code.ToString();
    }

    private static int? Count(string? text)
    {
        if (text is null)
        {
            return null;
        }

        // xs:unsignedInt (XML Schema 1.1 part 2, 3.4.23): an optional sign ('-' only for zero) and decimal digits.
        // XmlConvert.ToUInt32 refuses the '+' sign the schema allows, so the lexical rule is applied here.
        var match = System.Text.RegularExpressions.Regex.Match(text, "^(?<sign>[+-]?)(?<digits>[0-9]+)$");
        Require(match.Success, "ThrottledAlertCount is not an xs:unsignedInt");
        string significant = match.Groups["digits"].Value.TrimStart('0');
        Require(significant.Length <= 10, "ThrottledAlertCount is over xs:unsignedInt");
        ulong value = significant.Length == 0 ? 0 : ulong.Parse(significant, CultureInfo.InvariantCulture);
        Require(value <= uint.MaxValue, "ThrottledAlertCount is over xs:unsignedInt");
        Require(match.Groups["sign"].Value != "-" || value == 0, "ThrottledAlertCount is negative");
        return (int)Math.Min(value, int.MaxValue);
    }

    private static DateTimeOffset XmlDateTime(string text)
    {
        try
        {
            var value = XmlConvert.ToDateTimeOffset(text);

            // xs:dateTime without a zone: the reader takes it as UTC (documented); XmlConvert takes local time.
            bool hasZone = text.EndsWith('Z') || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':');
            return hasZone ? value : new DateTimeOffset(value.DateTime, TimeSpan.Zero);
        }
        catch (FormatException)
        {
            throw new DuisRuleException("ResponseDateTime is not an xs:dateTime");
        }
    }

    private static void Require(bool condition, string rule)
    {
        if (!condition)
        {
            throw new DuisRuleException(rule);
        }
    }

    private sealed class DuisRuleException(string message) : Exception(message);

    /// <summary>The fields that differ, as "name: ours != oracle".</summary>
    public static string Diff(ExtractedFields ours, ExtractedFields oracle)
    {
        var parts = new List<string>();
        foreach (var property in typeof(ExtractedFields).GetProperties())
        {
            object? a = property.GetValue(ours), b = property.GetValue(oracle);
            if (!Equals(a, b))
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{property.Name}: '{Escape(a)}' != '{Escape(b)}'"));
            }
        }

        return "fields differ: " + string.Join("; ", parts);
    }

    private static string Escape(object? value) => (value is DateTimeOffset t ? t.ToString("O", CultureInfo.InvariantCulture) : value?.ToString() ?? "null").Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    public static string Describe(ExtractedFields? f) => f is null ? "(none)" : string.Create(CultureInfo.InvariantCulture, $"{f}");
}
