using System.Text;
using DuisPrioritiser.Duis;
using static DuisPrioritiser.Tests.Duis.DuisCorpus;

namespace DuisPrioritiser.Tests.Duis;

/// <summary>Bad and hostile input: every case is rejected with an error saying what and where, never an exception.</summary>
public class DuisReaderHostileInputTests
{
    private static DuisParseError Reject(byte[] bytes, DuisParseErrorCode expected)
    {
        bool ok = DuisMessage.TryParse(bytes, out var message, out var error);
        Assert.Multiple(() =>
        {
            Assert.That(ok, Is.False, "expected a rejection");
            Assert.That(message, Is.Null);
            Assert.That(error.Code, Is.EqualTo(expected), error.Message);
            Assert.That(error.Message, Does.Contain("byte " + error.Offset), "the message says where");
            Assert.That(error.Offset, Is.InRange(0, bytes.Length));
            Assert.That(error.Line, Is.GreaterThanOrEqualTo(1));
            Assert.That(error.Column, Is.GreaterThanOrEqualTo(1));
        });
        return error;
    }

    private static DuisParseError Reject(string xml, DuisParseErrorCode expected) => Reject(Utf8(xml), expected);

    [Test]
    public void TryParse_Empty_RejectsEmpty()
        => Reject([], DuisParseErrorCode.Empty);

    [TestCase("   \r\n\t ")]
    [TestCase("\uFEFF")]
    [TestCase("<!-- nothing but a comment -->")]
    public void TryParse_NoRootElement_RejectsEmpty(string xml)
        => Reject(xml, DuisParseErrorCode.Empty);

    [TestCase("hello world")]
    [TestCase("{\"Response\": {}}")]
    [TestCase("Response")]
    public void TryParse_NotXml_RejectsMalformed(string text)
        => Reject(text, DuisParseErrorCode.MalformedXml);

    [TestCase("<")]
    [TestCase("<sr:Response xmlns:sr=\"http://www.dccinterface.co.uk/ServiceUserGateway\"")]
    public void TryParse_Truncated_RejectsUnexpectedEnd(string xml)
        => Reject(xml, DuisParseErrorCode.UnexpectedEnd);

    [Test]
    public void TryParse_TruncatedAtEveryOffset_AlwaysRejected()
    {
        foreach (var (name, xml) in new[] { ("status", StatusResponse1K()), ("dcc-alert", DccAlert("AD1")), ("smets1-alert", Smets1(alertCode: "8F35")), ("future", Response("1.1.1", FutureDatedPayload("8F66"))) })
        {
            var bytes = Utf8(xml);
            Assert.That(DuisMessage.TryParse(bytes, out _, out _), Is.True, name);
            for (int length = 0; length < bytes.Length; length++)
            {
                bool ok = DuisMessage.TryParse(bytes.AsMemory(0, length), out _, out var error);
                if (ok || !error.IsError)
                {
                    Assert.Fail($"{name} truncated to {length} of {bytes.Length} bytes was accepted");
                }
            }
        }
    }

    [Test]
    public void TryParse_TruncatedInsideLargePayload_RejectsUnexpectedEnd()
    {
        var bytes = Utf8(ProfileResponse200K());
        var error = Reject(bytes[..(bytes.Length / 2)], DuisParseErrorCode.UnexpectedEnd);
        Assert.That(error.Offset, Is.EqualTo(bytes.Length / 2));
    }

    [TestCase(new byte[] { 0xC3, 0x28 })] // bad continuation
    [TestCase(new byte[] { 0x80 })] // lone continuation byte
    [TestCase(new byte[] { 0xC0, 0xAF })] // overlong '/'
    [TestCase(new byte[] { 0xED, 0xA0, 0x80 })] // UTF-16 surrogate
    [TestCase(new byte[] { 0xF4, 0x90, 0x80, 0x80 })] // beyond U+10FFFF
    [TestCase(new byte[] { 0xE2, 0x82 })] // truncated sequence
    public void TryParse_InvalidUtf8InPayload_RejectsInvalidUtf8WithOffset(byte[] bad)
    {
        string xml = ReadResponse2K();
        int at = xml.IndexOf("<sr:GBCSPayload>", StringComparison.Ordinal) + "<sr:GBCSPayload>".Length + 10;
        var bytes = Utf8(xml[..at]).Concat(bad).Concat(Utf8(xml[at..])).ToArray();
        var error = Reject(bytes, DuisParseErrorCode.InvalidUtf8);
        Assert.That(error.Offset, Is.EqualTo(at));
    }

