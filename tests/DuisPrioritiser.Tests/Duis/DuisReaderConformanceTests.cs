using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;
using static DuisPrioritiser.Tests.Duis.DuisCorpus;

namespace DuisPrioritiser.Tests.Duis;

/// <summary>
/// The XML 1.0 and Namespaces in XML edges the reader must get right (issue 16): legal input that must be read,
/// malformed input that must be rejected with a clear code, values as XML defines them, and the reader's limits.
/// </summary>
public class DuisReaderConformanceTests
{
    private const string XmlNs = "http://www.w3.org/XML/1998/namespace";
    private const string XmlnsNs = "http://www.w3.org/2000/xmlns/";

    private static DuisMessage Read(string xml, DuisReaderOptions? options = null)
    {
        var bytes = Utf8(xml);
        bool ok = options is null
            ? DuisMessage.TryParse(bytes, out var message, out var error)
            : DuisMessage.TryParse(bytes, options, out message, out error);
        Assert.That(ok, Is.True, () => "Expected the message to parse, got: " + error.Message + "\n" + xml);
        return message!;
    }

    private static DuisParseError Reject(string xml, DuisParseErrorCode expected, DuisReaderOptions? options = null)
    {
        var bytes = Utf8(xml);
        bool ok = options is null
            ? DuisMessage.TryParse(bytes, out var message, out var error)
            : DuisMessage.TryParse(bytes, options, out message, out error);
        Assert.Multiple(() =>
        {
            Assert.That(ok, Is.False, "expected a rejection");
            Assert.That(message, Is.Null);
            Assert.That(error.Code, Is.EqualTo(expected), error.Message);
            Assert.That(error.Message, Does.Contain("byte " + error.Offset), "the message says where");
        });
        return error;
    }

    private static string WithRequestId(string id) => Response("8.1.1", GbcsPayload(), requestId: id);

    // ----- 1. Legal input that must be read -----

    [TestCase("&#000000048;123", "0123")]
    [TestCase("&#x0000000035;0", "50")]
    [TestCase("&#0000000000000000000000000000000000000000000000000057;", "9")]
    [TestCase("&#x00000000000000000000000000000000000000000000000003A;", ":")]
    [TestCase("&#48;&#x31;&#X32;", null)]
    public void TryParse_ZeroPaddedCharacterReference_IsDecoded(string written, string? expected)
    {
        if (expected is null)
        {
            // '&#X' (capital X) is not a hexadecimal reference in XML.
            Reject(WithRequestId(written), DuisParseErrorCode.InvalidReference);
            return;
        }

        Assert.That(Read(WithRequestId(written)).RequestId, Is.EqualTo(expected));
    }

    [Test]
    public void TryParse_ZeroPaddedReferenceInNamespaceUri_MatchesTheDuisNamespace()
    {
        string xml = StatusResponse1K().Replace($"xmlns:sr=\"{DuisNs}\"", "xmlns:sr=\"http://www.dccinterface.co.uk/Service&#x000000055;serGateway\"", StringComparison.Ordinal);
        Assert.That(Read(xml).ServiceReferenceVariant.ToString(), Is.EqualTo("4.1.1"));
    }

    [TestCase("&#x110000;")]
    [TestCase("&#99999999999999999999999;")]
    [TestCase("&#x0000000000000000000000000000000000000000000000000000000000000000000000000000FFFE;")]
    public void TryParse_HugeOrIllegalPaddedReference_RejectsInvalidReference(string reference)
        => Reject(WithRequestId(reference), DuisParseErrorCode.InvalidReference);

    [Test]
    public void TryParse_ReferenceCutByTheEnd_RejectsUnexpectedEnd()
        => Reject("<sr:Response xmlns:sr=\"" + DuisNs + "\"><sr:Body>&#0000000", DuisParseErrorCode.UnexpectedEnd);

