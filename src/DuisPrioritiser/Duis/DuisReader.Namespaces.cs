// Namespace resolution: declarations in scope, the reserved xml/xmlns bindings, classification of the URIs the
// reader cares about, prefix lookup, and the expanded-name comparison behind duplicate-attribute detection.

namespace DuisPrioritiser.Duis;

/// <content>Namespace declarations and prefix resolution.</content>
internal static partial class DuisReader
{
    private ref partial struct Parser
    {
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
    }
}
