namespace DuisPrioritiser.Benchmarks;

/// <summary>DUIS messages generated for the benchmarks.</summary>
internal static class Messages
{
    private const string Ns = "http://www.dccinterface.co.uk/ServiceUserGateway";

    private const string Signature =
        "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>" +
        "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>" +
        "<ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256\"/>" +
        "<ds:Reference URI=\"\"><ds:Transforms><ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/></ds:Transforms>" +
        "<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue>q1w2e3r4t5y6u7i8o9p0AsDfGhJkLzXcVbNm1234567=</ds:DigestValue></ds:Reference>" +
        "</ds:SignedInfo><ds:SignatureValue>QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODk=&#13;\nQUJDREVGR0g=</ds:SignatureValue>" +
        "<ds:KeyInfo><ds:X509Data><ds:X509IssuerSerial><ds:X509IssuerName>CN=TEST,OU=01</ds:X509IssuerName><ds:X509SerialNumber>1234567890123456789</ds:X509SerialNumber></ds:X509IssuerSerial></ds:X509Data></ds:KeyInfo>" +
        "</ds:Signature>";

    public static string Header(string code)
        => "<sr:Header><sr:RequestID>90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1700000000001</sr:RequestID>"
            + "<sr:ResponseID>00-DB-12-34-56-78-90-A0:90-B3-D5-1F-30-01-00-00:1700000000001</sr:ResponseID>"
            + $"<sr:ResponseCode>{code}</sr:ResponseCode><sr:ResponseDateTime>2026-03-01T10:15:30.123Z</sr:ResponseDateTime></sr:Header>";

    public static string Envelope(string header, string body)
        => "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>"
            + $"<sr:Response xmlns:sr=\"{Ns}\" xmlns:ra=\"http://www.dccinterface.co.uk/ResponseAndAlert\" schemaVersion=\"5.4\">"
            + header + $"<sr:Body>{body}</sr:Body>" + Signature + "</sr:Response>";

    public static string Response(string srv, int payloadBytes)
    {
        var raw = new byte[payloadBytes];
        new Random(42).NextBytes(raw);
        string reference = srv[..srv.LastIndexOf('.')];
        return Envelope(Header("I0"), $"<sr:ResponseMessage><sr:ServiceReference>{reference}</sr:ServiceReference><sr:ServiceReferenceVariant>{srv}</sr:ServiceReferenceVariant><sr:GBCSPayload>{Convert.ToBase64String(raw)}</sr:GBCSPayload></sr:ResponseMessage>");
    }
}
