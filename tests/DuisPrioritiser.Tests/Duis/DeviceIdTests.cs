using System.Text;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Tests.Duis;

public class DeviceIdTests
{
    // The ids of the real DCC samples this project was given (a ReadFirmwareVersion response and an acknowledgement):
    // the supplier's EUI 90-B3-D5-1F-30-01-00-00 sends to the devices 88-73-84-57-00-2F-96-1E and …-96-6C, and the
    // response id turns the pair round.
    private const string RealRequestId = "90-B3-D5-1F-30-01-00-00:88-73-84-57-00-2F-96-1E:1660751141087";
    private const string RealResponseId = "88-73-84-57-00-2F-96-1E:90-B3-D5-1F-30-01-00-00:1660751141087";
    private const string RealAckRequestId = "90-B3-D5-1F-30-01-00-00:88-73-84-57-00-2F-96-6C:1658482675800";

    [TestCase("88-73-84-57-00-2F-96-1E", 0x88738457002F961EUL)]
    [TestCase("88-73-84-57-00-2f-96-1e", 0x88738457002F961EUL)]
    [TestCase("00-00-00-00-00-00-00-00", 0UL)]
    [TestCase("FF-FF-FF-FF-FF-FF-FF-FF", ulong.MaxValue)]
    public void Parse_Valid_RoundTripsInUpperCase(string text, ulong value)
    {
        var id = DeviceId.Parse(text);

        Assert.That(id.Value, Is.EqualTo(value));
        Assert.That(id.ToString(), Is.EqualTo(text.ToUpperInvariant()));
        Assert.That(DeviceId.TryParse(Encoding.UTF8.GetBytes(text), out var fromUtf8), Is.True);
        Assert.That(fromUtf8, Is.EqualTo(id));
        Assert.That(id.GetHashCode(), Is.EqualTo(new DeviceId(value).GetHashCode()));
        Assert.That($"{id}", Is.EqualTo(text.ToUpperInvariant()));
    }

    [TestCase("")]
    [TestCase("88-73-84-57-00-2F-96")]
    [TestCase("88-73-84-57-00-2F-96-1E-")]
    [TestCase("88:73:84:57:00:2F:96:1E")]
    [TestCase("88-73-84-57-00-2G-96-1E")]
    [TestCase("887384-57-00-2F-96-1E-")]
    [TestCase(" 88-73-84-57-00-2F-96-1")]
    public void TryParse_Invalid_ReturnsFalse(string text)
    {
        Assert.That(DeviceId.TryParse(text, out var id), Is.False);
        Assert.That(id, Is.EqualTo(default(DeviceId)));
        Assert.That(DeviceId.TryParse(Encoding.UTF8.GetBytes(text), out _), Is.False);
        Assert.That(() => DeviceId.Parse(text), Throws.InstanceOf<FormatException>().With.Message.Contains("EUI-64"));
    }

    [Test]
    public void Parse_Null_Throws()
    {
        Assert.That(() => DeviceId.Parse(null!), Throws.ArgumentNullException);
        Assert.That(DeviceId.TryParse((string?)null, out _), Is.False);
    }

    [Test]
    public void TryFormat_ShortBuffer_ReturnsFalse()
    {
        var id = DeviceId.Parse("88-73-84-57-00-2F-96-1E");
        Span<char> small = stackalloc char[DeviceId.TextLength - 1];
        Span<char> exact = stackalloc char[DeviceId.TextLength];

        Assert.That(id.TryFormat(small, out int none, default, null), Is.False);
        Assert.That(none, Is.Zero);
        Assert.That(id.TryFormat(exact, out int written, default, null), Is.True);
        Assert.That(exact[..written].ToString(), Is.EqualTo("88-73-84-57-00-2F-96-1E"));
    }

    [Test]
    public void Ordering_FollowsValue()
    {
        var low = DeviceId.Parse("00-DB-12-34-56-78-90-A0");
        var high = DeviceId.Parse("88-73-84-57-00-2F-96-1E");

        var same = DeviceId.Parse("00-DB-12-34-56-78-90-A0");
        Assert.That(low < high && high > low && low <= same && same >= low && low != high, Is.True);
        Assert.That(low.CompareTo(high), Is.Negative);
    }

    [Test]
    public void Device_RealResponse_IsTheTargetOfTheRequestId()
    {
        var message = DuisMessage.Parse(DuisCorpus.Utf8(DuisCorpus.Response("4.1.1", DuisCorpus.GbcsPayload(), requestId: RealRequestId, responseId: RealResponseId)));

        Assert.That(message.Device, Is.EqualTo(DeviceId.Parse("88-73-84-57-00-2F-96-1E")));
        var first = message.Device;
        Assert.That(message.Device, Is.EqualTo(first), "read once, remembered");
    }