    [TestCase("Ünïcödé")]
    [TestCase("x\u00B7y")]
    [TestCase("x\u0300")]
    [TestCase("\u4E2D\u6587")]
    [TestCase("_\u203F\u2040")]
    [TestCase("\U00010000x")]
    [TestCase("a\uFDF0")]
    public void TryParse_NonAsciiNameCharacters_Accepted(string name)
    {
        string xml = StatusResponse1K().Replace("<sr:ServiceReference>", $"<sr:{name} {name}=\"1\"/><sr:ServiceReference>", StringComparison.Ordinal);
        Assert.That(Read(xml).ServiceReferenceVariant.ToString(), Is.EqualTo("4.1.1"));
    }

    [Test]
    public void TryParse_NonAsciiPrefix_Resolved()
    {
        string xml = StatusResponse1K().Replace("sr:", "é:", StringComparison.Ordinal).Replace("xmlns:sr=", "xmlns:é=", StringComparison.Ordinal);
        Assert.That(Read(xml).ResponseCode.ToString(), Is.EqualTo("I99"));
    }

    [Test]
    public void TryParse_XmlPrefixDeclaredToItsOwnNamespace_Accepted()
    {
        string xml = StatusResponse1K().Replace("<sr:Body>", $"<sr:Body xmlns:xml=\"{XmlNs}\" xml:lang=\"en\">", StringComparison.Ordinal);
        Assert.That(Read(xml).ServiceReferenceVariant.ToString(), Is.EqualTo("4.1.1"));
    }

    [Test]
    public void TryParse_SameLocalNameInTwoNamespaces_Accepted()
    {
        string xml = StatusResponse1K().Replace("<sr:Body>", "<sr:Body xmlns:a=\"urn:x\" xmlns:b=\"urn:y\" a:n=\"1\" b:n=\"2\" n=\"3\">", StringComparison.Ordinal);
        Read(xml);
    }

    [Test]
    public void TryParse_UrisDifferingByAReferencedTab_AreDifferentNamespaces()
    {
        // A character reference is not normalised to a space, a literal tab is: these are two URIs.
        string xml = StatusResponse1K().Replace("<sr:Body>", "<sr:Body xmlns:a=\"urn:x y\" xmlns:b=\"urn:x&#9;y\" a:n=\"1\" b:n=\"2\">", StringComparison.Ordinal);
        Read(xml);
    }

    // ----- 2. Malformed input that must be rejected -----

    [TestCase("<sr:x\u00A0/>", TestName = "TryParse_NoBreakSpaceAfterName_RejectsMalformed")]
    [TestCase("<sr:Service\u00D7Reference/>", TestName = "TryParse_MultiplicationSignInName_RejectsMalformed")]
    [TestCase("<sr:\u0300x/>", TestName = "TryParse_CombiningMarkStartingName_RejectsMalformed")]
    [TestCase("<sr:\u00B7x/>", TestName = "TryParse_MiddleDotStartingName_RejectsMalformed")]
    [TestCase("<\u0300:x/>", TestName = "TryParse_CombiningMarkStartingPrefix_RejectsMalformed")]
    [TestCase("<sr:x\u2000/>", TestName = "TryParse_EnQuadInName_RejectsMalformed")]
    [TestCase("<sr:x\u3000/>", TestName = "TryParse_IdeographicSpaceInName_RejectsMalformed")]
    [TestCase("<sr:x a\u00A0=\"1\"/>", TestName = "TryParse_NoBreakSpaceInAttributeName_RejectsMalformed")]
    [TestCase("<sr:x/></sr:x\u00A0>", TestName = "TryParse_NoBreakSpaceInEndTag_RejectsMalformed")]
    public void TryParse_NonNameCharacterInName_RejectsMalformed(string tag)
        => Reject(StatusResponse1K().Replace("<sr:ServiceReference>", tag + "<sr:ServiceReference>", StringComparison.Ordinal), DuisParseErrorCode.MalformedXml);

    [Test]
    public void TryParse_NoBreakSpaceAfterServiceReference_RejectsMalformed()
        => Reject(StatusResponse1K().Replace("<sr:ServiceReference>", "<sr:ServiceReference\u00A0>", StringComparison.Ordinal), DuisParseErrorCode.MalformedXml);

