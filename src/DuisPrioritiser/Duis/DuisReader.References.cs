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
        /// Parses a reference at <paramref name="p"/> into the scalar value it names (checked to be an XML Char) and
        /// moves <paramref name="p"/> past its ';'. The callers encode the character where they keep it, so no
        /// method on the hot path needs a stack buffer (which would keep it from tiered, profile-guided compilation).
        /// </summary>
        private bool ParseReference(ref int p, out uint value)
        {
            // The reference is scanned byte by byte up to the first byte that cannot belong to it, so any number of
            // leading zeros is accepted (XML allows them) and the work stays linear in the input.
            var buf = _buf;
            int start = p;
            int i = p + 1;
            value = 0;
            if (i < buf.Length && buf[i] == (byte)'#')
            {
                i++;
                bool hex = i < buf.Length && buf[i] == (byte)'x';
                if (hex)
                {
                    i++;
                }

                int digitsStart = i;
                value = 0;
                while (i < buf.Length)
                {
                    byte d = buf[i];
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
                        break;
                    }

                    // Saturate just above the last Unicode scalar value: the reference is rejected below either way.
                    value = Math.Min((value * (hex ? 16u : 10u)) + digit, 0x110000u);
                    i++;
                }

                if (i >= buf.Length)
                {
                    return Fail(DuisParseErrorCode.UnexpectedEnd, buf.Length, "The message ends inside a reference (truncated?)");
                }

                if (i == digitsStart || buf[i] != (byte)';')
                {
                    return Fail(DuisParseErrorCode.InvalidReference, start, hex
                        ? "A malformed character reference: expected '&#x', hexadecimal digits and ';'"
                        : "A malformed character reference: expected '&#', decimal digits and ';' (or '&#x' and hexadecimal digits)");
                }

                bool legal = value is 0x9 or 0xA or 0xD or (>= 0x20 and <= 0xD7FF) or (>= 0xE000 and <= 0xFFFD) or (>= 0x10000 and <= 0x10FFFF);
                if (!legal)
                {
                    return Fail(DuisParseErrorCode.InvalidReference, start, "The character reference names a character XML does not allow");
                }
            }
            else
            {
                while (i < buf.Length && IsNameChar(buf[i]))
                {
                    i++;
                }

                if (i >= buf.Length)
                {
                    return Fail(DuisParseErrorCode.UnexpectedEnd, buf.Length, "The message ends inside a reference (truncated?)");
                }

                if (i == p + 1 || buf[i] != (byte)';')
                {
                    return Fail(DuisParseErrorCode.InvalidReference, start, "A malformed reference: '&' must start '&amp;', '&lt;', '&gt;', '&quot;', '&apos;' or '&#...;'");
                }

                var body = buf[(p + 1)..i];
                if (body.SequenceEqual("lt"u8))
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
            }

            p = i + 1;
            return true;
        }
    }
}
