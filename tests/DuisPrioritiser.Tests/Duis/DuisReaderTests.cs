using System.Text;
using DuisPrioritiser.Duis;
using static DuisPrioritiser.Tests.Duis.DuisCorpus;

namespace DuisPrioritiser.Tests.Duis;

/// <summary>Reading well-formed DUIS messages: what is extracted, for every kind and syntax variation.</summary>
public class DuisReaderTests
{
    private static DuisMessage Read(string xml)
    {
        bool ok = DuisMessage.TryParse(Utf8(xml), out var message, out var error);
        Assert.That(ok, Is.True, () => "Expected the message to parse, got: " + error.Message + "\n" + xml);
        Assert.That(error.IsError, Is.False);
        return message!;
    }

    [Test]
    public void TryParse_StatusResponse_ExtractsHeaderAndSrv()
    {
        var bytes = Utf8(StatusResponse1K());
        Assert.That(DuisMessage.TryParse(bytes, out var message, out _), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(message!.Kind, Is.EqualTo(DuisMessageKind.Response));
            Assert.That(message.ServiceReferenceVariant, Is.EqualTo(ServiceReferenceVariant.Parse("4.1.1")));
            Assert.That(message.ResponseCode, Is.EqualTo(DuisCode.Parse("I99")));
            Assert.That(message.RequestId, Is.EqualTo(RequestId));
            Assert.That(message.ResponseId, Is.EqualTo(ResponseId));
            Assert.That(message.ResponseDateTime, Is.EqualTo(new DateTimeOffset(2026, 3, 1, 10, 15, 30, 123, TimeSpan.Zero)));
            Assert.That(message.AlertCode.IsNone, Is.True);
            Assert.That(message.IsDccScheduled, Is.False);
            Assert.That(message.IsAlert, Is.False);
            Assert.That(message.ThrottledAlertCount, Is.Null);
            Assert.That(message.DccAlertPayloadName, Is.Null);
            Assert.That(message.FutureDatedOutcome.IsNone, Is.True);
            Assert.That(message.RawMessage.ToArray(), Is.EqualTo(bytes), "raw bytes are kept untouched");
        });
    }

    [Test]
    public void TryParse_RawMessage_IsTheCallersMemoryNotACopy()
    {
        var bytes = Utf8(StatusResponse1K());
        var memory = new ReadOnlyMemory<byte>(bytes);
        var message = DuisMessage.Parse(memory);
        Assert.That(message.RawMessage.Span == memory.Span, Is.True);
    }

    [Test]
    public void TryParse_AckErrorWithoutResponseId_ResponseIdIsNull()
    {
        var message = Read(Response("11.2", responseCode: "E65", responseId: null));
        Assert.That(message.ResponseId, Is.Null);
        Assert.That(message.RequestId, Is.EqualTo(RequestId));
        Assert.That(message.ResponseCode.ToString(), Is.EqualTo("E65"));
    }

    [Test]
    public void TryParse_ResponseWithGbcsPayloadAndSignature_Parses()
    {
        var message = Read(ReadResponse2K());
        Assert.That(message.ServiceReferenceVariant.ToString(), Is.EqualTo("4.1.1"));
        Assert.That(message.ResponseCode.ToString(), Is.EqualTo("I0"));
    }

    [Test]
    public void TryParse_DspScheduledMessage_IsDccScheduled()
    {
        var message = Read(Response("4.6.1", ScheduledPayload()));
        Assert.That(message.IsDccScheduled, Is.True);
    }

    [Test]
    public void TryParse_BareDspScheduleIdInResponseMessage_IsNotScheduled()
    {
        var message = Read(Response("5.1", "<sr:DSPScheduleID>42</sr:DSPScheduleID>"));
        Assert.That(message.IsDccScheduled, Is.False);
        Assert.That(message.ServiceReferenceVariant.ToString(), Is.EqualTo("5.1"));
    }

    [Test]
    public void TryParse_NestedDspScheduledMessage_IsNotScheduled()
    {
        // Only a DSPScheduledMessage directly inside ResponseMessage counts.
        var message = Read(Response("5.2", $"<sr:DSPSchedulesRead><sr:DSPScheduledMessage><sr:GBCSPayload>{Gbcs()}</sr:GBCSPayload><sr:DSPScheduleID>1</sr:DSPScheduleID></sr:DSPScheduledMessage></sr:DSPSchedulesRead>"));
        Assert.That(message.IsDccScheduled, Is.False);
    }

    [TestCase("8F66")]
    [TestCase("8F67")]
    [TestCase(" 8f67\n")]
    public void TryParse_FutureDatedDeviceAlertMessage_ExtractsOutcome(string code)
    {
        var message = Read(Response("1.1.1", FutureDatedPayload(code)));
        Assert.That(message.FutureDatedOutcome.ToString(), Is.EqualTo(code.Trim().ToUpperInvariant()));
        Assert.That(message.ServiceReferenceVariant.ToString(), Is.EqualTo("1.1.1"));
        Assert.That(message.Kind, Is.EqualTo(DuisMessageKind.Response));
    }

    [Test]
    public void TryParse_DeviceAlert_ExtractsCodeAndNoRequestId()
    {
        var message = Read(DeviceAlert("8F0F"));
        Assert.Multiple(() =>
        {
            Assert.That(message.Kind, Is.EqualTo(DuisMessageKind.DeviceAlert));
            Assert.That(message.AlertCode.ToString(), Is.EqualTo("8F0F"));
            Assert.That(message.ServiceReferenceVariant.IsNone, Is.True);
            Assert.That(message.RequestId, Is.Null);
            Assert.That(message.ResponseId, Is.Not.Null);
            Assert.That(message.IsAlert, Is.True);
            Assert.That(message.ThrottledAlertCount, Is.Null);
        });
    }

    [TestCase("8f0f", "8F0F")]
    [TestCase("  8F3f\r\n", "8F3F")]
    [TestCase("0a", "0A")]
    public void TryParse_DeviceAlertCodeAnyCaseOrPadded_IsUpperCaseTrimmed(string raw, string expected)
        => Assert.That(Read(DeviceAlert(raw)).AlertCode.ToString(), Is.EqualTo(expected));

    [Test]
    public void TryParse_ThrottledDeviceAlert_ExtractsCount()
        => Assert.That(Read(DeviceAlert("8F35", 12)).ThrottledAlertCount, Is.EqualTo(12));

    [Test]
    public void TryParse_ThrottledCountBeyondInt_Saturates()
        => Assert.That(Read(DccAlert("N12", "CommandFailure", "4294967295")).ThrottledAlertCount, Is.EqualTo(int.MaxValue));

    [TestCase("AD1", "PowerOutageEvent")]
    [TestCase("N24", "UpdateHANDeviceLogResult")]
    [TestCase("N999", "DUISVersionMismatch")]
    [TestCase("N66", "ECoSAlert")]
    public void TryParse_DccAlert_ExtractsCodeAndPayloadName(string code, string payload)
    {
        var message = Read(DccAlert(code, payload));
        Assert.Multiple(() =>
        {
            Assert.That(message.Kind, Is.EqualTo(DuisMessageKind.DccAlert));
            Assert.That(message.AlertCode.ToString(), Is.EqualTo(code));
            Assert.That(message.DccAlertPayloadName, Is.EqualTo(payload));
            Assert.That(message.DccAlertPayloadName, Is.SameAs(DccAlertPayloadNames.Find(Encoding.ASCII.GetBytes(payload))), "known names are shared strings");
            Assert.That(message.IsAlert, Is.True);
        });
    }

    [Test]
    public void TryParse_DccAlertWithUnknownPayload_KeepsItsLocalName()
        => Assert.That(Read(DccAlert("N70", "SomethingNew")).DccAlertPayloadName, Is.EqualTo("SomethingNew"));

    [Test]
    public void TryParse_DccAlertPayloadInForeignNamespace_IsIgnored()
    {
        string xml = DccAlert("N12", "CommandFailure").Replace("<sr:DCCAlert>", "<sr:DCCAlert><x:PowerOutageEvent xmlns:x=\"urn:decoy\"/>", StringComparison.Ordinal);
        Assert.That(Read(xml).DccAlertPayloadName, Is.EqualTo("CommandFailure"));
    }

    [Test]
    public void TryParse_Smets1ResponseWithSrv_IsAResponse()
    {
        var message = Read(Smets1("4.1.1"));
        Assert.That(message.Kind, Is.EqualTo(DuisMessageKind.Smets1Response));
        Assert.That(message.ServiceReferenceVariant.ToString(), Is.EqualTo("4.1.1"));
        Assert.That(message.IsDccScheduled, Is.False);
        Assert.That(message.IsAlert, Is.False);
    }

    [Test]
    public void TryParse_Smets1WithDspScheduleId_IsDccScheduled()
        => Assert.That(Read(Smets1("4.6.1", scheduleId: "99")).IsDccScheduled, Is.True);

    [Test]
    public void TryParse_Smets1WithoutSrvWithNestedAlert_ExtractsAlertCode()
    {
        var message = Read(Smets1(alertCode: " 8f35 "));
        Assert.That(message.ServiceReferenceVariant.IsNone, Is.True);
        Assert.That(message.AlertCode.ToString(), Is.EqualTo("8F35"));
        Assert.That(message.IsAlert, Is.True);
    }

    [Test]
    public void TryParse_Smets1WithSrvAndNestedAlert_AlertCodeNotUsed()
    {
        var message = Read(Smets1("4.1.1", alertCode: "8F35"));
        Assert.That(message.AlertCode.IsNone, Is.True);
        Assert.That(message.IsAlert, Is.False);
    }

    [Test]
    public void TryParse_Smets1NestedAlertCodeInWrongNamespace_IsIgnored()
    {
        string xml = Smets1(alertCode: "8F35").Replace("ra:GBCSHexAlertCode", "sr:GBCSHexAlertCode", StringComparison.Ordinal);
        Assert.That(Read(xml).AlertCode.IsNone, Is.True);
    }

    [Test]
    public void TryParse_Smets1Bare_NoSrvNoAlert()
    {
        var message = Read(Smets1());
        Assert.That(message.ServiceReferenceVariant.IsNone, Is.True);
        Assert.That(message.AlertCode.IsNone, Is.True);
        Assert.That(message.IsAlert, Is.False);
    }

    // ----- Syntax variations -----

    [Test]
    public void TryParse_DefaultNamespace_Parses()
    {
        string xml = $"<Response xmlns=\"{DuisNs}\" schemaVersion=\"5.4\"><Header><ResponseCode>I0</ResponseCode><ResponseDateTime>{ResponseDateTimeText}</ResponseDateTime></Header>"
            + "<Body><ResponseMessage><ServiceReference>8.1</ServiceReference><ServiceReferenceVariant>8.1.1</ServiceReferenceVariant></ResponseMessage></Body></Response>";
        Assert.That(Read(xml).ServiceReferenceVariant.ToString(), Is.EqualTo("8.1.1"));
    }

    [Test]
    public void TryParse_OtherPrefix_Parses()
    {
        string xml = StatusResponse1K().Replace("sr:", "duis:", StringComparison.Ordinal).Replace("xmlns:sr=", "xmlns:duis=", StringComparison.Ordinal);
        Assert.That(Read(xml).ServiceReferenceVariant.ToString(), Is.EqualTo("4.1.1"));
    }

    [Test]
    public void TryParse_PrefixDeclaredOnInnerElement_Parses()
    {
        string xml = $"<a:Response xmlns:a=\"{DuisNs}\"><a:Header><a:ResponseCode>I0</a:ResponseCode></a:Header>"
            + $"<b:Body xmlns:b=\"{DuisNs}\"><b:DeviceAlertMessage><b:AlertCode>8F35</b:AlertCode><b:GBCSPayload>AA==</b:GBCSPayload></b:DeviceAlertMessage></b:Body></a:Response>";
        var message = Read(xml);
        Assert.That(message.AlertCode.ToString(), Is.EqualTo("8F35"));
        Assert.That(message.ResponseDateTime, Is.Null);
        Assert.That(message.RequestId, Is.Null);
    }

    [Test]
    public void TryParse_CommentsAndProcessingInstructionsEverywhere_Parses()
    {
        string xml = "<?xml version='1.0'?><!-- prolog --><?app hint?>\n"
            + $"<sr:Response xmlns:sr=\"{DuisNs}\"><!-- c --><?pi x?><sr:Header><sr:ResponseCode><!--a-->I0<?p?></sr:ResponseCode></sr:Header>"
            + "<sr:Body><!-- b --><sr:ResponseMessage><sr:ServiceReferenceVariant> 7.<!-- split -->1 </sr:ServiceReferenceVariant></sr:ResponseMessage></sr:Body></sr:Response>"
            + "<!-- epilog --><?done?>\n";
        var message = Read(xml);
        Assert.That(message.ServiceReferenceVariant.ToString(), Is.EqualTo("7.1"));
        Assert.That(message.ResponseCode.ToString(), Is.EqualTo("I0"));
    }

    [Test]
    public void TryParse_CdataValues_Parses()
    {
        string xml = StatusResponse1K().Replace("<sr:ServiceReferenceVariant>4.1.1<", "<sr:ServiceReferenceVariant><![CDATA[ 4.1.1 ]]><", StringComparison.Ordinal);
        Assert.That(Read(xml).ServiceReferenceVariant.ToString(), Is.EqualTo("4.1.1"));
    }

    [Test]
    public void TryParse_ByteOrderMark_Parses()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Utf8(DeviceAlert("8F0F"))).ToArray();
        Assert.That(DuisMessage.TryParse(bytes, out var message, out var error), Is.True, error.Message);
        Assert.That(message!.AlertCode.ToString(), Is.EqualTo("8F0F"));
    }

    [Test]
    public void TryParse_CrLfPrettyPrinted_Parses()
    {
        string xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"
            + $"<sr:Response\r\n    xmlns:sr=\"{DuisNs}\"\r\n    schemaVersion=\"5.4\">\r\n  <sr:Header>\r\n    <sr:RequestID>\r\n      {RequestId}\r\n    </sr:RequestID>\r\n"
            + "    <sr:ResponseCode>\r\n      I0\r\n    </sr:ResponseCode>\r\n    <sr:ResponseDateTime>2026-03-01T10:15:30+01:00</sr:ResponseDateTime>\r\n  </sr:Header>\r\n"
            + "  <sr:Body>\r\n    <sr:ResponseMessage>\r\n      <sr:ServiceReference>6.15</sr:ServiceReference>\r\n      <sr:ServiceReferenceVariant>\r\n        6.15.1\r\n      </sr:ServiceReferenceVariant>\r\n"
            + "    </sr:ResponseMessage >\r\n  </sr:Body >\r\n</sr:Response>\r\n";
        var message = Read(xml);
        Assert.That(message.ServiceReferenceVariant.ToString(), Is.EqualTo("6.15.1"));
        Assert.That(message.RequestId, Is.EqualTo(RequestId));
        Assert.That(message.ResponseDateTime, Is.EqualTo(new DateTimeOffset(2026, 3, 1, 10, 15, 30, TimeSpan.FromHours(1))));
    }

    [Test]
    public void TryParse_CharacterAndEntityReferences_AreDecoded()
    {
        string xml = StatusResponse1K()
            .Replace(">4.1.1<", ">4&#46;1&#x2e;1<", StringComparison.Ordinal)
            .Replace(RequestId + "<", "A&amp;B&lt;&gt;&quot;&apos;&#x263A;<", StringComparison.Ordinal);
        var message = Read(xml);
        Assert.That(message.ServiceReferenceVariant.ToString(), Is.EqualTo("4.1.1"));
        Assert.That(message.RequestId, Is.EqualTo("A&B<>\"'\u263A"));
    }

    [Test]
    public void TryParse_SingleQuotesAndSpacedAttributes_Parses()
    {
        string xml = $"<sr:Response xmlns:sr = '{DuisNs}'   schemaVersion = \"5.4\" ><sr:Body ><sr:DCCAlertMessage><sr:DCCAlertCode>N1</sr:DCCAlertCode><sr:DCCAlert><sr:CommandFailure/></sr:DCCAlert></sr:DCCAlertMessage></sr:Body></sr:Response >";
        var message = Read(xml);
        Assert.That(message.AlertCode.ToString(), Is.EqualTo("N1"));
        Assert.That(message.DccAlertPayloadName, Is.EqualTo("CommandFailure"));
    }

    [Test]
    public void TryParse_NamespaceUriWrittenWithReferences_IsResolved()
    {
        string xml = StatusResponse1K().Replace($"xmlns:sr=\"{DuisNs}\"", "xmlns:sr=\"http://www.dccinterface.co.uk/Service&#85;serGateway\"", StringComparison.Ordinal);
        Assert.That(Read(xml).ServiceReferenceVariant.ToString(), Is.EqualTo("4.1.1"));
    }

    [Test]
    public void TryParse_NonAsciiText_Parses()
    {
        string xml = Smets1(alertCode: "8F35").Replace("test alert", "Störung – Zähler ☃", StringComparison.Ordinal);
        Assert.That(Read(xml).AlertCode.ToString(), Is.EqualTo("8F35"));
    }

    // ----- Decoys -----

    [Test]
    public void TryParse_SrvInCommentBeforeRealOne_CommentIgnored()
    {
        string xml = StatusResponse1K().Replace("<sr:ResponseMessage>", "<sr:ResponseMessage><!--<sr:ServiceReferenceVariant>8.1.1</sr:ServiceReferenceVariant>-->", StringComparison.Ordinal);
        Assert.That(Read(xml).ServiceReferenceVariant.ToString(), Is.EqualTo("4.1.1"));
    }

    [Test]
    public void TryParse_SrvInForeignNamespaceElement_Ignored()
    {
        string xml = StatusResponse1K().Replace("<sr:ResponseMessage>", "<sr:ResponseMessage><x:ServiceReferenceVariant xmlns:x=\"urn:decoy\">8.1.1</x:ServiceReferenceVariant>", StringComparison.Ordinal);
        Assert.That(Read(xml).ServiceReferenceVariant.ToString(), Is.EqualTo("4.1.1"));
    }

    [Test]
    public void TryParse_SrPrefixReboundToForeignNamespace_Ignored()
    {
        string xml = StatusResponse1K().Replace("<sr:ResponseMessage>", "<sr:ResponseMessage><sr:ServiceReferenceVariant xmlns:sr=\"urn:decoy\">8.1.1</sr:ServiceReferenceVariant>", StringComparison.Ordinal);
        Assert.That(Read(xml).ServiceReferenceVariant.ToString(), Is.EqualTo("4.1.1"));
    }

    [Test]
    public void TryParse_ElementsInsideCdataPayload_Ignored()
    {
        string xml = DeviceAlert("8F35").Replace("<sr:GBCSPayload>", "<sr:GBCSPayload><![CDATA[<sr:AlertCode>8F0F</sr:AlertCode>]]>", StringComparison.Ordinal);
        Assert.That(Read(xml).AlertCode.ToString(), Is.EqualTo("8F35"));
    }

    [Test]
    public void TryParse_ForeignDspScheduledMessage_NotScheduled()
    {
        string xml = Response("4.6.1", "<x:DSPScheduledMessage xmlns:x=\"urn:decoy\"/>");
        Assert.That(Read(xml).IsDccScheduled, Is.False);
    }

    [Test]
    public void TryParse_ForeignElementInsideValue_ItsTextDoesNotCount()
    {
        string xml = DeviceAlert("8F35").Replace("<sr:AlertCode>8F35", "<sr:AlertCode><x:c xmlns:x=\"urn:decoy\">0000</x:c>8F35", StringComparison.Ordinal);
        Assert.That(Read(xml).AlertCode.ToString(), Is.EqualTo("8F35"));
    }

    [Test]
    public void TryParse_UnknownDuisElementsOutsideBody_Ignored()
    {
        string xml = StatusResponse1K().Replace("<sr:Body>", "<sr:Extra><sr:ServiceReferenceVariant>8.1.1</sr:ServiceReferenceVariant></sr:Extra><sr:Body>", StringComparison.Ordinal);
        Assert.That(Read(xml).ServiceReferenceVariant.ToString(), Is.EqualTo("4.1.1"));
    }

    [Test]
    public void TryParse_ForeignElementInBodyBesideMessage_Ignored()
    {
        string xml = StatusResponse1K().Replace("<sr:Body>", "<sr:Body><x:DeviceAlertMessage xmlns:x=\"urn:decoy\"/>", StringComparison.Ordinal);
        Assert.That(Read(xml).Kind, Is.EqualTo(DuisMessageKind.Response));
    }

    // ----- Ids and allocation -----

    [Test]
    public void TryParse_IdsWithReferences_FallBackToDecodedStrings()
    {
        string xml = StatusResponse1K().Replace(ResponseId, "ab&#x2D;cd<!--x-->ef", StringComparison.Ordinal);
        Assert.That(Read(xml).ResponseId, Is.EqualTo("ab-cdef"));
    }

    [Test]
    public void TryParse_SuccessPath_AllocatesOnlyTheEnvelope()
    {
        var messages = new[] { StatusResponse1K(), ReadResponse2K(), DeviceAlert("8F0F", 3), DccAlert("AD1"), Response("4.6.1", ScheduledPayload()), Smets1(alertCode: "8F35") }
            .Select(x => new ReadOnlyMemory<byte>(Utf8(x))).ToArray();
        foreach (var m in messages)
        {
            _ = DuisMessage.TryParse(m, out _, out _); // warm up (JIT, statics)
        }

        long envelopeBefore = GC.GetAllocatedBytesForCurrentThread();
        GC.KeepAlive(new DuisMessage(DuisMessageKind.Response));
        long envelope = GC.GetAllocatedBytesForCurrentThread() - envelopeBefore;

        foreach (var m in messages)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            bool ok = DuisMessage.TryParse(m, out var message, out _);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.That(ok, Is.True);
            Assert.That(allocated, Is.EqualTo(envelope), $"{message!.Kind} allocated {allocated} bytes; the envelope alone is {envelope}");
        }
    }

    [Test]
    public void TryParse_ReadFirmwareShapeWithSignatureCharacterReference_Parses()
    {
        // The DCC's real messages put '&#13;' inside SignatureValue and declare the dsig namespace twice.
        string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>"
            + $"<sr:Response xmlns:sr=\"{DuisNs}\" xmlns:ns3=\"{DsNs}\" xmlns:ra=\"{RaNs}\" schemaVersion=\"5.1\">"
            + Header("I0") + "<sr:Body><sr:ResponseMessage><sr:ServiceReference>11.2</sr:ServiceReference><sr:ServiceReferenceVariant>11.2</sr:ServiceReferenceVariant>"
            + GbcsPayload(80) + "</sr:ResponseMessage></sr:Body>" + Signature + "</sr:Response>";
        Assert.That(Read(xml).ServiceReferenceVariant.ToString(), Is.EqualTo("11.2"));
    }

    [Test]
    public void TryParse_EveryCorpusMessage_Parses()
    {
        foreach (var (name, xml) in ValidMessages())
        {
            Assert.That(DuisMessage.TryParse(Utf8(xml), out _, out var error), Is.True, name + ": " + error.Message);
        }
    }

    [Test]
    public void TryParse_LargeMessageUnderLimit_Parses()
    {
        var message = Read(ProfileResponse200K());
        Assert.That(message.ServiceReferenceVariant.ToString(), Is.EqualTo("4.8.1"));
    }

    [Test]
    public void Parse_ValidMessage_ReturnsEnvelope()
        => Assert.That(DuisMessage.Parse(Utf8(DeviceAlert("8F0F"))).AlertCode.ToString(), Is.EqualTo("8F0F"));

    [Test]
    public void TryParse_NullOptions_Throws()
        => Assert.That(() => DuisMessage.TryParse(Utf8(StatusResponse1K()), null!, out _, out _), Throws.ArgumentNullException);
}
