using System.Globalization;

namespace DuisPrioritiser.AspNetCore.Tests;

/// <summary>DUIS messages written for these tests, each with its own ids so that no two look like a redelivery.</summary>
internal static class DuisXml
{
    private static long s_next;

    public static string NextRequestId()
        => string.Create(CultureInfo.InvariantCulture, $"90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:{1_767_225_600_000L + Interlocked.Increment(ref s_next)}");

    /// <summary>A Service Response for <paramref name="srv"/>, padded with a GBCS payload of <paramref name="payloadBytes"/> bytes.</summary>
    public static string Response(string srv, string? requestId = null, int payloadBytes = 64)
    {
        requestId ??= NextRequestId();
        string responseId = requestId.Replace("90-B3", "91-B3", StringComparison.Ordinal);
        int second = srv.IndexOf('.', srv.IndexOf('.', StringComparison.Ordinal) + 1);
        string reference = second < 0 ? srv : srv[..second];
        var payload = new byte[payloadBytes];
        for (int i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)((i * 37) + 11);
        }

        return "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>"
            + "<sr:Response xmlns:sr=\"http://www.dccinterface.co.uk/ServiceUserGateway\" xmlns:ra=\"http://www.dccinterface.co.uk/ResponseAndAlert\" schemaVersion=\"5.4\">"
            + $"<sr:Header><sr:RequestID>{requestId}</sr:RequestID><sr:ResponseID>{responseId}</sr:ResponseID><sr:ResponseCode>I0</sr:ResponseCode><sr:ResponseDateTime>2026-01-01T00:00:02.000Z</sr:ResponseDateTime></sr:Header>"
            + $"<sr:Body><sr:ResponseMessage><sr:ServiceReference>{reference}</sr:ServiceReference><sr:ServiceReferenceVariant>{srv}</sr:ServiceReferenceVariant>"
            + $"<sr:GBCSPayload>{Convert.ToBase64String(payload)}</sr:GBCSPayload></sr:ResponseMessage></sr:Body></sr:Response>";
    }
}
