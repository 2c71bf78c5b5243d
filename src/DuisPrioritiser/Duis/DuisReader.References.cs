// Character and reference decoding: the five predefined entities and decimal/hex character references (any
// number of leading zeros), checked to name an XML Char, and the scan for characters XML does not allow.

using System.Text;

namespace DuisPrioritiser.Duis;

/// <content>Entity and character references.</content>
internal static partial class DuisReader
{
    private ref partial struct Parser
    {
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
    }
}
