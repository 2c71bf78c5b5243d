using System.Text;

namespace DuisPrioritiser.Tests.Duis;

/// <summary>
/// DUIS messages written for these tests (not copied from anywhere): every kind of message, in the shapes the DCC
/// sends, plus builders for variations.
/// </summary>
internal static class DuisCorpus
{
    public const string DuisNs = "http://www.dccinterface.co.uk/ServiceUserGateway";
    public const string RaNs = "http://www.dccinterface.co.uk/ResponseAndAlert";
    public const string DsNs = "http://www.w3.org/2000/09/xmldsig#";

    public const string RequestId = "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1700000000001";
    public const string ResponseId = "00-DB-12-34-56-78-90-A0:90-B3-D5-1F-30-01-00-00:1700000000001";
    public const string ResponseDateTimeText = "2026-03-01T10:15:30.123Z";

    /// <summary>A short signature block like the one every DCC message ends with.</summary>
    public const string Signature =
        "<ds:Signature xmlns:ds=\"" + DsNs + "\"><ds:SignedInfo>" +
        "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>" +
        "<ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256\"/>" +
        "<ds:Reference URI=\"\"><ds:Transforms><ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/></ds:Transforms>" +
        "<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue>q1w2e3r4t5y6u7i8o9p0AsDfGhJkLzXcVbNm1234567=</ds:DigestValue></ds:Reference>" +
        "</ds:SignedInfo><ds:SignatureValue>QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODk=&#13;\nQUJDREVGR0g=</ds:SignatureValue>" +
        "<ds:KeyInfo><ds:X509Data><ds:X509IssuerSerial><ds:X509IssuerName>CN=TEST,OU=01</ds:X509IssuerName><ds:X509SerialNumber>1234567890123456789</ds:X509SerialNumber></ds:X509IssuerSerial></ds:X509Data></ds:KeyInfo>" +
        "</ds:Signature>";

    public static string Gbcs(int bytes = 96)
    {
        var raw = new byte[bytes];
        for (int i = 0; i < raw.Length; i++)
        {
            raw[i] = (byte)((i * 37) + 11);
        }

        return Convert.ToBase64String(raw);
    }

    public static string Header(string responseCode = "I0", string? requestId = RequestId, string? responseId = ResponseId, string dateTime = ResponseDateTimeText)
        => "<sr:Header>"
            + (requestId is null ? "" : $"<sr:RequestID>{requestId}</sr:RequestID>")
            + (responseId is null ? "" : $"<sr:ResponseID>{responseId}</sr:ResponseID>")
            + $"<sr:ResponseCode>{responseCode}</sr:ResponseCode><sr:ResponseDateTime>{dateTime}</sr:ResponseDateTime></sr:Header>";

    public static string Envelope(string header, string bodyContent, bool signature = true)
        => "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>"
            + $"<sr:Response xmlns:sr=\"{DuisNs}\" xmlns:ra=\"{RaNs}\" schemaVersion=\"5.4\">"
            + header
            + $"<sr:Body>{bodyContent}</sr:Body>"
            + (signature ? Signature : "")
            + "</sr:Response>";

    /// <summary>A Service Response: SRV and an optional payload element.</summary>
    public static string Response(string srv, string payload = "", string responseCode = "I0", string? requestId = RequestId, string? responseId = ResponseId)
    {
        int dot = srv.IndexOf('.', StringComparison.Ordinal);
        int second = srv.IndexOf('.', dot + 1);
        string reference = second < 0 ? srv : srv[..second];
        return Envelope(
            Header(responseCode, requestId, responseId),
            $"<sr:ResponseMessage><sr:ServiceReference>{reference}</sr:ServiceReference><sr:ServiceReferenceVariant>{srv}</sr:ServiceReferenceVariant>{payload}</sr:ResponseMessage>");
    }

    public static string GbcsPayload(int bytes = 96) => $"<sr:GBCSPayload>{Gbcs(bytes)}</sr:GBCSPayload>";

    public static string ScheduledPayload(string scheduleId = "12345678") => $"<sr:DSPScheduledMessage><sr:GBCSPayload>{Gbcs()}</sr:GBCSPayload><sr:DSPScheduleID>{scheduleId}</sr:DSPScheduleID></sr:DSPScheduledMessage>";

    public static string FutureDatedPayload(string code)
        => $"<sr:FutureDatedDeviceAlertMessage><sr:FutureDatedAlertCode>{code}</sr:FutureDatedAlertCode><sr:GBCSPayload>{Gbcs(48)}</sr:GBCSPayload><sr:InstructionNumber>1</sr:InstructionNumber><sr:TotalCommandInstructions>1</sr:TotalCommandInstructions></sr:FutureDatedDeviceAlertMessage>";

    public static string DeviceAlert(string code, int? throttledCount = null)
        => Envelope(
            Header("I0", requestId: null, responseId: "00-DB-12-34-56-78-90-A0:90-B3-D5-1F-30-01-00-00:1700000000002"),
            $"<sr:DeviceAlertMessage><sr:AlertCode>{code}</sr:AlertCode>"
            + (throttledCount is null ? "" : $"<sr:ThrottledAlertSequenceId>7</sr:ThrottledAlertSequenceId><sr:ThrottledAlertCount>{throttledCount}</sr:ThrottledAlertCount>")
            + $"<sr:GBCSPayload>{Gbcs(64)}</sr:GBCSPayload></sr:DeviceAlertMessage>");

