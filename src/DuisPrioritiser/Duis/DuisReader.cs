// The reader's entry point and core: limits, the parser's state and its main loop over the document. The
// concerns live beside it: DuisReader.Tokenizer.cs (markup), .Names.cs, .Namespaces.cs, .References.cs,
// .Capture.cs (extracted text) and .Fields.cs (DUIS elements and values).

using System.Buffers;
using System.Diagnostics;
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
/// (<see cref="DuisReaderLimits"/>: depth, attributes per element, namespace declarations in scope). DTDs are refused as
/// soon as <c>&lt;!DOCTYPE</c> is seen, so no entity is expanded and nothing external is resolved.</para>
/// <para>It is not a schema validator and does not check the XML signature.</para>
/// <para>Locals are not zero-initialised (<see cref="SkipLocalsInitAttribute"/>): the stack buffers (about 3 KB with the
/// default limits) and the methods' struct locals would otherwise be cleared on every call, a fixed cost that was most
/// of the reader's time on small messages. Every buffer is read only where it has been written: frames below the
/// depth, bindings below their count, attribute names below this element's count, captured and decoded bytes below
/// their lengths.</para>
/// </remarks>
[SkipLocalsInit]
internal static partial class DuisReader
{
    /// <summary>The most bytes of an extracted value kept when it has to be decoded (references, CDATA, comments inside).</summary>
    public const int CaptureCapacity = 256;

    private const int UriScratchCapacity = 128;

    private static readonly SearchValues<byte> s_textStops = SearchValues.Create(WithControls("<&]"u8));
    private static readonly SearchValues<byte> s_doubleQuotedStops = SearchValues.Create(WithControls("\"<&"u8));
    private static readonly SearchValues<byte> s_singleQuotedStops = SearchValues.Create(WithControls("'<&"u8));
    private static readonly SearchValues<byte> s_controls = SearchValues.Create(WithControls(default));

    /// <summary>Reads <paramref name="xml"/> with the default limits; never throws for any input.</summary>
    public static bool TryRead(ReadOnlyMemory<byte> xml, [NotNullWhen(true)] out DuisMessage? message, out DuisParseError error)
        => TryRead(xml, DuisReaderLimits.Default, out message, out error);

    /// <summary>Reads <paramref name="xml"/>; never throws for any input.</summary>
    /// <remarks>The limits must come from <see cref="DuisReaderLimits.From"/> or <see cref="DuisReaderLimits.Default"/>
    /// (validated): the structural ones size the stack buffers, at most 1,024 entries each.</remarks>
    public static bool TryRead(ReadOnlyMemory<byte> xml, in DuisReaderLimits limits, [NotNullWhen(true)] out DuisMessage? message, out DuisParseError error)
    {
        message = null;
        var span = xml.Span;
        int maxMessageBytes = limits.MaxMessageBytes;
        if (span.Length > maxMessageBytes)
        {
            error = CreateError(span, DuisParseErrorCode.MessageTooLarge, 0,
                $"The message is {span.Length.ToString(CultureInfo.InvariantCulture)} bytes, over the limit of {maxMessageBytes.ToString(CultureInfo.InvariantCulture)} bytes (DuisReaderOptions.MaxMessageBytes).");
            return false;
        }

        Debug.Assert(limits.MaxDepth is >= 1 and <= DuisReaderOptions.MaxStructuralLimit, "validated limits");
        Debug.Assert(limits.MaxAttributesPerElement is >= 1 and <= DuisReaderOptions.MaxStructuralLimit, "validated limits");
        Debug.Assert(limits.MaxNamespaceDeclarations is >= 1 and <= DuisReaderOptions.MaxStructuralLimit, "validated limits");
        Span<Frame> frames = stackalloc Frame[Math.Clamp(limits.MaxDepth, 1, DuisReaderOptions.MaxStructuralLimit)];
        Span<NamespaceBinding> bindings = stackalloc NamespaceBinding[Math.Clamp(limits.MaxNamespaceDeclarations, 1, DuisReaderOptions.MaxStructuralLimit)];
        Span<Range> attributes = stackalloc Range[Math.Clamp(limits.MaxAttributesPerElement, 1, DuisReaderOptions.MaxStructuralLimit)];
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

        /// <summary>http://www.w3.org/XML/1998/namespace, bound to the xml prefix and to nothing else.</summary>
        Xml,

        /// <summary>http://www.w3.org/2000/xmlns/, which may never be declared.</summary>
        Xmlns,
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

        // The declaration's raw value (between the quotes), to compare URIs for duplicate expanded attribute names.
        public int UriStart;
        public int UriLength;
        public Ns Uri;

        // True when the raw value holds a reference or a literal tab, CR or LF, so it must be normalised to compare.
        public bool UriNeedsNormalising;
    }

