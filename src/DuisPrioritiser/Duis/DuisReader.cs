using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace DuisPrioritiser.Duis;

/// <summary>
/// Reads a DUIS <c>Response</c> from UTF-8 bytes into a <see cref="DuisMessage"/>, allocating nothing but the
/// envelope on success.
/// </summary>
/// <remarks>
/// <para>This is a minimal, well-formedness-checking, namespace-aware XML tokenizer over bytes: the whole input is
/// checked (UTF-8, tag nesting, one root, attribute syntax, references, characters, namespace prefixes), and the
/// DUIS fields are picked out by namespace URI and local name as the tokens go by. Text that is not extracted (GBCS
/// payloads, signatures) is skipped with a vectorised search for the next markup byte.</para>
/// <para>Work is linear in the input and memory is fixed: every structure lives on the stack with a hard bound
/// (<see cref="MaxDepth"/>, <see cref="MaxAttributes"/>, <see cref="MaxNamespaceBindings"/>). DTDs are refused as
/// soon as <c>&lt;!DOCTYPE</c> is seen, so no entity is expanded and nothing external is resolved.</para>
/// <para>It is not a schema validator and does not check the XML signature.</para>
/// </remarks>
internal static class DuisReader
{
    /// <summary>The deepest element nesting accepted.</summary>
    public const int MaxDepth = 64;

    /// <summary>The most attributes (namespace declarations included) on one element.</summary>
    public const int MaxAttributes = 32;

    /// <summary>The most namespace declarations in scope at once.</summary>
    public const int MaxNamespaceBindings = 64;

    /// <summary>The most bytes of an extracted value kept when it has to be decoded (references, CDATA, comments inside).</summary>
    public const int CaptureCapacity = 256;

    private const int UriScratchCapacity = 128;

    private static readonly SearchValues<byte> s_textStops = SearchValues.Create(WithControls("<&]"u8));
    private static readonly SearchValues<byte> s_doubleQuotedStops = SearchValues.Create(WithControls("\"<&"u8));
    private static readonly SearchValues<byte> s_singleQuotedStops = SearchValues.Create(WithControls("'<&"u8));
    private static readonly SearchValues<byte> s_controls = SearchValues.Create(WithControls(default));

    /// <summary>Reads <paramref name="xml"/>; never throws for any input.</summary>
    public static bool TryRead(ReadOnlyMemory<byte> xml, int maxMessageBytes, [NotNullWhen(true)] out DuisMessage? message, out DuisParseError error)
    {
        message = null;
        var span = xml.Span;
        if (span.Length > maxMessageBytes)
        {
            error = CreateError(span, DuisParseErrorCode.MessageTooLarge, 0,
                $"The message is {span.Length.ToString(CultureInfo.InvariantCulture)} bytes, over the limit of {maxMessageBytes.ToString(CultureInfo.InvariantCulture)} bytes (DuisReaderOptions.MaxMessageBytes).");
            return false;
        }

        Span<Frame> frames = stackalloc Frame[MaxDepth];
        Span<NamespaceBinding> bindings = stackalloc NamespaceBinding[MaxNamespaceBindings];
        Span<Range> attributes = stackalloc Range[MaxAttributes];
        Span<byte> capture = stackalloc byte[CaptureCapacity];
        Span<byte> uriScratch = stackalloc byte[UriScratchCapacity];
        var parser = new Parser(span, frames, bindings, attributes, capture, uriScratch);
        if (!parser.Run())
        {
            error = CreateError(span, parser.ErrorCode, parser.ErrorOffset, parser.ErrorDetail ?? "The message is not valid.");
            return false;
        }

        message = parser.CreateMessage(xml);
        error = default;
        return true;
    }

    private static DuisParseError CreateError(ReadOnlySpan<byte> input, DuisParseErrorCode code, int offset, string detail)
    {
        offset = Math.Clamp(offset, 0, input.Length);
        var before = input[..offset];
        int line = before.Count((byte)'\n') + 1;
        int column = offset - (before.LastIndexOf((byte)'\n') + 1) + 1;
        string message = string.Create(
            CultureInfo.InvariantCulture,
            $"{detail} (byte {offset}, line {line}, column {column}).");
        return new DuisParseError(code, offset, line, column, message);
    }

    private static byte[] WithControls(ReadOnlySpan<byte> extra)
    {
        // Bytes XML 1.0 never allows in text: C0 controls other than tab, line feed and carriage return.
        var list = new List<byte>(extra.ToArray());
        for (byte b = 0; b < 0x20; b++)
        {
            if (b is not ((byte)'\t' or (byte)'\n' or (byte)'\r'))
            {
                list.Add(b);
            }
        }

        return [.. list];
    }

    private enum Ns : byte
    {
        None,
        Duis,
        ResponseAndAlert,
        Other,
    }

    private enum Ctx : byte
    {
        Ignored,
        Root,
        Header,
        Body,
        RequestId,
        ResponseId,
        ResponseCode,
        ResponseDateTime,
        ResponseMessage,
        DeviceAlertMessage,
        DccAlertMessage,
        Smets1Message,
        Srv,
        FutureDated,
        FutureDatedCode,
        AlertCode,
        DccAlertCode,
        ThrottledCount,
        DccAlert,
        Smets1Signed,
        Smets1Response,
        Smets1Body,
        Smets1DeviceAlert,
        Smets1AlertContent,
        Smets1HexCode,
    }

    [Flags]
    private enum Seen : uint
    {
        None = 0,
        Header = 1 << 0,
        Body = 1 << 1,
        RequestId = 1 << 2,
        ResponseId = 1 << 3,
        ResponseCode = 1 << 4,
        ResponseDateTime = 1 << 5,
        Message = 1 << 6,
        Srv = 1 << 7,
        FutureDated = 1 << 8,
        FutureDatedCode = 1 << 9,
        AlertCode = 1 << 10,
        DccAlertCode = 1 << 11,
        ThrottledCount = 1 << 12,
        DccAlert = 1 << 13,
        DccAlertPayload = 1 << 14,
        Smets1HexCode = 1 << 15,
        DspScheduled = 1 << 16,
    }

    private struct Frame
    {
        public int NameStart;
        public int NameLength;
        public int BindingMark;
        public Ctx Context;
    }

    private struct NamespaceBinding
    {
        public int PrefixStart;
        public int PrefixLength;
        public Ns Uri;
    }