    [TestCase("<?p:?>")]
    [TestCase("<?p:q data?>")]
    [TestCase("<?a:b:c?>")]
    public void TryParse_ProcessingInstructionTargetWithColon_RejectsMalformed(string pi)
    {
        var error = Reject(StatusResponse1K().Replace("<sr:Body>", "<sr:Body>" + pi, StringComparison.Ordinal), DuisParseErrorCode.MalformedXml);
        Assert.That(error.Message, Does.Contain("colon"));
    }

    [TestCase("xmlns=\"" + XmlNs + "\"")]
    [TestCase("xmlns=\"" + XmlnsNs + "\"")]
    [TestCase("xmlns:p=\"" + XmlnsNs + "\"")]
    [TestCase("xmlns:p=\"" + XmlNs + "\"")]
    [TestCase("xmlns:xml=\"urn:not-xml\"")]
    [TestCase("xmlns:xml=\"" + XmlnsNs + "\"")]
    [TestCase("xmlns:xmlns=\"urn:x\"")]
    [TestCase("xmlns:xmlns=\"" + XmlnsNs + "\"")]
    [TestCase("xmlns:p=\"\"")]
    [TestCase("xmlns:p=\"http://www.w3.org/XML/1998/&#110;amespace\"")]
    public void TryParse_ReservedNamespaceBinding_RejectsInvalidNamespaceDeclaration(string declaration)
        => Reject(StatusResponse1K().Replace("<sr:Body>", $"<sr:Body {declaration}>", StringComparison.Ordinal), DuisParseErrorCode.InvalidNamespaceDeclaration);

    [TestCase("xmlns:a=\"urn:x\" xmlns:b=\"urn:x\" a:n=\"1\" b:n=\"2\"")]
    [TestCase("xmlns:a=\"urn:x\" xmlns:b=\"urn:&#x78;\" a:n=\"1\" b:n=\"2\"")]
    [TestCase("xmlns:a=\"urn:x y\" xmlns:b=\"urn:x\ty\" a:n=\"1\" b:n=\"2\"", TestName = "TryParse_UrisEqualAfterAttributeNormalisation_RejectsDuplicate")]
    [TestCase("xmlns:a=\"urn:x y\" xmlns:b=\"urn:x\r\ny\" a:n=\"1\" b:n=\"2\"", TestName = "TryParse_UrisEqualAfterCrlfNormalisation_RejectsDuplicate")]
    [TestCase("xmlns:a=\"urn:x\" xmlns:a=\"urn:y\"")]
    [TestCase("xmlns=\"urn:x\" xmlns=\"urn:x\"")]
    [TestCase("n=\"1\" n=\"2\"")]
    public void TryParse_DuplicateExpandedAttributeName_RejectsDuplicateAttribute(string attributes)
        => Reject(StatusResponse1K().Replace("<sr:Body>", $"<sr:Body {attributes}>", StringComparison.Ordinal), DuisParseErrorCode.DuplicateAttribute);

    [Test]
    public void TryParse_DuplicateExpandedNameThroughAncestorBindings_RejectsDuplicateAttribute()
    {
        string xml = StatusResponse1K()
            .Replace("<sr:Body>", "<sr:Body xmlns:a=\"urn:x\"><sr:Extra xmlns:b=\"urn:x\" b:n=\"1\" a:n=\"2\"/>", StringComparison.Ordinal);
        Reject(xml, DuisParseErrorCode.DuplicateAttribute);
    }