    private ref partial struct Parser
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
        private bool _firstSegmentCopied;
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

            // ASCII (the usual DUIS message) is valid UTF-8 and holds no non-character: one vectorised pass decides it.
            // Otherwise only the rest from the first non-ASCII byte is checked.
            if (!Ascii.IsValid(buf) && !CheckNonAscii(buf.IndexOfAnyInRange((byte)0x80, (byte)0xFF)))
            {
                return false;
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
                    int rel = IndexOfTextStop(buf[p..]);
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
                        if (!ParseReference(ref p, out uint value))
                        {
                            return false;
                        }

                        if (IsCapturing)
                        {
                            AppendDecoded(value);
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

        // The contexts OnExit has something to check or convert for: the captured values and the containers whose
        // required children are checked on their end tag. Every other element (most of them: signature, payload
        // wrappers, unknown elements) closes without the call.
        private const uint ExitContexts = CaptureContexts | (1u << (int)Ctx.Root) | (1u << (int)Ctx.Body) | (1u << (int)Ctx.ResponseMessage)
            | (1u << (int)Ctx.DeviceAlertMessage) | (1u << (int)Ctx.DccAlertMessage);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static bool HasExitWork(Ctx ctx) => ((ExitContexts >> (int)ctx) & 1) != 0;

        private bool Fail(DuisParseErrorCode code, int offset, string detail)
        {
            ErrorCode = code;
            ErrorOffset = offset;
            ErrorDetail = detail;
            return false;
        }

        /// <summary>From the first non-ASCII byte on: valid UTF-8 (vectorised), and no U+FFFE or U+FFFF anywhere (these
        /// are the only non-characters valid UTF-8 can still encode besides the C0 controls, which the tokenizer
        /// rejects where it scans text).</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private bool CheckNonAscii(int from)
        {
            var rest = _buf[from..];
            if (!Utf8.IsValid(rest))
            {
                return Fail(DuisParseErrorCode.InvalidUtf8, from + FindInvalidUtf8(rest), "The message is not valid UTF-8");
            }

            // U+FFFE is EF BF BE and U+FFFF is EF BF BF in UTF-8.
            ReadOnlySpan<byte> lead = [0xEF, 0xBF];
            int at = 0;
            while (true)
            {
                int rel = rest[at..].IndexOf(lead);
                if (rel < 0)
                {
                    return true;
                }

                at += rel;
                if (at + 2 < rest.Length && rest[at + 2] >= 0xBE)
                {
                    return Fail(DuisParseErrorCode.InvalidCharacter, from + at, rest[at + 2] == 0xBE
                        ? "The character U+FFFE is not allowed in XML"
                        : "The character U+FFFF is not allowed in XML");
                }

                at += 2;
            }
        }

        /// <summary>The vectorised search through character data (GBCS payloads, signatures: most of a large message).</summary>
        /// <remarks>Kept out of line and fully optimised at once: inlined into <see cref="Run"/> by tiered PGO, the
        /// search ran about 20% slower through a 200 KB payload in some processes and not in others
        /// (benchmarks/results/ReaderConformanceCost.md, run 5).</remarks>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static int IndexOfTextStop(ReadOnlySpan<byte> text) => text.IndexOfAny(s_textStops);

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
    }
}
