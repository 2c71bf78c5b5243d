using System.Globalization;
using System.Text;

namespace DuisPrioritiser.Tests.Duis;

/// <summary>A generated DUIS message: its kind and field values, plus the choices that drive how it is written.</summary>
/// <param name="Kind">0 response, 1 Device Alert, 2 DCC Alert, 3 SMETS1.</param>
/// <param name="ResponsePayload">0 none, 1 GBCS, 2 DCC-scheduled, 3 future-dated outcome, 4 a bare DSPScheduleID (5.1).</param>
/// <param name="Choices">Rendering choices; 0 everywhere is the plainest rendering (what CsCheck shrinks towards).</param>
internal sealed record DuisMessageSpec(
    int Kind,
    string Srv,
    string ResponseCode,
    string? RequestId,
    string? ResponseId,
    string DateTime,
    int ResponsePayload,
    string AlertCode,
    string FutureDatedCode,
    string DccCode,
    string DccPayload,
    string? Throttled,
    bool Smets1HasSrv,
    bool Smets1Scheduled,
    bool Smets1Alert,
    int[] Choices);

/// <summary>
/// Writes a <see cref="DuisMessageSpec"/> as bytes the way different senders could (prefixes, namespace placement,
/// quoting, whitespace and line ends, comments, processing instructions, CDATA and character references inside
/// values, BOM, declarations, foreign decoys), and derives adversarial XML edges and byte-level mutations from it.
/// </summary>
internal static class DuisMessageRenderer
{
    private static readonly string[] s_prefixes = ["sr", "", "duis", "é", "ns0", "S_1.x"];