    public static string DccAlert(string code, string payloadElement = "PowerOutageEvent", string? throttledCount = null)
        => Envelope(
            Header("I0", requestId: null, responseId: "00-00-00-00-00-00-00-00:90-B3-D5-1F-30-01-00-00:1700000000003"),
            $"<sr:DCCAlertMessage><sr:DCCAlertCode>{code}</sr:DCCAlertCode>"
            + (throttledCount is null ? "" : $"<sr:ThrottledAlertSequenceId>1</sr:ThrottledAlertSequenceId><sr:ThrottledAlertCount>{throttledCount}</sr:ThrottledAlertCount>")
            + $"<sr:DCCAlert><sr:{payloadElement}><sr:CommsHubDeviceID>00-DB-12-34-56-78-90-A0</sr:CommsHubDeviceID><sr:StartDateTime>2026-03-01T10:00:00Z</sr:StartDateTime><sr:MPxN>1234567890123</sr:MPxN></sr:{payloadElement}></sr:DCCAlert></sr:DCCAlertMessage>");

    /// <summary>A SMETS1 response or alert: optional SRV, optional DSPScheduleID, optional nested device alert code.</summary>
    public static string Smets1(string? srv = null, string? scheduleId = null, string? alertCode = null)
    {
        string reference = srv is null ? "" : $"<sr:ServiceReference>{srv[..srv.LastIndexOf('.')]}</sr:ServiceReference><sr:ServiceReferenceVariant>{srv}</sr:ServiceReferenceVariant>";
        string schedule = scheduleId is null ? "" : $"<sr:DSPScheduleID>{scheduleId}</sr:DSPScheduleID>";
        string inner = alertCode is null
            ? "<sr:ResponseMessage><ra:ServiceReferenceVariant>4.1.1</ra:ServiceReferenceVariant></sr:ResponseMessage>"
            : $"<sr:DeviceAlertMessage><ra:DeviceAlertContent><ra:GBCSHexAlertCode>{alertCode}</ra:GBCSHexAlertCode><ra:AlertDescription>test alert</ra:AlertDescription><ra:Timestamp>2026-03-01T10:00:00Z</ra:Timestamp></ra:DeviceAlertContent></sr:DeviceAlertMessage>";
        return Envelope(
            Header("I0"),
            $"<sr:SMETS1ResponseMessage>{reference}{schedule}<sr:SMETS1SignedResponse schemaVersion=\"5.4\"><sr:SMETS1Response><sr:Header><ra:RequestID>x</ra:RequestID></sr:Header><sr:Body>{inner}</sr:Body></sr:SMETS1Response>{Signature}</sr:SMETS1SignedResponse></sr:SMETS1ResponseMessage>");
    }

    /// <summary>A realistic ~1 KB synchronous status response (an acknowledgement, no payload).</summary>
    public static string StatusResponse1K()
        => Envelope(Header("I99"), "<sr:ResponseMessage><sr:ServiceReference>4.1</sr:ServiceReference><sr:ServiceReferenceVariant>4.1.1</sr:ServiceReferenceVariant></sr:ResponseMessage>");

    /// <summary>A ~2 KB read response with a GBCS payload.</summary>
    public static string ReadResponse2K() => Response("4.1.1", GbcsPayload(700));

    /// <summary>A ~200 KB profile-data response (4.8.1) with a large GBCS payload.</summary>
    public static string ProfileResponse200K() => Response("4.8.1", GbcsPayload(150_000));

    public static byte[] Utf8(string xml) => Encoding.UTF8.GetBytes(xml);

    /// <summary>Every kind of valid message, with a name for test output.</summary>
    public static IEnumerable<(string Name, string Xml)> ValidMessages()
    {
        yield return ("status", StatusResponse1K());
        yield return ("read", ReadResponse2K());
        yield return ("commission", Response("8.1.1", GbcsPayload()));
        yield return ("ack-error", Response("11.2", responseCode: "E65", responseId: null));
        yield return ("scheduled", Response("4.6.1", ScheduledPayload()));
        yield return ("create-schedule", Response("5.1", "<sr:DSPScheduleID>42</sr:DSPScheduleID>"));
        yield return ("future-dated", Response("1.1.1", FutureDatedPayload("8F66")));
        yield return ("device-alert", DeviceAlert("8F0F"));
        yield return ("device-alert-throttled", DeviceAlert("8F35", 12));
        yield return ("dcc-alert", DccAlert("AD1"));
        yield return ("dcc-alert-n24", DccAlert("N24", "UpdateHANDeviceLogResult"));
        yield return ("smets1-response", Smets1("4.1.1"));
        yield return ("smets1-scheduled", Smets1("4.6.1", scheduleId: "99"));
        yield return ("smets1-alert", Smets1(alertCode: "8F35"));
        yield return ("smets1-bare", Smets1());
    }
}