    private ref struct Parser
    {
        private readonly ReadOnlySpan<byte> _buf;
        private readonly Span<Frame> _frames;
        private readonly Span<NamespaceBinding> _bindings;
        private readonly Span<Range> _attributes;
        private readonly Span<byte> _capture;
        private readonly Span<byte> _uriScratch;

        private int _depth;
        private int _bindingCount;
        private bool _rootSeen;
        private bool _rootClosed;
        private Seen _seen;

        // The value being captured for the innermost extracted element.
        private int _captureLength;
        private int _captureSegments;
        private bool _captureRawOnly;
        private bool _captureOverflow;
        private int _rawStart;
        private int _rawLength;

        // Results.
        private DuisMessageKind _kind;
        private ServiceReferenceVariant _srv;
        private DuisCode _responseCode;
        private DuisCode _alertCode;
        private DuisCode _smets1AlertCode;
        private DuisCode _futureDatedOutcome;
        private int _throttledCount;
        private DateTimeOffset _responseDateTime;
        private bool _dccScheduled;
        private string? _payloadName;
        private int _payloadStart;
        private int _payloadLength;
        private int _requestIdStart;
        private int _requestIdLength;
        private string? _requestIdText;
        private int _responseIdStart;
        private int _responseIdLength;
        private string? _responseIdText;

        public Parser(ReadOnlySpan<byte> buf, Span<Frame> frames, Span<NamespaceBinding> bindings, Span<Range> attributes, Span<byte> capture, Span<byte> uriScratch)
        {
            _buf = buf;
            _frames = frames;
            _bindings = bindings;
            _attributes = attributes;
            _capture = capture;
            _uriScratch = uriScratch;
            _requestIdStart = -1;
            _responseIdStart = -1;
            _payloadStart = -1;
        }

        public DuisParseErrorCode ErrorCode { get; private set; }

        public int ErrorOffset { get; private set; }

        public string? ErrorDetail { get; private set; }

        public readonly DuisMessage CreateMessage(ReadOnlyMemory<byte> xml)
        {
            bool smets1Alert = _kind == DuisMessageKind.Smets1Response && _srv.IsNone;
            var message = new DuisMessage(_kind, xml)
            {
                ServiceReferenceVariant = _srv,
                ResponseCode = _responseCode,
                AlertCode = smets1Alert ? _smets1AlertCode : _alertCode,
                FutureDatedOutcome = _futureDatedOutcome,
                IsDccScheduled = _dccScheduled,
                ThrottledAlertCount = (_seen & Seen.ThrottledCount) != 0 ? _throttledCount : null,
                ResponseDateTime = (_seen & Seen.ResponseDateTime) != 0 ? _responseDateTime : null,
                DccAlertPayloadName = _payloadName
                    ?? (_payloadStart >= 0 ? Encoding.UTF8.GetString(_buf.Slice(_payloadStart, _payloadLength)) : null),
                RequestId = _requestIdText,
                ResponseId = _responseIdText,
            };

            if (_requestIdStart >= 0)
            {
                message.SetRequestIdRange(_requestIdStart, _requestIdLength);
            }

            if (_responseIdStart >= 0)
            {
                message.SetResponseIdRange(_responseIdStart, _responseIdLength);
            }

            return message;
        }

        public bool Run()
        {
            var buf = _buf;
            if (buf.IsEmpty)
            {
                return Fail(DuisParseErrorCode.Empty, 0, "The message is empty");
            }

            if (buf.Length >= 2 && ((buf[0] == 0xFE && buf[1] == 0xFF) || (buf[0] == 0xFF && buf[1] == 0xFE) || buf[0] == 0 || buf[1] == 0))
            {
                return Fail(DuisParseErrorCode.UnsupportedEncoding, 0, "The message looks UTF-16 (or has a NUL byte at its start): DUIS messages must be UTF-8");
            }

            if (!Utf8.IsValid(buf))
            {
                return Fail(DuisParseErrorCode.InvalidUtf8, FindInvalidUtf8(buf), "The message is not valid UTF-8");
            }

            int p = 0;
            if (buf.StartsWith("\uFEFF"u8))
            {
                p = 3;
            }

            if (buf[p..].StartsWith("<?xml"u8) && p + 5 < buf.Length && IsWhitespace(buf[p + 5]))
            {
                if (!ParseXmlDeclaration(ref p))
                {
                    return false;
                }
            }

            while (true)
            {
                if (_depth == 0)
                {
                    p = SkipWhitespace(p);
                    if (p >= buf.Length)
                    {
                        break;
                    }

                    if (buf[p] != (byte)'<')
                    {
                        return Fail(DuisParseErrorCode.MalformedXml, p, _rootSeen ? "Text after the root element" : "Text before the root element: expected '<'");
                    }
                }
                else if (p < buf.Length && buf[p] == (byte)'<')
                {
                    // Markup follows markup directly (the common case between tags): no text to scan.
                }
                else
                {
                    int rel = buf[p..].IndexOfAny(s_textStops);
                    if (rel < 0)
                    {
                        return Fail(DuisParseErrorCode.UnexpectedEnd, buf.Length, "The message ends inside an element (truncated?)");
                    }

                    if (rel > 0 && IsCapturing)
                    {
                        AppendRaw(p, rel);
                    }

                    p += rel;
                    byte stop = buf[p];
                    if (stop == (byte)'&')
                    {
                        if (!ParseReference(ref p, IsCapturing, default, out _))
                        {
                            return false;
                        }

                        continue;
                    }

                    if (stop == (byte)']')
                    {
                        if (buf[p..].StartsWith("]]>"u8))
                        {
                            return Fail(DuisParseErrorCode.InvalidCharacter, p, "']]>' is not allowed in text");
                        }

                        if (IsCapturing)
                        {
                            AppendRaw(p, 1);
                        }

                        p++;
                        continue;
                    }

                    if (stop != (byte)'<')
                    {
                        return Fail(DuisParseErrorCode.InvalidCharacter, p, "A control character that XML does not allow");
                    }
                }

                // At '<'.
                if (p + 1 >= buf.Length)
                {
                    return Fail(DuisParseErrorCode.UnexpectedEnd, buf.Length, "The message ends inside markup (truncated?)");
                }

                byte next = buf[p + 1];
                bool ok = next switch
                {
                    (byte)'/' => ParseEndTag(ref p),
                    (byte)'?' => ParseProcessingInstruction(ref p),
                    (byte)'!' => ParseBang(ref p),
                    _ => ParseStartTag(ref p),
                };

                if (!ok)
                {
                    return false;
                }
            }

            if (!_rootSeen)
            {
                return Fail(DuisParseErrorCode.Empty, buf.Length, "The message has no root element");
            }

            return true;
        }

        private readonly bool IsCapturing => _depth > 0 && IsCaptureContext(_frames[_depth - 1].Context);

        private const uint CaptureContexts = (1u << (int)Ctx.RequestId) | (1u << (int)Ctx.ResponseId) | (1u << (int)Ctx.ResponseCode)
            | (1u << (int)Ctx.ResponseDateTime) | (1u << (int)Ctx.Srv) | (1u << (int)Ctx.FutureDatedCode) | (1u << (int)Ctx.AlertCode)
            | (1u << (int)Ctx.DccAlertCode) | (1u << (int)Ctx.ThrottledCount) | (1u << (int)Ctx.Smets1HexCode);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static bool IsCaptureContext(Ctx ctx) => ((CaptureContexts >> (int)ctx) & 1) != 0;

        private bool Fail(DuisParseErrorCode code, int offset, string detail)
        {
            ErrorCode = code;
            ErrorOffset = offset;
            ErrorDetail = detail;
            return false;
        }

        private static int FindInvalidUtf8(ReadOnlySpan<byte> buf)
        {
            int offset = 0;
            while (offset < buf.Length)
            {
                if (Rune.DecodeFromUtf8(buf[offset..], out _, out int consumed) != OperationStatus.Done)
                {
                    return offset;
                }

                offset += consumed;
            }

            return offset;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r';

        private readonly int SkipWhitespace(int p)
        {
            while (p < _buf.Length && IsWhitespace(_buf[p]))
            {
                p++;
            }

            return p;
        }

        // ----- Names -----

        /// <summary>Per byte: 1 when it may continue a name (ASCII NameChar minus ':', or any non-ASCII byte, UTF-8
        /// being validated up front), 2 when it may also start one.</summary>
        private static ReadOnlySpan<byte> NameClass =>
        [
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
            0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 3,
            0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 0,
            3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
            3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
            3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
            3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
        ];

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static bool IsNameStart(byte b) => (NameClass[b] & 2) != 0;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static bool IsNameChar(byte b) => (NameClass[b] & 1) != 0;

        /// <summary>Scans a name that may hold one colon (a QName); returns its end and the colon position (or -1).</summary>
        /// <remarks>Names are short, so a scalar loop beats the call and setup of a vectorised search. The name bytes are
        /// ASCII NameChar minus ':' (the QName separator) plus every non-ASCII byte (UTF-8 is validated up front).</remarks>
        private readonly int ScanQName(int p, out int colon)
        {
            colon = -1;
            var buf = _buf;
            if ((uint)p >= (uint)buf.Length || !IsNameStart(buf[p]))
            {
                return p;
            }

            int i = p + 1;
            while (true)
            {
                while ((uint)i < (uint)buf.Length && IsNameChar(buf[i]))
                {
                    i++;
                }

                if (i >= buf.Length)
                {
                    return buf.Length;
                }

                if (buf[i] == (byte)':' && colon < 0 && i + 1 < buf.Length && IsNameStart(buf[i + 1]))
                {
                    colon = i;
                    i += 2;
                    continue;
                }

                return i;
            }
        }

        // ----- Markup -----

        private bool ParseXmlDeclaration(ref int p)
        {
            int start = p;
            int end = _buf[p..].IndexOf("?>"u8);
            if (end < 0)
            {
                return Fail(DuisParseErrorCode.UnexpectedEnd, _buf.Length, "The XML declaration is not closed with '?>'");
            }

            end += p;
            int i = p + 5;
            int stage = 0; // 0 nothing yet, 1 version, 2 encoding, 3 standalone
            while (true)
            {
                int afterSpace = i;
                while (afterSpace < end && IsWhitespace(_buf[afterSpace]))
                {
                    afterSpace++;
                }

                if (afterSpace == end)
                {
                    break;
                }

                if (afterSpace == i)
                {
                    return Fail(DuisParseErrorCode.MalformedXml, i, "Expected whitespace between pseudo-attributes of the XML declaration");
                }

                i = afterSpace;
                int nameEnd = i;
                while (nameEnd < end && IsNameChar(_buf[nameEnd]))
                {
                    nameEnd++;
                }

                var name = _buf[i..nameEnd];
                int v = nameEnd;
                while (v < end && IsWhitespace(_buf[v]))
                {
                    v++;
                }

                if (v >= end || _buf[v] != (byte)'=')
                {
                    return Fail(DuisParseErrorCode.MalformedXml, v, "Expected '=' in the XML declaration");
                }

                v++;
                while (v < end && IsWhitespace(_buf[v]))
                {
                    v++;
                }

                if (v >= end || _buf[v] is not ((byte)'"' or (byte)'\''))
                {
                    return Fail(DuisParseErrorCode.MalformedXml, v, "Expected a quoted value in the XML declaration");
                }

                byte quote = _buf[v];
                int close = _buf[(v + 1)..end].IndexOf(quote);
                if (close < 0)
                {
                    return Fail(DuisParseErrorCode.MalformedXml, v, "Unterminated value in the XML declaration");
                }

                var value = _buf.Slice(v + 1, close);
                if (stage == 0 && name.SequenceEqual("version"u8))
                {
                    if (value.Length < 3 || !value.StartsWith("1."u8) || value[2..].ContainsAnyExceptInRange((byte)'0', (byte)'9'))
                    {
                        return Fail(DuisParseErrorCode.MalformedXml, v + 1, "The XML version must be 1.x");
                    }

                    stage = 1;
                }
                else if (stage == 1 && name.SequenceEqual("encoding"u8))
                {
                    if (!Ascii.EqualsIgnoreCase(value, "UTF-8"u8) && !Ascii.EqualsIgnoreCase(value, "UTF8"u8))
                    {
                        return Fail(DuisParseErrorCode.UnsupportedEncoding, v + 1, "The XML declaration names an encoding other than UTF-8: DUIS messages must be UTF-8");
                    }

                    stage = 2;
                }
                else if (stage is 1 or 2 && name.SequenceEqual("standalone"u8))
                {
                    if (!value.SequenceEqual("yes"u8) && !value.SequenceEqual("no"u8))
                    {
                        return Fail(DuisParseErrorCode.MalformedXml, v + 1, "standalone must be 'yes' or 'no'");
                    }

                    stage = 3;
                }
                else
                {
                    return Fail(DuisParseErrorCode.MalformedXml, i, "Unexpected pseudo-attribute in the XML declaration: expected version, then optionally encoding and standalone");
                }

                i = v + 1 + close + 1;
            }

            if (stage == 0)
            {
                return Fail(DuisParseErrorCode.MalformedXml, start, "The XML declaration has no version");
            }

            p = end + 2;
            return true;
        }

        private bool ParseProcessingInstruction(ref int p)
        {
            int targetStart = p + 2;
            int targetEnd = targetStart;
            if (targetEnd < _buf.Length && IsNameStart(_buf[targetEnd]))
            {
                targetEnd++;
                while (targetEnd < _buf.Length && (IsNameChar(_buf[targetEnd]) || _buf[targetEnd] == (byte)':'))
                {
                    targetEnd++;
                }
            }

            if (targetEnd >= _buf.Length)
            {
                return Fail(DuisParseErrorCode.UnexpectedEnd, _buf.Length, "The message ends inside a processing instruction (truncated?)");
            }

            if (targetEnd == targetStart)
            {
                return Fail(DuisParseErrorCode.MalformedXml, targetStart, "Expected a processing instruction target name");
            }

            if (Ascii.EqualsIgnoreCase(_buf[targetStart..targetEnd], "xml"u8))
            {
                return Fail(DuisParseErrorCode.MalformedXml, p, "An XML declaration is only allowed at the very start of the message");
            }

            int close = _buf[targetEnd..].IndexOf("?>"u8);
            if (close < 0)
            {
                return Fail(DuisParseErrorCode.UnexpectedEnd, _buf.Length, "The message ends inside a processing instruction (truncated?)");
            }

            if (close > 0 && !IsWhitespace(_buf[targetEnd]))
            {
                return Fail(DuisParseErrorCode.MalformedXml, targetEnd, "Expected whitespace after the processing instruction target");
            }

            if (!CheckNoControls(targetEnd, close))
            {
                return false;
            }

            p = targetEnd + close + 2;
            return true;
        }

        private bool ParseBang(ref int p)
        {
            var rest = _buf[p..];
            if (rest.StartsWith("<!--"u8))
            {
                int bodyStart = p + 4;
                int dashes = _buf[bodyStart..].IndexOf("--"u8);
                if (dashes < 0)
                {
                    return Fail(DuisParseErrorCode.UnexpectedEnd, _buf.Length, "The message ends inside a comment (truncated?)");
                }

                int dashAt = bodyStart + dashes;
                if (dashAt + 2 >= _buf.Length)
                {
                    return Fail(DuisParseErrorCode.UnexpectedEnd, _buf.Length, "The message ends inside a comment (truncated?)");
                }

                if (_buf[dashAt + 2] != (byte)'>')
                {
                    return Fail(DuisParseErrorCode.MalformedXml, dashAt, "'--' is not allowed inside a comment");
                }

                if (!CheckNoControls(bodyStart, dashes))
                {
                    return false;
                }

                p = dashAt + 3;
                return true;
            }

            if (rest.StartsWith("<![CDATA["u8))
            {
                if (_depth == 0)
                {
                    return Fail(DuisParseErrorCode.MalformedXml, p, "CDATA is only allowed inside an element");
                }

                int bodyStart = p + 9;
                int close = _buf[bodyStart..].IndexOf("]]>"u8);
                if (close < 0)
                {
                    return Fail(DuisParseErrorCode.UnexpectedEnd, _buf.Length, "The message ends inside a CDATA section (truncated?)");
                }

                if (!CheckNoControls(bodyStart, close))
                {
                    return false;
                }

                if (close > 0 && IsCapturing)
                {
                    AppendRaw(bodyStart, close);
                }

                p = bodyStart + close + 3;
                return true;
            }

            if (rest.StartsWith("<!DOCTYPE"u8))
            {
                return Fail(DuisParseErrorCode.DtdProhibited, p, "A document type declaration (<!DOCTYPE) is prohibited: DTDs and entities are never processed");
            }

            if ("<!--"u8.StartsWith(rest) || "<![CDATA["u8.StartsWith(rest) || "<!DOCTYPE"u8.StartsWith(rest))
            {
                return Fail(DuisParseErrorCode.UnexpectedEnd, _buf.Length, "The message ends inside markup (truncated?)");
            }

            return Fail(DuisParseErrorCode.MalformedXml, p, "Expected a comment '<!--' or CDATA section '<![CDATA['");
        }

        private bool CheckNoControls(int start, int length)
        {
            int bad = _buf.Slice(start, length).IndexOfAny(s_controls);
            return bad < 0 || Fail(DuisParseErrorCode.InvalidCharacter, start + bad, "A control character that XML does not allow");
        }

        private bool ParseEndTag(ref int p)
        {
            int nameStart = p + 2;
            if (_depth > 0)
            {
                // Fast path: the end tag repeats the open element's name (a complete QName) and '>' follows at once.
                // Anything else takes the full path below, which reports exactly what is wrong.
                ref var open = ref _frames[_depth - 1];
                int close = nameStart + open.NameLength;
                if ((uint)close < (uint)_buf.Length && _buf[close] == (byte)'>'
                    && _buf.Slice(nameStart, open.NameLength).SequenceEqual(_buf.Slice(open.NameStart, open.NameLength)))
                {
                    return CloseElement(ref p, close + 1);
                }
            }

            int nameEnd = ScanQName(nameStart, out _);
            int i = SkipWhitespace(nameEnd);
            if (i >= _buf.Length)
            {
                return Fail(DuisParseErrorCode.UnexpectedEnd, _buf.Length, "The message ends inside an end tag (truncated?)");
            }

            if (nameEnd == nameStart || _buf[i] != (byte)'>')
            {
                return Fail(DuisParseErrorCode.MalformedXml, i, "Malformed end tag");
            }

            if (_depth == 0)
            {
                return Fail(DuisParseErrorCode.MismatchedTag, p, "An end tag without a matching start tag");
            }

            ref var frame = ref _frames[_depth - 1];
            if (!_buf.Slice(nameStart, nameEnd - nameStart).SequenceEqual(_buf.Slice(frame.NameStart, frame.NameLength)))
            {
                return Fail(DuisParseErrorCode.MismatchedTag, p, "The end tag does not match the open element '" + Excerpt(frame.NameStart, frame.NameLength) + "'");
            }

            return CloseElement(ref p, i + 1);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private bool CloseElement(ref int p, int after)
        {
            ref var frame = ref _frames[_depth - 1];
            if (!OnExit(frame.Context, p))
            {
                return false;
            }

            _bindingCount = frame.BindingMark;
            _depth--;
            if (_depth == 0)
            {
                _rootClosed = true;
            }

            p = after;
            return true;
        }

        private bool ParseStartTag(ref int p)
        {
            int tagStart = p;
            int nameStart = p + 1;
            int nameEnd = ScanQName(nameStart, out int colon);
            if (nameEnd == nameStart)
            {
                return nameStart >= _buf.Length
                    ? Fail(DuisParseErrorCode.UnexpectedEnd, _buf.Length, "The message ends inside markup (truncated?)")
                    : Fail(DuisParseErrorCode.MalformedXml, nameStart, "Expected an element name after '<'");
            }

            if (_rootClosed && _depth == 0)
            {
                return Fail(DuisParseErrorCode.MultipleRoots, tagStart, "A second root element: a DUIS message has exactly one Response");
            }

            int bindingMark = _bindingCount;
            int attributeCount = 0;
            int i = nameEnd;
            bool selfClosing;
            while (true)
            {
                int afterSpace = SkipWhitespace(i);
                if (afterSpace >= _buf.Length)
                {
                    return Fail(DuisParseErrorCode.UnexpectedEnd, _buf.Length, "The message ends inside a start tag (truncated?)");
                }

                byte c = _buf[afterSpace];
                if (c == (byte)'>')
                {
                    selfClosing = false;
                    i = afterSpace + 1;
                    break;
                }

                if (c == (byte)'/')
                {
                    if (afterSpace + 1 >= _buf.Length)
                    {
                        return Fail(DuisParseErrorCode.UnexpectedEnd, _buf.Length, "The message ends inside a start tag (truncated?)");
                    }

                    if (_buf[afterSpace + 1] != (byte)'>')
                    {
                        return Fail(DuisParseErrorCode.MalformedXml, afterSpace, "Expected '/>'");
                    }

                    selfClosing = true;
                    i = afterSpace + 2;
                    break;
                }

                if (afterSpace == i)
                {
                    return Fail(DuisParseErrorCode.MalformedXml, i, "Expected whitespace, '>' or '/>' after the element name or attribute");
                }

                if (!ParseAttribute(afterSpace, ref attributeCount, out i))
                {
                    return false;
                }
            }

            // Every prefix used by the element and its attributes must be declared (possibly on this element).
            for (int a = 0; a < attributeCount; a++)
            {
                var (start, length) = _attributes[a].GetOffsetAndLength(_buf.Length);
                var name = _buf.Slice(start, length);
                int attrColon = name.IndexOf((byte)':');
                if (attrColon > 0 && !name.StartsWith("xmlns:"u8) && !Resolve(start, attrColon, out _))
                {
                    return false;
                }

                for (int b = 0; b < a; b++)
                {
                    var (otherStart, otherLength) = _attributes[b].GetOffsetAndLength(_buf.Length);
                    if (name.SequenceEqual(_buf.Slice(otherStart, otherLength)))
                    {
                        return Fail(DuisParseErrorCode.DuplicateAttribute, start, "The attribute '" + Excerpt(start, length) + "' appears twice");
                    }
                }
            }

            Ns ns;
            int localStart;
            if (colon < 0)
            {
                ns = ResolveDefault();
                localStart = nameStart;
            }
            else
            {
                if (!Resolve(nameStart, colon - nameStart, out ns))
                {
                    return false;
                }

                localStart = colon + 1;
            }

            var local = _buf[localStart..nameEnd];
            Ctx context;
            if (_depth == 0)
            {
                if (!local.SequenceEqual("Response"u8))
                {
                    return Fail(DuisParseErrorCode.WrongRoot, tagStart, "The root element is '" + Excerpt(nameStart, nameEnd - nameStart) + "': expected a DUIS Response");
                }

                if (ns != Ns.Duis)
                {
                    return Fail(DuisParseErrorCode.WrongNamespace, tagStart, "The root element Response is not in the DUIS namespace http://www.dccinterface.co.uk/ServiceUserGateway");
                }

                _rootSeen = true;
                context = Ctx.Root;
            }
            else
            {
                if (_depth >= MaxDepth)
                {
                    return Fail(DuisParseErrorCode.LimitExceeded, tagStart, "Elements are nested deeper than " + MaxDepth.ToString(CultureInfo.InvariantCulture) + " levels");
                }

                if (!ChildContext(_frames[_depth - 1].Context, ns, local, localStart, tagStart, out context))
                {
                    return false;
                }
            }

            if (IsCaptureContext(context))
            {
                _captureLength = 0;
                _captureSegments = 0;
                _captureRawOnly = true;
                _captureOverflow = false;
                _rawStart = 0;
                _rawLength = 0;
            }

            if (selfClosing)
            {
                if (!OnExit(context, tagStart))
                {
                    return false;
                }

                _bindingCount = bindingMark;
                if (_depth == 0)
                {
                    _rootClosed = true;
                }
            }
            else
            {
                ref var frame = ref _frames[_depth++];
                frame.NameStart = nameStart;
                frame.NameLength = nameEnd - nameStart;
                frame.BindingMark = bindingMark;
                frame.Context = context;
            }

            p = i;
            return true;
        }

        private bool ParseAttribute(int p, ref int attributeCount, out int end)
        {
            end = p;
            int nameEnd = ScanQName(p, out int colon);
            if (nameEnd == p)
            {
                return Fail(DuisParseErrorCode.MalformedXml, p, "Expected an attribute name");
            }

            int i = SkipWhitespace(nameEnd);
            if (i >= _buf.Length)
            {
                return Fail(DuisParseErrorCode.UnexpectedEnd, _buf.Length, "The message ends inside a start tag (truncated?)");
            }

            if (_buf[i] != (byte)'=')
            {
                return Fail(DuisParseErrorCode.MalformedXml, i, "Expected '=' after the attribute name");
            }

            i = SkipWhitespace(i + 1);
            if (i >= _buf.Length)
            {
                return Fail(DuisParseErrorCode.UnexpectedEnd, _buf.Length, "The message ends inside a start tag (truncated?)");
            }

            byte quote = _buf[i];
            if (quote is not ((byte)'"' or (byte)'\''))
            {
                return Fail(DuisParseErrorCode.MalformedXml, i, "Expected a quoted attribute value");
            }

            if (attributeCount == MaxAttributes)
            {
                return Fail(DuisParseErrorCode.LimitExceeded, p, "More than " + MaxAttributes.ToString(CultureInfo.InvariantCulture) + " attributes on one element");
            }

            _attributes[attributeCount++] = new Range(p, nameEnd);

            var name = _buf[p..nameEnd];
            bool isDefaultDeclaration = name.SequenceEqual("xmlns"u8);
            bool isPrefixDeclaration = colon == p + 5 && name.StartsWith("xmlns:"u8);

            // Scan the value, decoding it only for a namespace declaration (to classify the URI).
            var stops = quote == (byte)'"' ? s_doubleQuotedStops : s_singleQuotedStops;
            int valueStart = i + 1;
            int v = valueStart;
            int scratchLength = 0;
            bool scratchOverflow = false;
            bool decoded = false;
            Span<byte> one = stackalloc byte[4];
            while (true)
            {
                int rel = _buf[v..].IndexOfAny(stops);
                if (rel < 0)
                {
                    return Fail(DuisParseErrorCode.UnexpectedEnd, _buf.Length, "The message ends inside an attribute value (truncated?)");
                }

                if ((isDefaultDeclaration || isPrefixDeclaration) && rel > 0)
                {
                    AppendScratch(_buf.Slice(v, rel), ref scratchLength, ref scratchOverflow);
                }

                v += rel;
                byte stop = _buf[v];
                if (stop == quote)
                {
                    break;
                }

                if (stop == (byte)'&')
                {
                    if (!ParseReference(ref v, false, one, out int written))
                    {
                        return false;
                    }

                    decoded = true;
                    AppendScratch(one[..written], ref scratchLength, ref scratchOverflow);
                    continue;
                }

                return stop == (byte)'<'
                    ? Fail(DuisParseErrorCode.MalformedXml, v, "'<' is not allowed in an attribute value")
                    : Fail(DuisParseErrorCode.InvalidCharacter, v, "A control character that XML does not allow");
            }

            end = v + 1;
            if (isDefaultDeclaration || isPrefixDeclaration)
            {
                var uri = decoded || scratchOverflow ? _uriScratch[..scratchLength] : _buf[valueStart..v];
                Ns kind = scratchOverflow ? Ns.Other : Classify(uri);
                if (isPrefixDeclaration)
                {
                    var prefix = _buf[(colon + 1)..nameEnd];
                    if (prefix.SequenceEqual("xmlns"u8))
                    {
                        return Fail(DuisParseErrorCode.MalformedXml, p, "The prefix 'xmlns' cannot be declared");
                    }

                    if (kind == Ns.None)
                    {
                        return Fail(DuisParseErrorCode.MalformedXml, p, "A namespace prefix cannot be bound to an empty URI");
                    }

                    if (prefix.SequenceEqual("xml"u8))
                    {
                        return true; // The xml prefix is predefined; redeclaring it changes nothing here.
                    }
                }

                if (_bindingCount == MaxNamespaceBindings)
                {
                    return Fail(DuisParseErrorCode.LimitExceeded, p, "More than " + MaxNamespaceBindings.ToString(CultureInfo.InvariantCulture) + " namespace declarations in scope");
                }

                ref var binding = ref _bindings[_bindingCount++];
                binding.PrefixStart = isPrefixDeclaration ? colon + 1 : p;
                binding.PrefixLength = isPrefixDeclaration ? nameEnd - colon - 1 : 0;
                binding.Uri = kind;
            }

            return true;
        }

        private void AppendScratch(scoped ReadOnlySpan<byte> bytes, ref int length, ref bool overflow)
        {
            if (overflow || length + bytes.Length > _uriScratch.Length)
            {
                overflow = true;
                return;
            }

            bytes.CopyTo(_uriScratch[length..]);
            length += bytes.Length;
        }

        private static Ns Classify(ReadOnlySpan<byte> uri)
        {
            if (uri.IsEmpty)
            {
                return Ns.None;
            }

            if (uri.SequenceEqual("http://www.dccinterface.co.uk/ServiceUserGateway"u8))
            {
                return Ns.Duis;
            }

            return uri.SequenceEqual("http://www.dccinterface.co.uk/ResponseAndAlert"u8) ? Ns.ResponseAndAlert : Ns.Other;
        }

        private readonly Ns ResolveDefault()
        {
            for (int i = _bindingCount - 1; i >= 0; i--)
            {
                if (_bindings[i].PrefixLength == 0)
                {
                    return _bindings[i].Uri;
                }
            }

            return Ns.None;
        }

        private bool Resolve(int prefixStart, int prefixLength, out Ns ns)
        {
            var prefix = _buf.Slice(prefixStart, prefixLength);
            for (int i = _bindingCount - 1; i >= 0; i--)
            {
                ref var binding = ref _bindings[i];
                if (binding.PrefixLength == prefixLength && _buf.Slice(binding.PrefixStart, prefixLength).SequenceEqual(prefix))
                {
                    ns = binding.Uri;
                    return true;
                }
            }

            if (prefix.SequenceEqual("xml"u8))
            {
                ns = Ns.Other;
                return true;
            }

            ns = Ns.None;
            return Fail(DuisParseErrorCode.UndeclaredPrefix, prefixStart, "The namespace prefix '" + Excerpt(prefixStart, prefixLength) + "' is not declared");
        }

        // ----- References -----

        /// <summary>
        /// Parses a reference at <paramref name="p"/>; appends the character to the capture when
        /// <paramref name="capture"/>, or writes it to <paramref name="output"/> when that is not empty.
        /// </summary>
        private bool ParseReference(ref int p, bool capture, scoped Span<byte> output, out int written)
        {
            written = 0;
            int start = p;
            int semicolon = _buf.Slice(p + 1, Math.Min(_buf.Length - p - 1, 12)).IndexOf((byte)';');
            if (semicolon < 0)
            {
                return p + 13 >= _buf.Length
                    ? Fail(DuisParseErrorCode.UnexpectedEnd, _buf.Length, "The message ends inside a reference (truncated?)")
                    : Fail(DuisParseErrorCode.InvalidReference, start, "A malformed reference: '&' must start '&amp;', '&lt;', '&gt;', '&quot;', '&apos;' or '&#...;'");
            }

            var body = _buf.Slice(p + 1, semicolon);
            p += semicolon + 2;
            uint value;
            if (body.Length > 1 && body[0] == (byte)'#')
            {
                value = 0;
                bool hex = body[1] == (byte)'x';
                var digits = body[(hex ? 2 : 1)..];
                if (digits.IsEmpty || digits.Length > 8)
                {
                    return Fail(DuisParseErrorCode.InvalidReference, start, "A malformed character reference");
                }

                foreach (byte d in digits)
                {
                    uint digit;
                    if ((uint)(d - '0') <= 9)
                    {
                        digit = (uint)(d - '0');
                    }
                    else if (hex && (uint)((d | 0x20) - 'a') <= 5)
                    {
                        digit = (uint)((d | 0x20) - 'a' + 10);
                    }
                    else
                    {
                        return Fail(DuisParseErrorCode.InvalidReference, start, "A malformed character reference");
                    }

                    value = (value * (hex ? 16u : 10u)) + digit;
                }

                bool legal = value is 0x9 or 0xA or 0xD or (>= 0x20 and <= 0xD7FF) or (>= 0xE000 and <= 0xFFFD) or (>= 0x10000 and <= 0x10FFFF);
                if (!legal)
                {
                    return Fail(DuisParseErrorCode.InvalidReference, start, "The character reference names a character XML does not allow");
                }
            }
            else if (body.SequenceEqual("lt"u8))
            {
                value = '<';
            }
            else if (body.SequenceEqual("gt"u8))
            {
                value = '>';
            }
            else if (body.SequenceEqual("amp"u8))
            {
                value = '&';
            }
            else if (body.SequenceEqual("apos"u8))
            {
                value = '\'';
            }
            else if (body.SequenceEqual("quot"u8))
            {
                value = '"';
            }
            else
            {
                return Fail(DuisParseErrorCode.InvalidReference, start, "The entity '" + Excerpt(start + 1, body.Length) + "' is not declared (DTDs are not supported; only the five predefined entities and character references are)");
            }

            Span<byte> utf8 = stackalloc byte[4];
            int length = new Rune(value).EncodeToUtf8(utf8);
            if (capture)
            {
                AppendDecoded(utf8[..length]);
            }
            else if (!output.IsEmpty)
            {
                utf8[..length].CopyTo(output);
                written = length;
            }

            return true;
        }

        // ----- Captured values -----

        private void AppendRaw(int start, int length)
        {
            _captureSegments++;
            if (_captureSegments == 1)
            {
                _rawStart = start;
                _rawLength = length;
            }

            Copy(_buf.Slice(start, length));
        }

        private void AppendDecoded(scoped ReadOnlySpan<byte> bytes)
        {
            _captureSegments++;
            _captureRawOnly = false;
            Copy(bytes);
        }

        private void Copy(scoped ReadOnlySpan<byte> bytes)
        {
            if (_captureOverflow || _captureLength + bytes.Length > _capture.Length)
            {
                _captureOverflow = true;
                return;
            }

            bytes.CopyTo(_capture[_captureLength..]);
            _captureLength += bytes.Length;
        }

        /// <summary>The captured value, whitespace-trimmed; false when it was too long to keep.</summary>
        private readonly bool TryGetCapture(out ReadOnlySpan<byte> value, out int rawStart)
        {
            if (_captureSegments == 0)
            {
                value = default;
                rawStart = -1;
                return true;
            }

            if (_captureSegments == 1 && _captureRawOnly)
            {
                int start = _rawStart;
                int end = _rawStart + _rawLength;
                while (start < end && IsWhitespace(_buf[start]))
                {
                    start++;
                }

                while (end > start && IsWhitespace(_buf[end - 1]))
                {
                    end--;
                }

                value = _buf[start..end];
                rawStart = start;
                return true;
            }

            rawStart = -1;
            if (_captureOverflow)
            {
                value = default;
                return false;
            }

            var captured = (ReadOnlySpan<byte>)_capture[.._captureLength];
            int s = 0;
            int e = captured.Length;
            while (s < e && IsWhitespace(captured[s]))
            {
                s++;
            }

            while (e > s && IsWhitespace(captured[e - 1]))
            {
                e--;
            }

            value = captured[s..e];
            return true;
        }

        // ----- DUIS structure -----

        private bool MarkOnce(Seen flag, int offset, string what)
        {
            if ((_seen & flag) != 0)
            {
                return Fail(DuisParseErrorCode.DuplicateElement, offset, what + " appears more than once");
            }

            _seen |= flag;
            return true;
        }

        private bool ChildContext(Ctx parent, Ns ns, ReadOnlySpan<byte> local, int localStart, int offset, out Ctx context)
        {
            context = Ctx.Ignored;
            bool duis = ns == Ns.Duis;
            switch (parent)
            {
                case Ctx.Root when duis:
                    if (local.SequenceEqual("Header"u8))
                    {
                        context = Ctx.Header;
                        return MarkOnce(Seen.Header, offset, "Header");
                    }

                    if (local.SequenceEqual("Body"u8))
                    {
                        context = Ctx.Body;
                        return MarkOnce(Seen.Body, offset, "Body");
                    }

                    return true;

                case Ctx.Header when duis:
                    if (local.SequenceEqual("RequestID"u8))
                    {
                        context = Ctx.RequestId;
                        return MarkOnce(Seen.RequestId, offset, "RequestID");
                    }

                    if (local.SequenceEqual("ResponseID"u8))
                    {
                        context = Ctx.ResponseId;
                        return MarkOnce(Seen.ResponseId, offset, "ResponseID");
                    }

                    if (local.SequenceEqual("ResponseCode"u8))
                    {
                        context = Ctx.ResponseCode;
                        return MarkOnce(Seen.ResponseCode, offset, "ResponseCode");
                    }

                    if (local.SequenceEqual("ResponseDateTime"u8))
                    {
                        context = Ctx.ResponseDateTime;
                        return MarkOnce(Seen.ResponseDateTime, offset, "ResponseDateTime");
                    }

                    return true;

                case Ctx.Body when duis:
                    if (local.SequenceEqual("ResponseMessage"u8))
                    {
                        context = Ctx.ResponseMessage;
                        _kind = DuisMessageKind.Response;
                    }
                    else if (local.SequenceEqual("DeviceAlertMessage"u8))
                    {
                        context = Ctx.DeviceAlertMessage;
                        _kind = DuisMessageKind.DeviceAlert;
                    }
                    else if (local.SequenceEqual("DCCAlertMessage"u8))
                    {
                        context = Ctx.DccAlertMessage;
                        _kind = DuisMessageKind.DccAlert;
                    }
                    else if (local.SequenceEqual("SMETS1ResponseMessage"u8))
                    {
                        context = Ctx.Smets1Message;
                        _kind = DuisMessageKind.Smets1Response;
                    }
                    else
                    {
                        return Fail(DuisParseErrorCode.UnknownMessage, offset, "The Body holds '" + Excerpt(localStart, local.Length) + "', which is not a ResponseMessage, DeviceAlertMessage, DCCAlertMessage or SMETS1ResponseMessage");
                    }

                    if ((_seen & Seen.Message) != 0)
                    {
                        return Fail(DuisParseErrorCode.MultipleMessages, offset, "The Body holds more than one message");
                    }

                    _seen |= Seen.Message;
                    return true;

                case Ctx.ResponseMessage when duis:
                    if (local.SequenceEqual("ServiceReferenceVariant"u8))
                    {
                        context = Ctx.Srv;
                        return MarkOnce(Seen.Srv, offset, "ServiceReferenceVariant");
                    }

                    if (local.SequenceEqual("DSPScheduledMessage"u8))
                    {
                        _dccScheduled = true;
                        return MarkOnce(Seen.DspScheduled, offset, "DSPScheduledMessage");
                    }

                    if (local.SequenceEqual("FutureDatedDeviceAlertMessage"u8))
                    {
                        context = Ctx.FutureDated;
                        return MarkOnce(Seen.FutureDated, offset, "FutureDatedDeviceAlertMessage");
                    }

                    return true;

                case Ctx.FutureDated when duis:
                    if (local.SequenceEqual("FutureDatedAlertCode"u8))
                    {
                        context = Ctx.FutureDatedCode;
                        return MarkOnce(Seen.FutureDatedCode, offset, "FutureDatedAlertCode");
                    }

                    return true;

                case Ctx.DeviceAlertMessage when duis:
                    if (local.SequenceEqual("AlertCode"u8))
                    {
                        context = Ctx.AlertCode;
                        return MarkOnce(Seen.AlertCode, offset, "AlertCode");
                    }

                    if (local.SequenceEqual("ThrottledAlertCount"u8))
                    {
                        context = Ctx.ThrottledCount;
                        return MarkOnce(Seen.ThrottledCount, offset, "ThrottledAlertCount");
                    }

                    return true;

                case Ctx.DccAlertMessage when duis:
                    if (local.SequenceEqual("DCCAlertCode"u8))
                    {
                        context = Ctx.DccAlertCode;
                        return MarkOnce(Seen.DccAlertCode, offset, "DCCAlertCode");
                    }

                    if (local.SequenceEqual("ThrottledAlertCount"u8))
                    {
                        context = Ctx.ThrottledCount;
                        return MarkOnce(Seen.ThrottledCount, offset, "ThrottledAlertCount");
                    }

                    if (local.SequenceEqual("DCCAlert"u8))
                    {
                        context = Ctx.DccAlert;
                        return MarkOnce(Seen.DccAlert, offset, "DCCAlert");
                    }

                    return true;

                case Ctx.DccAlert when duis:
                    if (!MarkOnce(Seen.DccAlertPayload, offset, "A payload element inside DCCAlert"))
                    {
                        return false;
                    }

                    _payloadName = DccAlertPayloadNames.Find(local);
                    if (_payloadName is null)
                    {
                        _payloadStart = localStart;
                        _payloadLength = local.Length;
                    }

                    return true;

                case Ctx.Smets1Message when duis:
                    if (local.SequenceEqual("ServiceReferenceVariant"u8))
                    {
                        context = Ctx.Srv;
                        return MarkOnce(Seen.Srv, offset, "ServiceReferenceVariant");
                    }

                    if (local.SequenceEqual("DSPScheduleID"u8))
                    {
                        _dccScheduled = true;
                        return MarkOnce(Seen.DspScheduled, offset, "DSPScheduleID");
                    }

                    if (local.SequenceEqual("ThrottledAlertCount"u8))
                    {
                        context = Ctx.ThrottledCount;
                        return MarkOnce(Seen.ThrottledCount, offset, "ThrottledAlertCount");
                    }

                    if (local.SequenceEqual("SMETS1SignedResponse"u8))
                    {
                        context = Ctx.Smets1Signed;
                    }

                    return true;

                case Ctx.Smets1Signed when duis:
                    context = local.SequenceEqual("SMETS1Response"u8) ? Ctx.Smets1Response : Ctx.Ignored;
                    return true;

                case Ctx.Smets1Response when duis:
                    context = local.SequenceEqual("Body"u8) ? Ctx.Smets1Body : Ctx.Ignored;
                    return true;

                case Ctx.Smets1Body when duis:
                    context = local.SequenceEqual("DeviceAlertMessage"u8) ? Ctx.Smets1DeviceAlert : Ctx.Ignored;
                    return true;

                case Ctx.Smets1DeviceAlert when ns == Ns.ResponseAndAlert:
                    context = local.SequenceEqual("DeviceAlertContent"u8) ? Ctx.Smets1AlertContent : Ctx.Ignored;
                    return true;

                case Ctx.Smets1AlertContent when ns == Ns.ResponseAndAlert:
                    if (local.SequenceEqual("GBCSHexAlertCode"u8))
                    {
                        context = Ctx.Smets1HexCode;
                        return MarkOnce(Seen.Smets1HexCode, offset, "GBCSHexAlertCode");
                    }

                    return true;

                default:
                    return true;
            }
        }

        private bool OnExit(Ctx context, int offset)
        {
            switch (context)
            {
                case Ctx.Root:
                    return (_seen & Seen.Body) != 0 || Fail(DuisParseErrorCode.MissingBody, offset, "The Response has no Body");

                case Ctx.Body:
                    return (_seen & Seen.Message) != 0 || Fail(DuisParseErrorCode.UnknownMessage, offset, "The Body holds no ResponseMessage, DeviceAlertMessage, DCCAlertMessage or SMETS1ResponseMessage");

                case Ctx.ResponseMessage:
                    return (_seen & Seen.Srv) != 0 || Fail(DuisParseErrorCode.MissingServiceReferenceVariant, offset, "The ResponseMessage has no ServiceReferenceVariant");

                case Ctx.DeviceAlertMessage:
                    return (_seen & Seen.AlertCode) != 0 || Fail(DuisParseErrorCode.MissingAlertCode, offset, "The DeviceAlertMessage has no AlertCode");

                case Ctx.DccAlertMessage:
                    return (_seen & Seen.DccAlertCode) != 0 || Fail(DuisParseErrorCode.MissingAlertCode, offset, "The DCCAlertMessage has no DCCAlertCode");

                case Ctx.Srv:
                    return (TryGetCapture(out var srvText, out _) && ServiceReferenceVariant.TryParse(srvText, out _srv))
                        || Fail(DuisParseErrorCode.InvalidServiceReferenceVariant, offset, "The ServiceReferenceVariant '" + CaptureExcerpt() + "' is not of the form n.n or n.n.n");

                case Ctx.ResponseCode:
                    return (TryGetCapture(out var codeText, out _) && DuisCode.TryParse(codeText, out _responseCode))
                        || Fail(DuisParseErrorCode.InvalidValue, offset, "The ResponseCode '" + CaptureExcerpt() + "' is not 1 to 8 letters and digits");

                case Ctx.AlertCode:
                    return (TryGetCapture(out var alertText, out _) && DuisCode.TryParse(alertText, out _alertCode) && _alertCode.IsHexadecimal)
                        || Fail(DuisParseErrorCode.InvalidAlertCode, offset, "The AlertCode '" + CaptureExcerpt() + "' is not a hexadecimal code of 1 to 8 digits");

                case Ctx.Smets1HexCode:
                    return (TryGetCapture(out var smets1Text, out _) && DuisCode.TryParse(smets1Text, out _smets1AlertCode) && _smets1AlertCode.IsHexadecimal)
                        || Fail(DuisParseErrorCode.InvalidAlertCode, offset, "The GBCSHexAlertCode '" + CaptureExcerpt() + "' is not a hexadecimal code of 1 to 8 digits");

                case Ctx.DccAlertCode:
                    return (TryGetCapture(out var dccText, out _) && DuisCode.TryParse(dccText, out _alertCode))
                        || Fail(DuisParseErrorCode.InvalidAlertCode, offset, "The DCCAlertCode '" + CaptureExcerpt() + "' is not 1 to 8 letters and digits");

                case Ctx.FutureDatedCode:
                    return (TryGetCapture(out var futureText, out _) && DuisCode.TryParse(futureText, out _futureDatedOutcome) && _futureDatedOutcome.IsHexadecimal)
                        || Fail(DuisParseErrorCode.InvalidValue, offset, "The FutureDatedAlertCode '" + CaptureExcerpt() + "' is not a hexadecimal code");

                case Ctx.ThrottledCount:
                    return (TryGetCapture(out var countText, out _) && TryParseCount(countText, out _throttledCount))
                        || Fail(DuisParseErrorCode.InvalidValue, offset, "The ThrottledAlertCount '" + CaptureExcerpt() + "' is not an unsigned integer");

                case Ctx.ResponseDateTime:
                    return (TryGetCapture(out var timeText, out _) && DuisDateTime.TryParse(timeText, out _responseDateTime))
                        || Fail(DuisParseErrorCode.InvalidValue, offset, "The ResponseDateTime '" + CaptureExcerpt() + "' is not an xs:dateTime such as 2022-07-22T09:37:56.134Z");

                case Ctx.RequestId:
                    return CaptureId(ref _requestIdStart, ref _requestIdLength, ref _requestIdText, offset, "RequestID");

                case Ctx.ResponseId:
                    return CaptureId(ref _responseIdStart, ref _responseIdLength, ref _responseIdText, offset, "ResponseID");

                default:
                    return true;
            }
        }

        private bool CaptureId(ref int start, ref int length, ref string? text, int offset, string what)
        {
            if (!TryGetCapture(out var value, out int rawStart))
            {
                return Fail(DuisParseErrorCode.InvalidValue, offset, "The " + what + " is longer than " + CaptureCapacity.ToString(CultureInfo.InvariantCulture) + " bytes once its references are decoded");
            }

            if (rawStart >= 0)
            {
                start = rawStart;
                length = value.Length;
            }
            else
            {
                // Rare: the id holds a reference, CDATA or a comment, so it is not one contiguous run of bytes.
                text = Encoding.UTF8.GetString(value);
            }

            return true;
        }

        private static bool TryParseCount(ReadOnlySpan<byte> text, out int count)
        {
            count = 0;
            if (text.IsEmpty || text.Length > 10)
            {
                return false;
            }

            ulong value = 0;
            foreach (byte b in text)
            {
                uint digit = (uint)(b - '0');
                if (digit > 9)
                {
                    return false;
                }

                value = (value * 10) + digit;
            }

            if (value > uint.MaxValue)
            {
                return false;
            }

            // xs:unsignedInt goes to 4,294,967,295; the envelope holds an int, so larger counts saturate.
            count = (int)Math.Min(value, int.MaxValue);
            return true;
        }

        private readonly string CaptureExcerpt()
        {
            if (_captureSegments == 1 && _captureRawOnly)
            {
                return Excerpt(_rawStart, _rawLength);
            }

            return Sanitise(_capture[.._captureLength]);
        }

        private readonly string Excerpt(int start, int length) => Sanitise(_buf.Slice(start, length));

        private static string Sanitise(ReadOnlySpan<byte> bytes)
        {
            const int Max = 40;
            var slice = bytes.Length > Max ? bytes[..Max] : bytes;
            var builder = new StringBuilder(slice.Length + 3);
            foreach (byte b in slice)
            {
                builder.Append(b is >= 0x20 and < 0x7F ? (char)b : '?');
            }

            if (bytes.Length > Max)
            {
                builder.Append("...");
            }

            return builder.ToString();
        }
    }
}