    [Test]
    public void Device_RealAcknowledgement_IsTheTargetOfTheRequestId()
    {
        var message = DuisMessage.Parse(DuisCorpus.Utf8(DuisCorpus.Response("8.1.1", responseCode: "I99", requestId: RealAckRequestId, responseId: null)));

        Assert.That(message.Device, Is.EqualTo(DeviceId.Parse("88-73-84-57-00-2F-96-6C")));
    }

    [Test]
    public void Device_DeviceAlert_IsTheOriginatorOfTheResponseId()
    {
        var message = DuisMessage.Parse(DuisCorpus.Utf8(DuisCorpus.DeviceAlert("8F0F")));

        Assert.That(message.Device, Is.EqualTo(DeviceId.Parse("00-DB-12-34-56-78-90-A0")));
    }

    [Test]
    public void Device_DccAlert_IsTheOriginatorOfTheResponseId()
    {
        var message = DuisMessage.Parse(DuisCorpus.Utf8(DuisCorpus.DccAlert("AD1")));

        Assert.That(message.Device, Is.EqualTo(DeviceId.Parse("00-00-00-00-00-00-00-00")));
    }

    [Test]
    public void Device_Smets1Alert_IsTheOriginatorOfTheResponseId()
    {
        var message = DuisMessage.Parse(DuisCorpus.Utf8(DuisCorpus.Smets1(alertCode: "8F0F")));

        Assert.That(message.IsAlert, Is.True);
        Assert.That(message.Device, Is.EqualTo(DeviceId.Parse("00-DB-12-34-56-78-90-A0")));
    }

    [Test]
    public void Device_ResponseWithoutRequestId_IsNull()
    {
        var message = DuisMessage.Parse(DuisCorpus.Utf8(DuisCorpus.Response("4.1.1", requestId: null, responseId: RealResponseId)));

        Assert.That(message.Device, Is.Null);
    }

    [Test]
    public void Device_IdWithCharacterReferencesAndSpaces_IsReadFromTheValue()
    {
        // &#56; is '8': the reader decodes the id to text; the device comes from the decoded value, not the raw bytes.
        string id = " 90-B3-D5-1F-30-01-00-00:&#56;8-73-84-57-00-2F-96-1E:1660751141087\n";
        var message = DuisMessage.Parse(DuisCorpus.Utf8(DuisCorpus.Response("4.1.1", requestId: id, responseId: RealResponseId)));

        Assert.That(message.Device, Is.EqualTo(DeviceId.Parse("88-73-84-57-00-2F-96-1E")));
    }

    [TestCase("not-an-id")]
    [TestCase("90-B3-D5-1F-30-01-00-00:88-73-84-57-00-2F-96:1")]
    [TestCase("90-B3-D5-1F-30-01-00-00;88-73-84-57-00-2F-96-1E:1")]
    public void Device_MalformedId_IsNull(string requestId)
    {
        var message = new DuisMessage(DuisMessageKind.Response) { RequestId = requestId };

        Assert.That(message.Device, Is.Null);
    }

    [Test]
    public void Device_EnvelopeBuiltFromFields_IsReadFromTheId()
    {
        var alert = new DuisMessage(DuisMessageKind.DeviceAlert) { ResponseId = RealResponseId, AlertCode = DuisCode.Parse("8F0F") };
        var response = new DuisMessage(DuisMessageKind.Response) { RequestId = RealRequestId };
        var bare = new DuisMessage(DuisMessageKind.DeviceAlert);

        Assert.That(alert.Device, Is.EqualTo(DeviceId.Parse("88-73-84-57-00-2F-96-1E")));
        Assert.That(response.Device, Is.EqualTo(DeviceId.Parse("88-73-84-57-00-2F-96-1E")));
        Assert.That(bare.Device, Is.Null);
    }

    [Test]
    public void Device_Read_DoesNotAllocate()
    {
        var messages = Enumerable.Range(0, 64)
            .Select(_ => DuisMessage.Parse(DuisCorpus.Utf8(DuisCorpus.DeviceAlert("8F0F"))))
            .ToArray();
        _ = messages[0].Device;

        long before = GC.GetAllocatedBytesForCurrentThread();
        ulong sum = 0;
        foreach (var message in messages)
        {
            sum += message.Device!.Value.Value;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(sum, Is.EqualTo(64UL * 0x00DB1234567890A0UL));
        Assert.That(allocated, Is.Zero);
    }

    [Test]
    [Category("Stress")]
    public void Device_ReadFromManyThreadsAtOnce_GivesOneAnswer()
    {
        for (int round = 0; round < 200; round++)
        {
            var message = DuisMessage.Parse(DuisCorpus.Utf8(DuisCorpus.DeviceAlert("8F0F")));
            var seen = new DeviceId?[4];
            Parallel.For(0, seen.Length, i => seen[i] = message.Device);

            Assert.That(seen, Is.All.EqualTo(DeviceId.Parse("00-DB-12-34-56-78-90-A0")));
        }
    }
}
