// The byte-level tokenizer: the XML declaration, processing instructions, comments, CDATA, DOCTYPE refusal,
// start tags with their attributes, end tags, and the element stack. It hands element names to namespace
// resolution and DUIS field extraction, and text to character/reference decoding.

using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace DuisPrioritiser.Duis;

/// <content>The byte-level tokenizer for markup.</content>
internal static partial class DuisReader
{
    private ref partial struct Parser
    {
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
                    if (!Ascii.EqualsIgnoreCase(value, "UTF-8"u8))
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
            int targetEnd = ScanQName(targetStart, out int targetColon);
            if (targetEnd >= _buf.Length)
            {
                return Fail(DuisParseErrorCode.UnexpectedEnd, _buf.Length, "The message ends inside a processing instruction (truncated?)");
            }

            if (targetEnd == targetStart)
            {
                return Fail(DuisParseErrorCode.MalformedXml, targetStart, "Expected a processing instruction target name");
            }

            if (targetColon >= 0 || _buf[targetEnd] == (byte)':')
            {
                return Fail(DuisParseErrorCode.MalformedXml, targetColon >= 0 ? targetColon : targetEnd, "A processing instruction target cannot contain a colon (Namespaces in XML)");
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
            if (HasExitWork(frame.Context) && !OnExit(frame.Context, p))
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

                if (!ParseAttribute(afterSpace, bindingMark, ref attributeCount, out i))
                {
                    return false;
                }
            }

            // Every prefix used by the attributes must be declared (possibly on this element), and no two attributes
            // may share a qualified name or, through different prefixes bound to one URI, an expanded name.
            if (attributeCount > 0 && !CheckAttributes(attributeCount))
            {
                return false;
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
                if (!Resolve(nameStart, colon - nameStart, out ns, out _))
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
                if (_depth >= _frames.Length)
                {
                    return Fail(DuisParseErrorCode.LimitExceeded, tagStart, "Elements are nested deeper than " + _frames.Length.ToString(CultureInfo.InvariantCulture) + " levels (DuisReaderOptions.MaxDepth)");
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
                _firstSegmentCopied = false;
                _captureOverflow = false;
                _rawStart = 0;
                _rawLength = 0;
            }

            if (selfClosing)
            {
                if (HasExitWork(context) && !OnExit(context, tagStart))
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

        private bool ParseAttribute(int p, int bindingMark, ref int attributeCount, out int end)
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

            var name = _buf[p..nameEnd];
            bool isDefaultDeclaration = colon < 0 && name.SequenceEqual("xmlns"u8);
            bool isPrefixDeclaration = colon == p + 5 && name.StartsWith("xmlns:"u8);
            bool isDeclaration = isDefaultDeclaration || isPrefixDeclaration;
            if (!isDeclaration)
            {
                // Namespace declarations are counted against MaxNamespaceDeclarations instead, and checked for
                // duplicates among this element's bindings.
                if (attributeCount == _attributes.Length)
                {
                    return Fail(DuisParseErrorCode.LimitExceeded, p, "More than " + _attributes.Length.ToString(CultureInfo.InvariantCulture) + " attributes on one element (DuisReaderOptions.MaxAttributesPerElement)");
                }

                _attributes[attributeCount++] = new Range(p, nameEnd);
            }

            // Scan the value, decoding it only for a namespace declaration (to classify the URI).
            var stops = quote == (byte)'"' ? s_doubleQuotedStops : s_singleQuotedStops;
            int valueStart = i + 1;
            int v = valueStart;
            int scratchLength = 0;
            bool scratchOverflow = false;
            bool decoded = false;
            while (true)
            {
                int rel = _buf[v..].IndexOfAny(stops);
                if (rel < 0)
                {
                    return Fail(DuisParseErrorCode.UnexpectedEnd, _buf.Length, "The message ends inside an attribute value (truncated?)");
                }

                if (isDeclaration && rel > 0)
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
                    if (!ParseReference(ref v, out uint value))
                    {
                        return false;
                    }

                    if (isDeclaration)
                    {
                        decoded = true;
                        AppendScratch(value, ref scratchLength, ref scratchOverflow);
                    }

                    continue;
                }

                return stop == (byte)'<'
                    ? Fail(DuisParseErrorCode.MalformedXml, v, "'<' is not allowed in an attribute value")
                    : Fail(DuisParseErrorCode.InvalidCharacter, v, "A control character that XML does not allow");
            }

            end = v + 1;
            return !isDeclaration || DeclareNamespace(p, isPrefixDeclaration ? colon + 1 : -1, nameEnd, bindingMark, valueStart, v, decoded, scratchLength, scratchOverflow);
        }
    }
}