    [Test]
    public void TryParse_Utf16_RejectsUnsupportedEncoding()
    {
        Reject(Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(StatusResponse1K())).ToArray(), DuisParseErrorCode.UnsupportedEncoding);
        Reject(Encoding.BigEndianUnicode.GetBytes(StatusResponse1K()), DuisParseErrorCode.UnsupportedEncoding);
    }

    [Test]
    public void TryParse_DeclaredLatin1_RejectsUnsupportedEncoding()
        => Reject(StatusResponse1K().Replace("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"", StringComparison.Ordinal), DuisParseErrorCode.UnsupportedEncoding);

    [Test]
    public void TryParse_WrongRoot_RejectsWrongRoot()
    {
        var error = Reject($"<sr:Request xmlns:sr=\"{DuisNs}\"><sr:Header/></sr:Request>", DuisParseErrorCode.WrongRoot);
        Assert.That(error.Message, Does.Contain("sr:Request"));
        Assert.That(error.Offset, Is.Zero);
    }

    [TestCase("<sr:Response xmlns:sr=\"http://www.dccinterface.co.uk/ServiceUserGateway/v2\"><sr:Body/></sr:Response>")]
    [TestCase("<Response><Body/></Response>")]
    [TestCase("<sr:Response xmlns:sr=\"http://www.dccinterface.co.uk/ResponseAndAlert\"><sr:Body/></sr:Response>")]
    public void TryParse_WrongNamespace_RejectsWrongNamespace(string xml)
        => Reject(xml, DuisParseErrorCode.WrongNamespace);

    [Test]
    public void TryParse_TwoRoots_RejectsMultipleRoots()
        => Reject(StatusResponse1K() + StatusResponse1K()[StatusResponse1K().IndexOf("<sr:Response", StringComparison.Ordinal)..], DuisParseErrorCode.MultipleRoots);

    [Test]
    public void TryParse_TextAfterRoot_RejectsMalformed()
        => Reject(StatusResponse1K() + " trailing", DuisParseErrorCode.MalformedXml);

    [Test]
    public void TryParse_MismatchedTags_RejectsMismatchedTagAndSaysWhere()
    {
        string xml = StatusResponse1K().Replace("</sr:ResponseCode>", "</sr:ResponseCodes>", StringComparison.Ordinal);
        var error = Reject(xml, DuisParseErrorCode.MismatchedTag);
        Assert.That(error.Offset, Is.EqualTo(Encoding.UTF8.GetByteCount(xml[..xml.IndexOf("</sr:ResponseCodes>", StringComparison.Ordinal)])));
        Assert.That(error.Message, Does.Contain("sr:ResponseCode"));
    }

    [Test]
    public void TryParse_PrefixMismatchOnSameNamespace_RejectsMismatchedTag()
        => Reject($"<a:Response xmlns:a=\"{DuisNs}\" xmlns:b=\"{DuisNs}\"><a:Body></b:Body></a:Response>", DuisParseErrorCode.MismatchedTag);

    [Test]
    public void TryParse_EndTagWithoutStart_RejectsMismatchedTag()
        => Reject("</sr:Response>", DuisParseErrorCode.MismatchedTag);

    [Test]
    public void TryParse_ErrorOnLaterLine_ReportsLineAndColumn()
    {
        string xml = $"<sr:Response xmlns:sr=\"{DuisNs}\">\n  <sr:Body>\n    <sr:Bogus/>\n  </sr:Body>\n</sr:Response>";
        var error = Reject(xml, DuisParseErrorCode.UnknownMessage);
        Assert.That(error.Line, Is.EqualTo(3));
        Assert.That(error.Column, Is.EqualTo(5));
        Assert.That(error.Message, Does.Contain("line 3, column 5").And.Contain("Bogus"));
    }

    [Test]
    public void TryParse_NoBody_RejectsMissingBody()
        => Reject($"<sr:Response xmlns:sr=\"{DuisNs}\">{Header()}</sr:Response>", DuisParseErrorCode.MissingBody);

    [Test]
    public void TryParse_BodyInForeignNamespace_RejectsMissingBody()
        => Reject($"<sr:Response xmlns:sr=\"{DuisNs}\"><Body><sr:ResponseMessage/></Body></sr:Response>", DuisParseErrorCode.MissingBody);

    [TestCase("")]
    [TestCase("<x:ResponseMessage xmlns:x=\"urn:decoy\"><x:ServiceReferenceVariant>8.1.1</x:ServiceReferenceVariant></x:ResponseMessage>")]
    [TestCase("<!-- <sr:ResponseMessage/> -->")]
    [TestCase("<sr:FutureMessage/>")]
    public void TryParse_BodyWithoutKnownMessage_RejectsUnknownMessage(string body)
        => Reject(Envelope(Header(), body), DuisParseErrorCode.UnknownMessage);

    [Test]
    public void TryParse_BodyWithTwoMessages_RejectsMultipleMessages()
        => Reject(Envelope(Header(), "<sr:DeviceAlertMessage><sr:AlertCode>8F0F</sr:AlertCode></sr:DeviceAlertMessage><sr:DeviceAlertMessage><sr:AlertCode>8F35</sr:AlertCode></sr:DeviceAlertMessage>"), DuisParseErrorCode.MultipleMessages);

    [Test]
    public void TryParse_ResponseWithoutSrv_RejectsMissingSrv()
        => Reject(Envelope(Header(), "<sr:ResponseMessage><sr:ServiceReference>8.1</sr:ServiceReference><sr:GBCSPayload>AA==</sr:GBCSPayload></sr:ResponseMessage>"), DuisParseErrorCode.MissingServiceReferenceVariant);

    [TestCase("")]
    [TestCase("8")]
    [TestCase("8.1.1.1")]
    [TestCase("a.b")]
    [TestCase("8..1")]
    [TestCase("08.1")]
    [TestCase("8.1.")]
    [TestCase("8 .1")]
    [TestCase("-8.1")]
    [TestCase("99999.1")]
    public void TryParse_MalformedSrv_RejectsInvalidSrv(string srv)
    {
        var error = Reject(Response(srv), DuisParseErrorCode.InvalidServiceReferenceVariant);
        Assert.That(error.Message, Does.Contain("'" + srv.Trim() + "'").Or.Contain("''"));
    }

    [Test]
    public void TryParse_TwoSrvs_RejectsDuplicateElement()
        => Reject(Response("4.1.1", "<sr:ServiceReferenceVariant>8.1.1</sr:ServiceReferenceVariant>"), DuisParseErrorCode.DuplicateElement);

    [Test]
    public void TryParse_TwoHeaders_RejectsDuplicateElement()
        => Reject(StatusResponse1K().Replace("<sr:Body>", Header() + "<sr:Body>", StringComparison.Ordinal), DuisParseErrorCode.DuplicateElement);

    [TestCase("ZZZZ")]
    [TestCase("8F0G")]
    [TestCase("")]
    [TestCase("8F 0F")]
    [TestCase("123456789")]
    public void TryParse_NonHexAlertCode_RejectsInvalidAlertCode(string code)
        => Reject(DeviceAlert(code), DuisParseErrorCode.InvalidAlertCode);

    [Test]
    public void TryParse_DeviceAlertWithoutCode_RejectsMissingAlertCode()
        => Reject(Envelope(Header(), "<sr:DeviceAlertMessage><sr:GBCSPayload>AA==</sr:GBCSPayload></sr:DeviceAlertMessage>"), DuisParseErrorCode.MissingAlertCode);

    [Test]
    public void TryParse_DccAlertWithoutCode_RejectsMissingAlertCode()
        => Reject(Envelope(Header(), "<sr:DCCAlertMessage><sr:DCCAlert><sr:PowerOutageEvent/></sr:DCCAlert></sr:DCCAlertMessage>"), DuisParseErrorCode.MissingAlertCode);

    [TestCase("N-1")]
    [TestCase("")]
    public void TryParse_MalformedDccAlertCode_RejectsInvalidAlertCode(string code)
        => Reject(DccAlert(code), DuisParseErrorCode.InvalidAlertCode);

    [Test]
    public void TryParse_NonHexSmets1AlertCode_RejectsInvalidAlertCode()
        => Reject(Smets1(alertCode: "XYZ"), DuisParseErrorCode.InvalidAlertCode);

    [Test]
    public void TryParse_TwoDccAlertPayloads_RejectsDuplicateElement()
        => Reject(DccAlert("AD1").Replace("<sr:DCCAlert>", "<sr:DCCAlert><sr:CommandFailure/>", StringComparison.Ordinal), DuisParseErrorCode.DuplicateElement);

    [TestCase("2026-02-30T10:00:00Z")]
    [TestCase("yesterday")]
    [TestCase("2026-03-01 10:00:00Z")]
    [TestCase("2026-03-01T25:00:00Z")]
    [TestCase("2026-03-01T10:00:00+15:00")]
    [TestCase("2026-03-01T10:00:00.Z")]
    public void TryParse_MalformedResponseDateTime_RejectsInvalidValue(string value)
        => Reject(Envelope(Header(dateTime: value), "<sr:ResponseMessage><sr:ServiceReferenceVariant>4.1.1</sr:ServiceReferenceVariant></sr:ResponseMessage>"), DuisParseErrorCode.InvalidValue);

    [TestCase("abc")]
    [TestCase("-1")]
    [TestCase("4294967296")]
    public void TryParse_MalformedThrottledCount_RejectsInvalidValue(string count)
        => Reject(DccAlert("N1", "CommandFailure", count), DuisParseErrorCode.InvalidValue);

    [Test]
    public void TryParse_MalformedResponseCode_RejectsInvalidValue()
        => Reject(Response("4.1.1", responseCode: "I-0"), DuisParseErrorCode.InvalidValue);

    [Test]
    public void TryParse_FutureDatedCodeNotHex_RejectsInvalidValue()
        => Reject(Response("1.1.1", FutureDatedPayload("XX")), DuisParseErrorCode.InvalidValue);

    // ----- Hostile XML -----

    [Test]
    public void TryParse_ExternalEntity_RejectsDtdAtOnce()
    {
        string xml = "<?xml version=\"1.0\"?><!DOCTYPE sr:Response [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
            + $"<sr:Response xmlns:sr=\"{DuisNs}\"><sr:Body><sr:DCCAlertMessage><sr:DCCAlertCode>&xxe;</sr:DCCAlertCode></sr:DCCAlertMessage></sr:Body></sr:Response>";
        var error = Reject(xml, DuisParseErrorCode.DtdProhibited);
        Assert.That(error.Offset, Is.EqualTo(xml.IndexOf("<!DOCTYPE", StringComparison.Ordinal)));
    }

    [Test]
    public void TryParse_BillionLaughs_RejectsDtdAtOnce()
    {
        var dtd = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        for (int i = 1; i <= 9; i++)
        {
            string previous = i == 1 ? "lol" : "lol" + (i - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            dtd.Append("<!ENTITY lol").Append(i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(" \"")
                .Append(string.Concat(Enumerable.Repeat("&" + previous + ";", 10))).Append("\">");
        }

        dtd.Append("]><sr:Response xmlns:sr=\"" + DuisNs + "\"><sr:Body>&lol9;</sr:Body></sr:Response>");
        Reject(dtd.ToString(), DuisParseErrorCode.DtdProhibited);
    }

    [Test]
    public void TryParse_DoctypeAfterComment_RejectsDtd()
        => Reject("<!-- hi --><!DOCTYPE x><x/>", DuisParseErrorCode.DtdProhibited);

    [Test]
    public void TryParse_UndeclaredEntity_RejectsInvalidReference()
        => Reject(DeviceAlert("8F0F").Replace("<sr:GBCSPayload>", "<sr:GBCSPayload>&xxe;", StringComparison.Ordinal), DuisParseErrorCode.InvalidReference);

    [TestCase("&#0;")]
    [TestCase("&#x1;")]
    [TestCase("&#xD800;")]
    [TestCase("&#xFFFE;")]
    [TestCase("&#x110000;")]
    [TestCase("&#;")]
    [TestCase("&#x;")]
    [TestCase("&#12a;")]
    [TestCase("& ")]
    [TestCase("&amp")]
    public void TryParse_BadReferenceInSkippedText_RejectsInvalidReference(string reference)
        => Reject(DeviceAlert("8F0F").Replace("<sr:GBCSPayload>", "<sr:GBCSPayload>" + reference + "                 ", StringComparison.Ordinal), DuisParseErrorCode.InvalidReference);

    [TestCase("\u0001")]
    [TestCase("\u001F")]
    [TestCase("\u0000")]
    public void TryParse_ControlCharacterInPayload_RejectsInvalidCharacter(string control)
        => Reject(ReadResponse2K().Replace("<sr:GBCSPayload>", "<sr:GBCSPayload>AAAA" + control, StringComparison.Ordinal), DuisParseErrorCode.InvalidCharacter);

    [Test]
    public void TryParse_CdataEndInText_RejectsInvalidCharacter()
        => Reject(ReadResponse2K().Replace("<sr:GBCSPayload>", "<sr:GBCSPayload>]]>", StringComparison.Ordinal), DuisParseErrorCode.InvalidCharacter);

    [Test]
    public void TryParse_UndeclaredPrefix_RejectsUndeclaredPrefix()
        => Reject(StatusResponse1K().Replace("<sr:Body>", "<sr:Body><x:Extra/>", StringComparison.Ordinal), DuisParseErrorCode.UndeclaredPrefix);

    [Test]
    public void TryParse_UndeclaredAttributePrefix_RejectsUndeclaredPrefix()
        => Reject(StatusResponse1K().Replace("<sr:Body>", "<sr:Body x:a=\"1\">", StringComparison.Ordinal), DuisParseErrorCode.UndeclaredPrefix);

    [Test]
    public void TryParse_DuplicateAttribute_RejectsDuplicateAttribute()
        => Reject(StatusResponse1K().Replace("schemaVersion=\"5.4\"", "schemaVersion=\"5.4\" schemaVersion=\"5.1\"", StringComparison.Ordinal), DuisParseErrorCode.DuplicateAttribute);

    [TestCase("<sr:Body a=\"1\"b=\"2\">")]
    [TestCase("<sr:Body a=1>")]
    [TestCase("<sr:Body a=\"<\">")]
    [TestCase("<sr:Body a>")]
    [TestCase("<sr:Body/ >")]
    [TestCase("<sr:Body><sr:a:b/>")]
    [TestCase("<sr:Body><1a/>")]
    [TestCase("<sr:Body><!-- a -- b -->")]
    [TestCase("<sr:Body><!-x->")]
    [TestCase("<sr:Body><?xml version=\"1.0\"?>")]
    [TestCase("<sr:Body><?>")]
    public void TryParse_MalformedMarkup_RejectsMalformed(string replacement)
        => Reject(StatusResponse1K().Replace("<sr:Body>", replacement, StringComparison.Ordinal), DuisParseErrorCode.MalformedXml);

    [TestCase("<?xml version=\"2.0\"?>")]
    [TestCase("<?xml encoding=\"UTF-8\"?>")]
    [TestCase("<?xml version=\"1.0\" standalone=\"maybe\"?>")]
    [TestCase("<?xml version=\"1.0\" standalone=\"no\" encoding=\"UTF-8\"?>")]
    [TestCase(" <?xml version=\"1.0\"?>")]
    public void TryParse_BadXmlDeclaration_RejectsMalformed(string declaration)
        => Reject(declaration + StatusResponse1K()[StatusResponse1K().IndexOf("<sr:Response", StringComparison.Ordinal)..], DuisParseErrorCode.MalformedXml);

    [Test]
    public void TryParse_CdataOutsideRoot_RejectsMalformed()
        => Reject("<![CDATA[x]]>" + StatusResponse1K(), DuisParseErrorCode.MalformedXml);

    [Test]
    public void TryParse_DeepNesting_RejectsLimitExceeded()
    {
        string deep = string.Concat(Enumerable.Repeat("<sr:x>", 10_000)) + string.Concat(Enumerable.Repeat("</sr:x>", 10_000));
        Reject(StatusResponse1K().Replace("<sr:ResponseMessage>", "<sr:ResponseMessage>" + deep, StringComparison.Ordinal), DuisParseErrorCode.LimitExceeded);
    }

    [Test]
    public void TryParse_NestingJustUnderLimit_Parses()
    {
        int levels = DuisReaderOptions.DefaultMaxDepth - 3; // Response, Body and ResponseMessage already use three
        string deep = string.Concat(Enumerable.Repeat("<sr:x>", levels)) + string.Concat(Enumerable.Repeat("</sr:x>", levels));
        string xml = StatusResponse1K().Replace("<sr:ServiceReference>", deep + "<sr:ServiceReference>", StringComparison.Ordinal);
        Assert.That(DuisMessage.TryParse(Utf8(xml), out _, out var error), Is.True, error.Message);
    }

    [Test]
    public void TryParse_TooManyAttributes_RejectsLimitExceeded()
    {
        string attributes = string.Concat(Enumerable.Range(0, DuisReaderOptions.DefaultMaxAttributesPerElement + 1).Select(i => $" a{i}=\"{i}\""));
        Reject(StatusResponse1K().Replace("<sr:Body>", "<sr:Body" + attributes + ">", StringComparison.Ordinal), DuisParseErrorCode.LimitExceeded);
    }

    [Test]
    public void TryParse_TooManyNamespaceDeclarations_RejectsLimitExceeded()
    {
        string nested = string.Concat(Enumerable.Range(0, 40).Select(i => $"<sr:x xmlns:p{i}=\"urn:{i}\" xmlns:q{i}=\"urn:{i}\">")) + string.Concat(Enumerable.Repeat("</sr:x>", 40));
        Reject(StatusResponse1K().Replace("<sr:ResponseMessage>", "<sr:ResponseMessage>" + nested, StringComparison.Ordinal), DuisParseErrorCode.LimitExceeded);
    }

    [Test]
    public void TryParse_TwentyMegabyteMessage_RejectedBySizeLimitButReadableWithALargerOne()
    {
        string xml = Response("4.8.1", GbcsPayload(15 * 1024 * 1024));
        var bytes = Utf8(xml);
        Assert.That(bytes.Length, Is.GreaterThan(20_000_000));
        var error = Reject(bytes, DuisParseErrorCode.MessageTooLarge);
        Assert.That(error.Message, Does.Contain(DuisReaderOptions.DefaultMaxMessageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        var options = new DuisReaderOptions { MaxMessageBytes = 32 * 1024 * 1024 };
        Assert.That(DuisMessage.TryParse(bytes, options, out var message, out var error2), Is.True, error2.Message);
        Assert.That(message!.ServiceReferenceVariant.ToString(), Is.EqualTo("4.8.1"));
    }

    [Test]
    public void TryParse_OverConfiguredLimit_RejectsMessageTooLarge()
    {
        var options = new DuisReaderOptions { MaxMessageBytes = 512 };
        Assert.That(DuisMessage.TryParse(Utf8(StatusResponse1K()), options, out _, out var error), Is.False);
        Assert.That(error.Code, Is.EqualTo(DuisParseErrorCode.MessageTooLarge));
    }

    [Test]
    public void Parse_BadInput_ThrowsDuisFormatExceptionCarryingTheError()
    {
        var bytes = Utf8(DeviceAlert("ZZZZ"));
        Assert.That(DuisMessage.TryParse(bytes, out _, out var expected), Is.False);
        var exception = Assert.Throws<DuisFormatException>(() => DuisMessage.Parse(bytes));
        Assert.That(exception!.Error, Is.EqualTo(expected));
        Assert.That(exception.Message, Is.EqualTo(expected.Message));
        Assert.That(exception, Is.InstanceOf<FormatException>());
    }

    [Test]
    public void DuisParseError_Default_IsNoError()
    {
        var none = default(DuisParseError);
        Assert.That(none.IsError, Is.False);
        Assert.That(none.Message, Is.Empty);
        Assert.That(none.Code, Is.EqualTo(DuisParseErrorCode.None));
    }
}