    [TestCase("\uFFFE", "RequestID")]
    [TestCase("\uFFFF", "RequestID")]
    [TestCase("\uFFFE", "payload")]
    [TestCase("\uFFFF", "comment")]
    [TestCase("\uFFFE", "attribute")]
    [TestCase("\uFFFF", "cdata")]
    public void TryParse_NonCharacterInText_RejectsInvalidCharacter(string character, string where)
    {
        string xml = where switch
        {
            "RequestID" => WithRequestId("90-B3" + character),
            "payload" => ReadResponse2K().Replace("<sr:GBCSPayload>", "<sr:GBCSPayload>" + character, StringComparison.Ordinal),
            "comment" => StatusResponse1K().Replace("<sr:Body>", $"<sr:Body><!-- {character} -->", StringComparison.Ordinal),
            "attribute" => StatusResponse1K().Replace("<sr:Body>", $"<sr:Body a=\"{character}\">", StringComparison.Ordinal),
            _ => StatusResponse1K().Replace("<sr:Body>", $"<sr:Body><![CDATA[{character}]]>", StringComparison.Ordinal),
        };
        var error = Reject(xml, DuisParseErrorCode.InvalidCharacter);
        Assert.That(error.Message, Does.Contain("U+FFF"));
    }

    [TestCase("\uFFFD")]
    [TestCase("\uFFEE")]
    [TestCase("\uFFBF")]
    [TestCase("\U0010FFFF")]
    public void TryParse_LegalCharactersNearTheNonCharacters_Accepted(string character)
        => Assert.That(Read(WithRequestId("x" + character + "y")).RequestId, Is.EqualTo("x" + character + "y"));

    // ----- 3. Values as XML defines them -----

    [TestCase("a\r\nb", "a\nb")]
    [TestCase("a\rb", "a\nb")]
    [TestCase("a\r\rb", "a\n\nb")]
    [TestCase("a\n\rb", "a\n\nb")]
    [TestCase("a&#13;b", "a\rb")]
    [TestCase("a&#13;\nb", "a\r\nb")]
    [TestCase("a&#xD;&#xA;b", "a\r\nb")]
    [TestCase("<![CDATA[a\r\nb]]>", "a\nb")]
    [TestCase("a<!-- c -->\r\nb", "a\nb")]
    [TestCase("\r\n  abc\r\n", "abc")]
    [TestCase("\r\n  a\r\nc\r\n", "a\nc")]
    public void TryParse_LineEndsInIds_NormalisedAsXmlDoes(string written, string expected)
    {
        var message = Read(WithRequestId(written));
        Assert.That(message.RequestId, Is.EqualTo(expected));
    }

    // The first run of a value is kept as a range and copied only when a second segment follows: every order of
    // raw text, references, CDATA and comments must still join in document order.
    [TestCase("ab<!-- c -->cd", "abcd")]
    [TestCase("ab&amp;cd", "ab&cd")]
    [TestCase("&amp;ab", "&ab")]
    [TestCase("ab&amp;", "ab&")]
    [TestCase("ab<![CDATA[cd]]>ef", "abcdef")]
    [TestCase("<![CDATA[ab]]>cd", "abcd")]
    [TestCase("a]b", "a]b")]
    [TestCase("ab<?pi x?>c&#x64;e<!---->f", "abcdef")]
    public void TryParse_IdInSeveralSegments_JoinedInDocumentOrder(string written, string expected)
        => Assert.That(Read(WithRequestId(written)).RequestId, Is.EqualTo(expected));

    [Test]
    public void TryParse_CrlfPrettyPrintedMessage_IdsMatchTheLfVersion()
    {
        string lf = Response("8.1.1", GbcsPayload(), requestId: "\n    " + RequestId + "\n  ").Replace("><", ">\n  <", StringComparison.Ordinal);
        string crlf = lf.Replace("\n", "\r\n", StringComparison.Ordinal);
        var a = Read(lf);
        var b = Read(crlf);
        Assert.Multiple(() =>
        {
            Assert.That(b.RequestId, Is.EqualTo(RequestId));
            Assert.That(b.RequestId, Is.EqualTo(a.RequestId));
            Assert.That(b.ResponseId, Is.EqualTo(a.ResponseId));
            Assert.That(b.ResponseDateTime, Is.EqualTo(a.ResponseDateTime));
        });
    }

    [TestCase("e65", "E65")]
    [TestCase("i0", "I0")]
    [TestCase("W2", "W2")]
    public void TryParse_ResponseCode_IsCaseInsensitiveAndUpperCased(string written, string expected)
        => Assert.That(Read(Response("11.2", responseCode: written)).ResponseCode.ToString(), Is.EqualTo(expected));

