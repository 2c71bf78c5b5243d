using System.Text;

namespace FloodRelease;

/// <summary>Builds small but well-formed DUIS messages, as the DCC would POST them to an adapter.</summary>
internal static class DuisXml
{
    private const string Namespace = "http://www.dccinterface.co.uk/ServiceUserGateway";
    private static readonly string s_gbcs = Convert.ToBase64String(Enumerable.Range(0, 96).Select(i => (byte)(i * 37)).ToArray());

    public static byte[] Response(string srv, long id, bool dccScheduled = false)
    {
        string reference = srv.Count(c => c == '.') == 2 ? srv[..srv.LastIndexOf('.')] : srv;
        string payload = dccScheduled
            ? $"<sr:DSPScheduledMessage><sr:GBCSPayload>{s_gbcs}</sr:GBCSPayload><sr:DSPScheduleID>{id % 1000:D8}</sr:DSPScheduleID></sr:DSPScheduledMessage>"
            : $"<sr:GBCSPayload>{s_gbcs}</sr:GBCSPayload>";
        return Envelope(
            $"<sr:RequestID>90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:{id}</sr:RequestID><sr:ResponseID>00-DB-12-34-56-78-90-A0:90-B3-D5-1F-30-01-00-00:{id}</sr:ResponseID>",
            $"<sr:ResponseMessage><sr:ServiceReference>{reference}</sr:ServiceReference><sr:ServiceReferenceVariant>{srv}</sr:ServiceReferenceVariant>{payload}</sr:ResponseMessage>");
    }

    public static byte[] DeviceAlert(string code, long id)
        => Envelope(
            $"<sr:ResponseID>00-DB-12-34-56-78-90-A0:90-B3-D5-1F-30-01-00-00:{id}</sr:ResponseID>",
            $"<sr:DeviceAlertMessage><sr:AlertCode>{code}</sr:AlertCode><sr:GBCSPayload>{s_gbcs}</sr:GBCSPayload></sr:DeviceAlertMessage>");

    public static byte[] DccAlert(string code, string payloadElement, long id)
        => Envelope(
            $"<sr:ResponseID>00-00-00-00-00-00-00-00:90-B3-D5-1F-30-01-00-00:{id}</sr:ResponseID>",
            $"<sr:DCCAlertMessage><sr:DCCAlertCode>{code}</sr:DCCAlertCode><sr:DCCAlert><sr:{payloadElement}><sr:CommsHubDeviceID>00-DB-12-34-56-78-90-A0</sr:CommsHubDeviceID></sr:{payloadElement}></sr:DCCAlert></sr:DCCAlertMessage>");

    private static byte[] Envelope(string ids, string body)
        => Encoding.UTF8.GetBytes(
            $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><sr:Response xmlns:sr=\"{Namespace}\" schemaVersion=\"5.4\">" +
            $"<sr:Header>{ids}<sr:ResponseCode>I0</sr:ResponseCode><sr:ResponseDateTime>2026-11-29T01:00:00.000Z</sr:ResponseDateTime></sr:Header>" +
            $"<sr:Body>{body}</sr:Body></sr:Response>");
}