    public static byte[] Render(DuisMessageSpec spec)
    {
        var w = new Writer(spec.Choices);
        var sb = new StringBuilder();
        if (w.Pick(4) == 1)
        {
            sb.Append('\uFEFF');
        }

        sb.Append(w.Pick(6) switch
        {
            0 => "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>",
            1 => "",
            2 => "<?xml version='1.0'?>",
            3 => "<?xml version=\"1.0\" encoding=\"utf-8\"?>",
            4 => "<?xml  version = \"1.0\"\tencoding='UTF-8'  ?>",
            _ => "<?xml version=\"1.1\" encoding=\"UTF-8\" standalone='yes'?>".Replace("1.1", "1.0", StringComparison.Ordinal),
        });

        w.Misc(sb, topLevel: true);
        string p = s_prefixes[w.Pick(s_prefixes.Length)];
        string q = w.Quote();
        string rootDecl = p.Length == 0 ? $"xmlns={q}{DuisCorpus.DuisNs}{q}" : $"xmlns:{p}={q}{DuisCorpus.DuisNs}{q}";
        string raDecl = $"xmlns:ra={q}{DuisCorpus.RaNs}{q}";
        string schema = $"schemaVersion={w.Quote()}5.4{w.Quote(again: true)}";
        var rootAttributes = w.Pick(3) switch
        {
            0 => new[] { rootDecl, raDecl, schema },
            1 => new[] { schema, raDecl, rootDecl },
            _ => new[] { raDecl, schema, rootDecl, $"xmlns:x={q}urn:decoy{q}", $"x:note={q}decoy{q}" },
        };

        sb.Append('<').Append(Q(p, "Response"));
        foreach (string a in rootAttributes)
        {
            sb.Append(w.Space(1)).Append(a.Replace("=", w.Eq(), StringComparison.Ordinal));
        }

        sb.Append(w.Space(0)).Append('>');
        w.Break(sb);

        // Header.
        string hp = p;
        string headerOpen = Q(hp, "Header");
        if (w.Pick(4) == 1)
        {
            // Header elements through another prefix, declared on Header.
            hp = "h";
            headerOpen = $"h:Header xmlns:h={w.Quote()}{DuisCorpus.DuisNs}{w.Quote(again: true)}";
        }

        sb.Append('<').Append(headerOpen).Append('>');
        w.Break(sb);
        w.Decoy(sb);
        if (spec.RequestId is not null)
        {
            Field(w, sb, hp, "RequestID", spec.RequestId);
        }

        if (spec.ResponseId is not null)
        {
            Field(w, sb, hp, "ResponseID", spec.ResponseId);
        }

        Field(w, sb, hp, "ResponseCode", spec.ResponseCode);
        Field(w, sb, hp, "ResponseDateTime", spec.DateTime);
        sb.Append("</").Append(Q(hp, "Header")).Append('>');
        w.Break(sb);

        // Body, possibly rebinding the prefix (or another one) on it.
        string bp = p;
        string bodyOpen = Q(p, "Body");
        switch (w.Pick(4))
        {
            case 1:
                bodyOpen = p.Length == 0 ? $"Body xmlns={w.Quote()}{DuisCorpus.DuisNs}{w.Quote(again: true)}" : $"{p}:Body xmlns:{p}={w.Quote()}{DuisCorpus.DuisNs}{w.Quote(again: true)}";
                break;
            case 2:
                bp = "";
                bodyOpen = $"Body xmlns={w.Quote()}{DuisCorpus.DuisNs}{w.Quote(again: true)}";
                break;
        }

        sb.Append('<').Append(bodyOpen).Append(w.Space(0)).Append('>');
        w.Break(sb);
        w.Misc(sb, topLevel: false);
        switch (spec.Kind)
        {
            case 0: WriteResponse(w, sb, bp, spec); break;
            case 1: WriteDeviceAlert(w, sb, bp, spec); break;
            case 2: WriteDccAlert(w, sb, bp, spec); break;
            default: WriteSmets1(w, sb, bp, spec); break;
        }

        w.Misc(sb, topLevel: false);
        sb.Append("</").Append(Q(bp, "Body")).Append('>');
        w.Break(sb);
        if (w.Pick(3) != 1)
        {
            sb.Append(DuisCorpus.Signature);
            w.Break(sb);
        }

        sb.Append("</").Append(Q(p, "Response")).Append(w.Space(0)).Append('>');
        w.Misc(sb, topLevel: true);
        if (w.Pick(3) == 1)
        {
            sb.Append(w.Pick(2) == 0 ? "\n" : "\r\n");
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static void WriteResponse(Writer w, StringBuilder sb, string p, DuisMessageSpec spec)
    {
        sb.Append('<').Append(Q(p, "ResponseMessage")).Append('>');
        w.Break(sb);
        string srv = spec.Srv;
        int second = srv.IndexOf('.', srv.IndexOf('.', StringComparison.Ordinal) + 1);
        Field(w, sb, p, "ServiceReference", second < 0 ? srv : srv[..second]);
        Field(w, sb, p, "ServiceReferenceVariant", srv);
        w.Decoy(sb);
        switch (spec.ResponsePayload)
        {
            case 1:
                Field(w, sb, p, "GBCSPayload", DuisCorpus.Gbcs(32 + w.Pick(200)));
                break;
            case 2:
                sb.Append('<').Append(Q(p, "DSPScheduledMessage")).Append('>');
                Field(w, sb, p, "GBCSPayload", DuisCorpus.Gbcs(48));
                Field(w, sb, p, "DSPScheduleID", "1234");
                sb.Append("</").Append(Q(p, "DSPScheduledMessage")).Append('>');
                break;
            case 3:
                sb.Append('<').Append(Q(p, "FutureDatedDeviceAlertMessage")).Append('>');
                Field(w, sb, p, "FutureDatedAlertCode", spec.FutureDatedCode);
                Field(w, sb, p, "GBCSPayload", DuisCorpus.Gbcs(24));
                sb.Append("</").Append(Q(p, "FutureDatedDeviceAlertMessage")).Append('>');
                break;
            case 4:
                Field(w, sb, p, "DSPScheduleID", "42");
                break;
        }

        w.Break(sb);
        sb.Append("</").Append(Q(p, "ResponseMessage")).Append('>');
        w.Break(sb);
    }

    private static void WriteDeviceAlert(Writer w, StringBuilder sb, string p, DuisMessageSpec spec)
    {
        sb.Append('<').Append(Q(p, "DeviceAlertMessage")).Append('>');
        Field(w, sb, p, "AlertCode", spec.AlertCode);
        if (spec.Throttled is not null)
        {
            Field(w, sb, p, "ThrottledAlertSequenceId", "7");
            Field(w, sb, p, "ThrottledAlertCount", spec.Throttled);
        }

        Field(w, sb, p, "GBCSPayload", DuisCorpus.Gbcs(16 + w.Pick(100)));
        sb.Append("</").Append(Q(p, "DeviceAlertMessage")).Append('>');
    }

    private static void WriteDccAlert(Writer w, StringBuilder sb, string p, DuisMessageSpec spec)
    {
        sb.Append('<').Append(Q(p, "DCCAlertMessage")).Append('>');
        Field(w, sb, p, "DCCAlertCode", spec.DccCode);
        if (spec.Throttled is not null)
        {
            Field(w, sb, p, "ThrottledAlertSequenceId", "1");
            Field(w, sb, p, "ThrottledAlertCount", spec.Throttled);
        }

        sb.Append('<').Append(Q(p, "DCCAlert")).Append('>');
        w.Decoy(sb);
        sb.Append('<').Append(Q(p, spec.DccPayload)).Append('>');
        Field(w, sb, p, "CommsHubDeviceID", "00-DB-12-34-56-78-90-A0");
        sb.Append("</").Append(Q(p, spec.DccPayload)).Append('>');
        sb.Append("</").Append(Q(p, "DCCAlert")).Append('>');
        sb.Append("</").Append(Q(p, "DCCAlertMessage")).Append('>');
    }

    private static void WriteSmets1(Writer w, StringBuilder sb, string p, DuisMessageSpec spec)
    {
        sb.Append('<').Append(Q(p, "SMETS1ResponseMessage")).Append('>');
        if (spec.Smets1HasSrv)
        {
            Field(w, sb, p, "ServiceReferenceVariant", spec.Srv);
        }

        if (spec.Smets1Scheduled)
        {
            Field(w, sb, p, "DSPScheduleID", "99");
        }

        sb.Append('<').Append(Q(p, "SMETS1SignedResponse")).Append("><").Append(Q(p, "SMETS1Response")).Append("><").Append(Q(p, "Body")).Append('>');
        if (spec.Smets1Alert)
        {
            sb.Append('<').Append(Q(p, "DeviceAlertMessage")).Append("><ra:DeviceAlertContent>");
            Field(w, sb, "ra", "GBCSHexAlertCode", spec.AlertCode);
            sb.Append("</ra:DeviceAlertContent></").Append(Q(p, "DeviceAlertMessage")).Append('>');
        }
        else
        {
            sb.Append('<').Append(Q(p, "ResponseMessage")).Append("><ra:ServiceReferenceVariant>4.1.1</ra:ServiceReferenceVariant></").Append(Q(p, "ResponseMessage")).Append('>');
        }

        sb.Append("</").Append(Q(p, "Body")).Append("></").Append(Q(p, "SMETS1Response")).Append("></").Append(Q(p, "SMETS1SignedResponse")).Append('>');
        sb.Append("</").Append(Q(p, "SMETS1ResponseMessage")).Append('>');
    }

    /// <summary>An element with a text value written in one of many equivalent ways.</summary>
    private static void Field(Writer w, StringBuilder sb, string p, string local, string value)
    {
        sb.Append('<').Append(Q(p, local));
        if (w.Pick(6) == 1)
        {
            sb.Append(" x:a=").Append(w.Quote()).Append("v&amp;").Append(w.Quote(again: true)).Append(" xmlns:x=\"urn:attr\"");
        }

        sb.Append(w.Space(0)).Append('>');
        sb.Append(w.Pick(5) switch { 1 => " ", 2 => "\r\n  ", 3 => "\n\t", 4 => "\r", _ => "" });
        bool inCdata = false;
        foreach (char c in value)
        {
            int how = w.Pick(16);
            if (inCdata && how is not (0 or 1 or 2 or 3 or 4))
            {
                sb.Append("]]>");
                inCdata = false;
            }

            switch (how)
            {
                case 5:
                    sb.Append("&#").Append(new string('0', w.Pick(12))).Append(((int)c).ToString(CultureInfo.InvariantCulture)).Append(';');
                    break;
                case 6:
                    sb.Append("&#x").Append(new string('0', w.Pick(12))).Append(((int)c).ToString(w.Pick(2) == 0 ? "X" : "x", CultureInfo.InvariantCulture)).Append(';');
                    break;
                case 7:
                    sb.Append("<!--").Append(w.Pick(2) == 0 ? "" : " - c ").Append("-->").Append(c);
                    break;
                case 8:
                    sb.Append(w.Pick(2) == 0 ? "<?pi?>" : "<?p-i data?>").Append(c);
                    break;
                case 9:
                    if (!inCdata)
                    {
                        sb.Append("<![CDATA[");
                        inCdata = true;
                    }

                    sb.Append(c);
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }

        if (inCdata)
        {
            sb.Append("]]>");
        }

        sb.Append(w.Pick(5) switch { 1 => " ", 2 => "\r\n", 3 => "\n", _ => "" });
        sb.Append("</").Append(Q(p, local)).Append(w.Space(0)).Append('>');
        w.Break(sb);
    }

    private static string Q(string prefix, string local) => prefix.Length == 0 ? local : prefix + ":" + local;

    // ----- Adversarial XML edges -----

    /// <summary>Code points at the edges of the XML Char and NameStartChar/NameChar ranges.</summary>
    private static readonly int[] s_interesting =
    [
        0x9, 0xA, 0xD, 0x20, 0x2D, 0x2E, 0x3A, 0x5F, 0x7F, 0x80, 0x85, 0x9F, 0xA0, 0xB7, 0xBF, 0xC0, 0xD6, 0xD7, 0xD8, 0xF6, 0xF7, 0xF8,
        0x2FF, 0x300, 0x36F, 0x370, 0x37D, 0x37E, 0x37F, 0x1FFF, 0x2000, 0x200B, 0x200C, 0x200D, 0x200E, 0x203E, 0x203F, 0x2040, 0x2041,
        0x206F, 0x2070, 0x218F, 0x2190, 0x2BFF, 0x2C00, 0x2FEF, 0x2FF0, 0x3000, 0x3001, 0xD7FF, 0xE000, 0xF8FF, 0xF900, 0xFDCF, 0xFDD0,
        0xFDEF, 0xFDF0, 0xFFEF, 0xFFFD, 0xFFFE, 0xFFFF, 0x10000, 0x1D11E, 0xEFFFF, 0xF0000, 0x10FFFF, 0x2028, 0x4E2D,
    ];

    public static byte[] WithEdge(byte[] message, int edge, int detail)
    {
        string xml = Encoding.UTF8.GetString(message);
        int cp = s_interesting[detail % s_interesting.Length];
        string ch = char.ConvertFromUtf32(cp is >= 0xD800 and <= 0xDFFF ? 0xFFFD : cp);
        int pad = (detail / 7) % 40;
        string edit = edge switch
        {
            // A name with the character inside, first, or in a prefix.
            0 => $"<x:a{ch}b xmlns:x=\"urn:x\"/>",
            1 => $"<x:{ch}ab xmlns:x=\"urn:x\"/>",
            2 => $"<p{ch}:a xmlns:p{ch}=\"urn:x\"/>",

            // The character in text, in an attribute, in a comment; and as a zero-padded reference.
            3 => $"<x:t xmlns:x=\"urn:x\" a=\"{ch}\">{ch}<!--{ch}--></x:t>",
            4 => $"<x:t xmlns:x=\"urn:x\">&#{new string('0', pad)}{cp.ToString(CultureInfo.InvariantCulture)};&#x{new string('0', pad)}{cp.ToString("x", CultureInfo.InvariantCulture)};</x:t>",

            // Processing-instruction targets.
            5 => ((detail / 3) % 6) switch { 0 => "<?p:?>", 1 => "<?p:q x?>", 2 => "<?pq x?>", 3 => $"<?p{ch}?>", 4 => "<?XmL x?>", _ => "<?xml-stylesheet x?>" },

            // Reserved and duplicate namespace bindings.
            6 => ((detail / 3) % 10) switch
            {
                0 => "<x:t xmlns:x=\"urn:x\" xmlns=\"http://www.w3.org/XML/1998/namespace\"/>",
                1 => "<x:t xmlns:x=\"urn:x\" xmlns:p=\"http://www.w3.org/2000/xmlns/\"/>",
                2 => "<x:t xmlns:x=\"urn:x\" xmlns:xml=\"urn:other\"/>",
                3 => "<x:t xmlns:x=\"urn:x\" xmlns:xml=\"http://www.w3.org/XML/1998/namespace\" xml:lang=\"en\"/>",
                4 => "<x:t xmlns:x=\"urn:x\" xmlns:p=\"http://www.w3.org/XML/1998/namespace\"/>",
                5 => "<x:t xmlns:x=\"urn:x\" xmlns=\"http://www.w3.org/2000/xmlns/\"/>",
                6 => "<x:t xmlns:x=\"urn:x\" xmlns:xmlns=\"urn:x\"/>",
                7 => "<x:t xmlns:x=\"urn:x\" xmlns:p=\"\"/>",
                8 => "<x:t xmlns:x=\"urn:x\" xmlns=\"\"/>",
                _ => "<t xmlns=\"\" xmlns:x=\"urn:x\" x:a=\"1\"/>",
            },
            7 => ((detail / 3) % 5) switch
            {
                0 => "<x:t xmlns:x=\"urn:x\" xmlns:a=\"urn:d\" xmlns:b=\"urn:d\" a:n=\"1\" b:n=\"2\"/>",
                1 => "<x:t xmlns:x=\"urn:x\" xmlns:a=\"urn:d\" xmlns:b=\"urn:e\" a:n=\"1\" b:n=\"2\"/>",
                2 => "<x:t xmlns:x=\"urn:x\" xmlns:a=\"urn:d\" xmlns:b=\"urn:&#100;\" a:n=\"1\" b:n=\"2\"/>",
                3 => "<x:t xmlns:x=\"urn:d\" xmlns:a=\"urn:d\" x:n=\"1\" a:n=\"2\" n=\"3\"/>",
                _ => "<x:t xmlns:x=\"urn:x\" xmlns:x=\"urn:x\"/>",
            },

            // Line ends and references in the request id.
            _ => "",
        };

        if (edge == 8)
        {
            // Replace the first '-' of the request id with a line end or reference; compared field by field.
            int id = xml.IndexOf("RequestID", StringComparison.Ordinal);
            int dash = id < 0 ? -1 : xml.IndexOf('-', id);
            string replacement = (detail % 6) switch { 0 => "\r\n", 1 => "\r", 2 => "&#13;", 3 => "&#xD;&#xA;", 4 => "\r\r\n", _ => ch };
            return Encoding.UTF8.GetBytes(dash < 0 ? xml : xml[..dash] + replacement + xml[(dash + 1)..]);
        }

        // Insert the edit inside the Body, after its start tag.
        int body = xml.IndexOf("Body", StringComparison.Ordinal);
        int at = body < 0 ? -1 : xml.IndexOf('>', body);
        return Encoding.UTF8.GetBytes(at < 0 ? xml : xml[..(at + 1)] + edit + xml[(at + 1)..]);
    }

    // ----- Byte-level mutations -----

    private static readonly byte[][] s_tokens =
    [
        .. new[]
        {
            "<", ">", "&", ";", "\"", "'", "=", "/", ":", "]]>", "<!--", "-->", "<?", "?>", "<![CDATA[", "<!DOCTYPE x>", "&#0;", "&#x10FFFF;",
            "&#00000065;", "&amp", "xmlns:sr=\"\"", "xmlns=\"urn:x\"", "\u00A0", "\uFFFE", "\uFFFF", "\uFEFF", "\r", "\r\n", "\0", "sr:", "é",
            "</sr:Body>", "<sr:Body>", "<?xml version=\"1.0\"?>", "\U00010000", "xmlns:xml=\"urn:x\"",
        }.Select(Encoding.UTF8.GetBytes),
        [0xC3], [0xEF, 0xBF], [0xF0, 0x90], [0xFF],
    ];

    public static byte[] Mutate(byte[] message, int[] operations)
    {
        var bytes = new List<byte>(message);
        foreach (int op in operations)
        {
            if (bytes.Count == 0)
            {
                break;
            }

            int at = (op >> 4) % bytes.Count;
            switch (op & 7)
            {
                case 0:
                    bytes[at] = (byte)(op >> 20);
                    break;
                case 1:
                    bytes.RemoveRange(at, Math.Min(1 + ((op >> 24) & 15), bytes.Count - at));
                    break;
                case 2:
                case 3:
                    bytes.InsertRange(at, s_tokens[(op >> 24) % s_tokens.Length]);
                    break;
                case 4:
                    bytes.InsertRange(at, bytes.GetRange(at, Math.Min(1 + ((op >> 24) & 31), bytes.Count - at)));
                    break;
                case 5:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                default:
                    bytes[at] ^= (byte)(1 << ((op >> 24) & 7));
                    break;
            }
        }

        return [.. bytes];
    }

    /// <summary>Consumes the generated choices in order (cycling), so equal specs render identically.</summary>
    private sealed class Writer(int[] choices)
    {
        private int _next;
        private string _lastQuote = "\"";

        public int Pick(int n) => choices.Length == 0 ? 0 : choices[_next++ % choices.Length] % n;

        public string Quote(bool again = false)
        {
            if (!again)
            {
                _lastQuote = Pick(3) == 1 ? "'" : "\"";
            }

            return _lastQuote;
        }

        public string Space(int minimum) => Pick(5) switch
        {
            1 => " ",
            2 => "\r\n    ",
            3 => "\t",
            _ => minimum == 0 ? "" : " ",
        };

        public string Eq() => Pick(4) == 1 ? " = " : "=";

        public void Break(StringBuilder sb) => sb.Append(Pick(5) switch { 1 => "\n  ", 2 => "\r\n  ", 3 => "\t", _ => "" });

        public void Misc(StringBuilder sb, bool topLevel)
        {
            switch (Pick(5))
            {
                case 1: sb.Append("<!-- sent by a test -->"); break;
                case 2: sb.Append("<?sender-note v=\"1\"?>"); break;
                case 3 when !topLevel: sb.Append("<![CDATA[ <not markup> ]]>"); break;
            }
        }

        public void Decoy(StringBuilder sb)
        {
            switch (Pick(6))
            {
                case 1: sb.Append("<x:ServiceReferenceVariant xmlns:x=\"urn:decoy\">9.9.9</x:ServiceReferenceVariant>"); break;
                case 2: sb.Append("<d:Extra xmlns:d=\"urn:decoy\" d:n=\"1\"><d:AlertCode>ZZ</d:AlertCode></d:Extra>"); break;
            }
        }
    }
}
