// Namespace resolution: declarations in scope (checked against the reserved xml/xmlns bindings of Namespaces in
// XML 1.0), classification of the URIs the reader cares about, prefix lookup, and the expanded-name comparison
// behind duplicate-attribute detection.

using System.Buffers;
using System.Globalization;
using System.Text;

namespace DuisPrioritiser.Duis;

/// <content>Namespace declarations and prefix resolution.</content>
internal static partial class DuisReader
{
    private const string XmlNamespace = "http://www.w3.org/XML/1998/namespace";
    private const string XmlnsNamespace = "http://www.w3.org/2000/xmlns/";

    private ref partial struct Parser
    {
        /// <summary>Appends the character a reference in a namespace URI named (a checked XML Char), UTF-8 encoded.</summary>
        private void AppendScratch(uint value, ref int length, ref bool overflow)
        {
            if (overflow || !new Rune((int)value).TryEncodeToUtf8(_uriScratch[length..], out int written))
            {
                overflow = true;
                return;
            }

            length += written;
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

            if (uri.SequenceEqual("http://www.dccinterface.co.uk/ResponseAndAlert"u8))
            {
                return Ns.ResponseAndAlert;
            }

            if (uri.SequenceEqual("http://www.w3.org/XML/1998/namespace"u8))
            {
                return Ns.Xml;
            }

            return uri.SequenceEqual("http://www.w3.org/2000/xmlns/"u8) ? Ns.Xmlns : Ns.Other;
        }

        /// <summary>
        /// Records the declaration <c>xmlns="..."</c> (<paramref name="prefixStart"/> &lt; 0) or <c>xmlns:p="..."</c>
        /// whose raw value is <c>[valueStart, valueEnd)</c>, after the rules of Namespaces in XML 1.0 (third edition):
        /// <c>xmlns</c> is never declared and its namespace never bound; <c>xml</c> is bound only to its own
        /// namespace and that namespace to no other prefix nor as the default; a prefix is never bound to an empty
        /// URI; and an element declares each prefix (and the default) at most once.
        /// </summary>
        private bool DeclareNamespace(int p, int prefixStart, int nameEnd, int bindingMark, int valueStart, int valueEnd, bool decoded, int scratchLength, bool scratchOverflow)
        {
            var raw = _buf[valueStart..valueEnd];
            Ns kind = scratchOverflow ? Ns.Other : Classify(decoded ? _uriScratch[..scratchLength] : raw);
            int prefixLength = prefixStart < 0 ? 0 : nameEnd - prefixStart;
            if (prefixStart >= 0)
            {
                var prefix = _buf.Slice(prefixStart, prefixLength);
                if (prefix.SequenceEqual("xmlns"u8))
                {
                    return Fail(DuisParseErrorCode.InvalidNamespaceDeclaration, p, "The prefix 'xmlns' cannot be declared");
                }

                bool isXml = prefix.SequenceEqual("xml"u8);
                if (isXml != (kind == Ns.Xml))
                {
                    return Fail(DuisParseErrorCode.InvalidNamespaceDeclaration, p, isXml
                        ? "The prefix 'xml' can only be bound to " + XmlNamespace
                        : "The namespace " + XmlNamespace + " can only be bound to the prefix 'xml'");
                }

                if (kind == Ns.Xmlns)
                {
                    return Fail(DuisParseErrorCode.InvalidNamespaceDeclaration, p, "The namespace " + XmlnsNamespace + " cannot be declared");
                }

                if (kind == Ns.None)
                {
                    return Fail(DuisParseErrorCode.InvalidNamespaceDeclaration, p, "A namespace prefix cannot be bound to an empty URI");
                }
            }
            else if (kind is Ns.Xml or Ns.Xmlns)
            {
                return Fail(DuisParseErrorCode.InvalidNamespaceDeclaration, p, "The default namespace cannot be " + (kind == Ns.Xml ? XmlNamespace : XmlnsNamespace));
            }

            for (int b = bindingMark; b < _bindingCount; b++)
            {
                ref var other = ref _bindings[b];
                if (other.PrefixLength == prefixLength && (prefixLength == 0 || _buf.Slice(other.PrefixStart, prefixLength).SequenceEqual(_buf.Slice(prefixStart, prefixLength))))
                {
                    return Fail(DuisParseErrorCode.DuplicateAttribute, p, "The attribute '" + Excerpt(p, nameEnd - p) + "' appears twice");
                }
            }

            if (_bindingCount == _bindings.Length)
            {
                return Fail(DuisParseErrorCode.LimitExceeded, p, "More than " + _bindings.Length.ToString(CultureInfo.InvariantCulture) + " namespace declarations in scope (DuisReaderOptions.MaxNamespaceDeclarations)");
            }

            ref var binding = ref _bindings[_bindingCount++];
            binding.PrefixStart = prefixStart < 0 ? p : prefixStart;
            binding.PrefixLength = prefixLength;
            binding.Uri = kind;
            binding.UriStart = valueStart;
            binding.UriLength = raw.Length;
            // Only URIs classified Other are ever compared by their text (SameNamespace), so only they are scanned.
            binding.UriNeedsNormalising = kind == Ns.Other && (decoded || raw.IndexOfAny((byte)'\t', (byte)'\n', (byte)'\r') >= 0);
            return true;
        }

        /// <summary>
        /// Checks the ordinary attributes of the start tag just read: each prefix is declared, and no two attributes
        /// share a qualified name or an expanded name (the same local name through two prefixes bound to one URI).
        /// </summary>
        private bool CheckAttributes(int count)
        {
            for (int a = 0; a < count; a++)
            {
                var (start, length) = _attributes[a].GetOffsetAndLength(_buf.Length);
                var name = _buf.Slice(start, length);
                int colon = name.IndexOf((byte)':');
                if (colon > 0 && !Resolve(start, colon, out _, out _))
                {
                    return false;
                }

                for (int b = 0; b < a; b++)
                {
                    var (otherStart, otherLength) = _attributes[b].GetOffsetAndLength(_buf.Length);
                    var other = _buf.Slice(otherStart, otherLength);
                    if (name.SequenceEqual(other))
                    {
                        return Fail(DuisParseErrorCode.DuplicateAttribute, start, "The attribute '" + Excerpt(start, length) + "' appears twice");
                    }

                    if (colon <= 0)
                    {
                        continue; // An unprefixed attribute has no namespace: only its qualified name can collide.
                    }

                    int otherColon = other.IndexOf((byte)':');
                    if (otherColon > 0 && name[(colon + 1)..].SequenceEqual(other[(otherColon + 1)..]) && SameNamespace(start, colon, otherStart, otherColon))
                    {
                        return Fail(DuisParseErrorCode.DuplicateAttribute, start, "The attributes '" + Excerpt(otherStart, otherLength) + "' and '" + Excerpt(start, length) + "' have the same expanded name: their prefixes are bound to one namespace");
                    }
                }
            }

            return true;
        }

        /// <summary>Whether two declared prefixes are bound to the same namespace URI.</summary>
        private bool SameNamespace(int prefixStart, int prefixLength, int otherStart, int otherLength)
        {
            if (!Resolve(prefixStart, prefixLength, out _, out int x) || !Resolve(otherStart, otherLength, out _, out int y))
            {
                return false;
            }

            // -1 is the predefined xml prefix, the only one that can name the XML namespace.
            if (x < 0 || y < 0 || x == y)
            {
                return x == y;
            }

            ref var first = ref _bindings[x];
            ref var second = ref _bindings[y];
            if (first.Uri != second.Uri)
            {
                return false;
            }

            if (first.Uri != Ns.Other)
            {
                return true;
            }

            var firstRaw = _buf.Slice(first.UriStart, first.UriLength);
            var secondRaw = _buf.Slice(second.UriStart, second.UriLength);
            if (!first.UriNeedsNormalising && !second.UriNeedsNormalising)
            {
                return firstRaw.SequenceEqual(secondRaw);
            }

            // Rare: a URI written with references or literal whitespace. Normalise both as XML normalises attribute
            // values (references decoded; tab, CR, LF and CRLF each one space); decoded values are never longer.
            byte[] rented = ArrayPool<byte>.Shared.Rent(firstRaw.Length + secondRaw.Length);
            try
            {
                int n1 = NormaliseAttributeValue(first.UriStart, first.UriStart + first.UriLength, rented);
                int n2 = NormaliseAttributeValue(second.UriStart, second.UriStart + second.UriLength, rented.AsSpan(n1));
                return rented.AsSpan(0, n1).SequenceEqual(rented.AsSpan(n1, n2));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        /// <summary>Writes the normalised value of an attribute whose raw value (already checked) is <c>[start, end)</c>.</summary>
        private int NormaliseAttributeValue(int start, int end, Span<byte> destination)
        {
            int written = 0;
            int i = start;
            while (i < end)
            {
                byte b = _buf[i];
                if (b == (byte)'&')
                {
                    if (!ParseReference(ref i, out uint value))
                    {
                        return written; // Cannot happen: the value was checked when it was read.
                    }

                    written += new Rune((int)value).EncodeToUtf8(destination[written..]);
                    continue;
                }

                if (b is (byte)'\t' or (byte)'\n' or (byte)'\r')
                {
                    destination[written++] = (byte)' ';
                    i += b == (byte)'\r' && i + 1 < end && _buf[i + 1] == (byte)'\n' ? 2 : 1;
                    continue;
                }

                destination[written++] = b;
                i++;
            }

            return written;
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

        /// <summary>Resolves a prefix to its namespace and the index of its binding (-1 for the predefined <c>xml</c>).</summary>
        private bool Resolve(int prefixStart, int prefixLength, out Ns ns, out int bindingIndex)
        {
            var prefix = _buf.Slice(prefixStart, prefixLength);
            for (int i = _bindingCount - 1; i >= 0; i--)
            {
                ref var binding = ref _bindings[i];
                if (binding.PrefixLength == prefixLength && _buf.Slice(binding.PrefixStart, prefixLength).SequenceEqual(prefix))
                {
                    ns = binding.Uri;
                    bindingIndex = i;
                    return true;
                }
            }

            bindingIndex = -1;
            if (prefix.SequenceEqual("xml"u8))
            {
                ns = Ns.Xml;
                return true;
            }

            ns = Ns.None;
            return Fail(DuisParseErrorCode.UndeclaredPrefix, prefixStart, "The namespace prefix '" + Excerpt(prefixStart, prefixLength) + "' is not declared");
        }
    }
}
