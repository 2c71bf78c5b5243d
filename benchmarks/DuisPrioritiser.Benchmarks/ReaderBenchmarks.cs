using System.Text;
using System.Xml;
using System.Xml.Linq;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Benchmarks;

/// <summary>
/// The DUIS reader against an XmlReader extraction of the same fields (the baseline: DTDs prohibited, no resolver)
/// and against XDocument.Parse, on a ~1 KB status response, a ~2 KB read response and a ~200 KB profile-data response.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByParams)]
public class ReaderBenchmarks
{
    private const string Sr = "http://www.dccinterface.co.uk/ServiceUserGateway";

    private static readonly XmlReaderSettings s_settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = true,
    };

    private ReadOnlyMemory<byte> _bytes;
    private byte[] _array = [];

    /// <summary>Gets the message bytes (after <see cref="Setup"/>).</summary>
    public ReadOnlyMemory<byte> Bytes => _bytes;

    /// <summary>Gets or sets which message is read.</summary>
    [Params("Status1K", "Read2K", "Profile200K")]
    public string Message { get; set; } = "Status1K";

    [GlobalSetup]
    public void Setup()
    {
        string xml = Message switch
        {
            "Status1K" => Messages.Envelope(Messages.Header("I99"), "<sr:ResponseMessage><sr:ServiceReference>4.1</sr:ServiceReference><sr:ServiceReferenceVariant>4.1.1</sr:ServiceReferenceVariant></sr:ResponseMessage>"),
            "Read2K" => Messages.Response("4.1.1", 700),
            _ => Messages.Response("4.8.1", 150_000),
        };
        _array = Encoding.UTF8.GetBytes(xml);
        _bytes = _array;
        Console.WriteLine($"// {Message}: {_array.Length} bytes");
        if (!DuisMessage.TryParse(_bytes, out var m, out var error) || XmlReaderExtract() != m.ServiceReferenceVariant.ToString() || XDocumentExtract() != m.ServiceReferenceVariant.ToString())
        {
            throw new InvalidOperationException("Setup: readers disagree. " + error.Message);
        }
    }

    [Benchmark(Baseline = true, Description = "XmlReader extraction")]
    public string? XmlReaderExtract()
    {
        using var stream = new MemoryStream(_array, writable: false);
        using var reader = XmlReader.Create(stream, s_settings);
        string? srv = null, code = null, alert = null, requestId = null, responseId = null, payload = null, time = null;
        bool scheduled = false;
        reader.MoveToContent();
        if (reader.LocalName != "Response" || reader.NamespaceURI != Sr)
        {
            throw new InvalidOperationException("not a DUIS response");
        }

        reader.Read();
        while (!reader.EOF)
        {
            if (reader.NodeType != XmlNodeType.Element || reader.NamespaceURI != Sr)
            {
                reader.Read();
                continue;
            }

            // ReadElementContentAsString moves past the element, so only the other branches call Read().
            switch (reader.LocalName)
            {
                case "RequestID": requestId = reader.ReadElementContentAsString().Trim(); break;
                case "ResponseID": responseId = reader.ReadElementContentAsString().Trim(); break;
                case "ResponseCode": code = reader.ReadElementContentAsString().Trim(); break;
                case "ResponseDateTime": time = reader.ReadElementContentAsString().Trim(); break;
                case "ServiceReferenceVariant": srv = reader.ReadElementContentAsString().Trim(); break;
                case "AlertCode" or "DCCAlertCode": alert = reader.ReadElementContentAsString().Trim(); break;
                case "DSPScheduledMessage": scheduled = true; reader.Read(); break;
                case "DCCAlert": reader.Read(); payload = reader.LocalName; break;
                default: reader.Read(); break;
            }
        }

        GC.KeepAlive(code);
        GC.KeepAlive(alert);
        GC.KeepAlive(requestId);
        GC.KeepAlive(responseId);
        GC.KeepAlive(payload);
        _ = DateTimeOffset.Parse(time!, System.Globalization.CultureInfo.InvariantCulture);
        return scheduled ? null : srv;
    }

    [Benchmark(Description = "XDocument.Parse")]
    public string? XDocumentExtract()
    {
        var document = XDocument.Parse(Encoding.UTF8.GetString(_array));
        XNamespace sr = Sr;
        var root = document.Root!;
        var header = root.Element(sr + "Header")!;
        GC.KeepAlive(header.Element(sr + "RequestID")?.Value.Trim());
        GC.KeepAlive(header.Element(sr + "ResponseID")?.Value.Trim());
        GC.KeepAlive(header.Element(sr + "ResponseCode")?.Value.Trim());
        var message = root.Element(sr + "Body")!.Elements().First();
        return message.Element(sr + "ServiceReferenceVariant")?.Value.Trim();
    }

    [Benchmark(Description = "DuisMessage.TryParse")]
    public DuisMessage? DuisReader() => DuisMessage.TryParse(_bytes, out var message, out _) ? message : null;

    [Benchmark(Description = "TryParse + classify")]
    public PriorityLevel DuisReaderAndClassify()
        => DuisMessage.TryParse(_bytes, out var message, out _) && DuisDefaultPriorityClassifier.Instance.TryClassify(message, out var level) ? level : PriorityLevel.Normal;
}