    [Test]
    public void TryParse_Codes_AreUpperCasedEverywhere()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Read(DeviceAlert("8f0f")).AlertCode.ToString(), Is.EqualTo("8F0F"));
            Assert.That(Read(DccAlert("ad1")).AlertCode.ToString(), Is.EqualTo("AD1"));
            Assert.That(Read(Response("1.1.1", FutureDatedPayload("8f66"))).FutureDatedOutcome.ToString(), Is.EqualTo("8F66"));
            Assert.That(Read(Smets1(alertCode: "8f35")).AlertCode.ToString(), Is.EqualTo("8F35"));
        });
    }

    // ----- 4. Stricter (or not) on purpose -----

    [TestCase("00000000001", 1)]
    [TestCase("+5", 5)]
    [TestCase("-0", 0)]
    [TestCase("+000", 0)]
    [TestCase("0004294967295", int.MaxValue)]
    [TestCase("2147483648", int.MaxValue)]
    [TestCase("12", 12)]
    public void TryParse_ThrottledAlertCount_AcceptsTheUnsignedIntLexicalSpace(string written, int expected)
        => Assert.That(Read(DccAlert("N12", "CommandFailure", throttledCount: written)).ThrottledAlertCount, Is.EqualTo(expected));

    [TestCase("-1")]
    [TestCase("4294967296")]
    [TestCase("+")]
    [TestCase("1 2")]
    [TestCase("0x10")]
    public void TryParse_ThrottledAlertCountOutsideUnsignedInt_RejectsInvalidValue(string written)
        => Reject(DccAlert("N12", "CommandFailure", throttledCount: written), DuisParseErrorCode.InvalidValue);

    [TestCase("08.1.1")]
    [TestCase("8.01.1")]
    [TestCase("8.1.1.1")]
    public void TryParse_SrvNotInTheSchemaForm_RejectsInvalidSrv(string srv)
        => Reject(Response(srv), DuisParseErrorCode.InvalidServiceReferenceVariant);

    [Test]
    public void TryParse_AlertCodeOverEightHexDigits_RejectsInvalidAlertCode()
        => Reject(DeviceAlert("8F0F8F0F8"), DuisParseErrorCode.InvalidAlertCode);

    [TestCase("2026-03-01T24:00:00Z")]
    [TestCase("12026-03-01T10:00:00Z")]
    [TestCase("-0001-03-01T10:00:00Z")]
    [TestCase("2026-03-01T10:00:00+14:01")]
    public void TryParse_ResponseDateTimeOutsideTheSupportedForm_RejectsInvalidValue(string dateTime)
        => Reject(Envelope(Header("I0", dateTime: dateTime), "<sr:ResponseMessage><sr:ServiceReferenceVariant>8.1.1</sr:ServiceReferenceVariant></sr:ResponseMessage>"), DuisParseErrorCode.InvalidValue);

    [Test]
    public void TryParse_SeventyNamespaceDeclarationsOnRoot_NeedsTheOption()
    {
        string declarations = string.Concat(Enumerable.Range(0, 70).Select(i => $" xmlns:n{i}=\"urn:n:{i}\""));
        string xml = StatusResponse1K().Replace("schemaVersion=\"5.4\"", "schemaVersion=\"5.4\"" + declarations, StringComparison.Ordinal);
        var error = Reject(xml, DuisParseErrorCode.LimitExceeded);
        Assert.That(error.Message, Does.Contain("MaxNamespaceDeclarations"));
        Read(xml, new DuisReaderOptions { MaxNamespaceDeclarations = 128 });
    }

    [Test]
    public void TryParse_NamespaceDeclarations_DoNotCountAsAttributes()
    {
        string declarations = string.Concat(Enumerable.Range(0, 40).Select(i => $" xmlns:n{i}=\"urn:n:{i}\""));
        string attributes = string.Concat(Enumerable.Range(0, DuisReaderOptions.DefaultMaxAttributesPerElement - 1).Select(i => $" a{i}=\"{i}\""));
        Read(StatusResponse1K().Replace("schemaVersion=\"5.4\"", "schemaVersion=\"5.4\"" + declarations + attributes, StringComparison.Ordinal));
    }

    [Test]
    public void TryParse_AttributeLimitOption_AppliesBothWays()
    {
        string attributes = string.Concat(Enumerable.Range(0, 40).Select(i => $" a{i}=\"{i}\""));
        string xml = StatusResponse1K().Replace("<sr:Body>", "<sr:Body" + attributes + ">", StringComparison.Ordinal);
        var error = Reject(xml, DuisParseErrorCode.LimitExceeded);
        Assert.That(error.Message, Does.Contain("MaxAttributesPerElement"));
        Read(xml, new DuisReaderOptions { MaxAttributesPerElement = 40 });
        Read(StatusResponse1K(), new DuisReaderOptions { MaxAttributesPerElement = 1 });
    }

    [Test]
    public void TryParse_DepthOption_AppliesBothWays()
    {
        string deep = string.Concat(Enumerable.Repeat("<sr:x>", 100)) + string.Concat(Enumerable.Repeat("</sr:x>", 100));
        string xml = StatusResponse1K().Replace("<sr:ServiceReference>", deep + "<sr:ServiceReference>", StringComparison.Ordinal);
        var error = Reject(xml, DuisParseErrorCode.LimitExceeded);
        Assert.That(error.Message, Does.Contain("MaxDepth"));
        Read(xml, new DuisReaderOptions { MaxDepth = 103 });
        Reject(xml, DuisParseErrorCode.LimitExceeded, new DuisReaderOptions { MaxDepth = 102 });
        string shallow = Envelope(Header("I99"), "<sr:ResponseMessage><sr:ServiceReferenceVariant>4.1.1</sr:ServiceReferenceVariant></sr:ResponseMessage>", signature: false);
        Reject(shallow, DuisParseErrorCode.LimitExceeded, new DuisReaderOptions { MaxDepth = 3 });
        Read(shallow, new DuisReaderOptions { MaxDepth = 4 });
    }

    [TestCase(nameof(DuisReaderOptions.MaxDepth), 0)]
    [TestCase(nameof(DuisReaderOptions.MaxDepth), 1025)]
    [TestCase(nameof(DuisReaderOptions.MaxAttributesPerElement), 0)]
    [TestCase(nameof(DuisReaderOptions.MaxAttributesPerElement), 1025)]
    [TestCase(nameof(DuisReaderOptions.MaxNamespaceDeclarations), -1)]
    [TestCase(nameof(DuisReaderOptions.MaxNamespaceDeclarations), 5000)]
    [TestCase(nameof(DuisReaderOptions.MaxMessageBytes), 0)]
    public void Options_OutOfRange_RejectedByTryParseAndTheScheduler(string property, int value)
    {
        var options = new DuisReaderOptions();
        typeof(DuisReaderOptions).GetProperty(property)!.SetValue(options, value);
        Assert.That(() => DuisMessage.TryParse(Utf8(StatusResponse1K()), options, out _, out _),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains(property));

        var all = new ResponsePrioritisationOptions();
        typeof(DuisReaderOptions).GetProperty(property)!.SetValue(all.Reader, value);
        Assert.That(() => new ResponseReleaseScheduler(all), Throws.ArgumentException.With.Message.Contains(property));
    }

    [Test]
    public void Scheduler_UsesTheReaderLimitsFromItsOptions()
    {
        var options = new ResponsePrioritisationOptions { Reader = { MaxDepth = 6 }, Deduplication = { Enabled = false } };
        using var scheduler = new ResponseReleaseScheduler(options);
        var deep = scheduler.TryEnqueue(Utf8(Smets1("4.1.1")));
        Assert.That(deep.Status, Is.EqualTo(IntakeStatus.RejectedInvalid));
        Assert.That(deep.Error.Code, Is.EqualTo(DuisParseErrorCode.LimitExceeded));
        Assert.That(scheduler.TryEnqueue(Utf8(StatusResponse1K())).Status, Is.EqualTo(IntakeStatus.Accepted));
    }
}
