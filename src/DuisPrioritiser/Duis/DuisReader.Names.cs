// Names: the byte-class table for ASCII name characters, the XML 1.0 (5th edition) NameStartChar/NameChar
// ranges for non-ASCII characters (decoded from UTF-8 only when a byte >= 0x80 appears), and QName scanning.

using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;

namespace DuisPrioritiser.Duis;

/// <content>Scanning XML names and QNames.</content>
internal static partial class DuisReader
{
    /// <summary>XML 1.0 (5th edition) NameStartChar for a non-ASCII character, ':' excluded (Namespaces in XML).</summary>
    internal static bool IsNameStartChar(int c) => c switch
    {
        >= 0xC0 and <= 0xD6 => true,
        >= 0xD8 and <= 0xF6 => true,
        >= 0xF8 and <= 0x2FF => true,
        >= 0x370 and <= 0x37D => true,
        >= 0x37F and <= 0x1FFF => true,
        >= 0x200C and <= 0x200D => true,
        >= 0x2070 and <= 0x218F => true,
        >= 0x2C00 and <= 0x2FEF => true,
        >= 0x3001 and <= 0xD7FF => true,
        >= 0xF900 and <= 0xFDCF => true,
        >= 0xFDF0 and <= 0xFFFD => true,
        >= 0x10000 and <= 0xEFFFF => true,
        _ => false,
    };

    /// <summary>XML 1.0 (5th edition) NameChar for a non-ASCII character.</summary>
    internal static bool IsNameCharacter(int c)
        => IsNameStartChar(c) || c == 0xB7 || c is >= 0x300 and <= 0x36F || c is >= 0x203F and <= 0x2040;

    private ref partial struct Parser
    {
        /// <summary>Per byte: 1 when it may continue a name (ASCII NameChar minus ':', the QName separator), 2 when it
        /// may also start one. Non-ASCII bytes are 0 here: the scan leaves its fast loop on them and decodes the
        /// character to check it against the XML 1.0 (5th edition) ranges.</summary>
        private static ReadOnlySpan<byte> NameClass =>
        [
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
            0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 3,
            0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static bool IsNameStart(byte b) => (NameClass[b] & 2) != 0;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static bool IsNameChar(byte b) => (NameClass[b] & 1) != 0;

        /// <summary>The end of the non-ASCII character at <paramref name="i"/> when it is a NameStartChar
        /// (<paramref name="start"/>) or NameChar; otherwise <paramref name="i"/>.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private readonly int NonAsciiNameChar(int i, bool start)
        {
            // UTF-8 is validated before the tokenizer runs, so this decodes a whole character.
            if (Rune.DecodeFromUtf8(_buf[i..], out var rune, out int consumed) != OperationStatus.Done)
            {
                return i;
            }

            return (start ? IsNameStartChar(rune.Value) : IsNameCharacter(rune.Value)) ? i + consumed : i;
        }

        /// <summary>Scans a name that may hold one colon (a QName); returns its end and the colon position (or -1).</summary>
        /// <remarks>Names are short, so a scalar loop beats the call and setup of a vectorised search. ASCII name
        /// bytes are classified by a table; a non-ASCII byte leaves the fast loop and its character is decoded and
        /// checked against the XML 1.0 (5th edition) NameStartChar/NameChar ranges.</remarks>
        private readonly int ScanQName(int p, out int colon)
        {
            colon = -1;
            var buf = _buf;
            int i = NameStartEnd(p);
            if (i == p)
            {
                return p;
            }

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

                byte b = buf[i];
                if (b >= 0x80)
                {
                    int next = NonAsciiNameChar(i, start: false);
                    if (next == i)
                    {
                        return i;
                    }

                    i = next;
                    continue;
                }

                if (b == (byte)':' && colon < 0)
                {
                    int afterStart = NameStartEnd(i + 1);
                    if (afterStart > i + 1)
                    {
                        colon = i;
                        i = afterStart;
                        continue;
                    }
                }

                return i;
            }
        }

        /// <summary>The end of a name-start character at <paramref name="p"/>, or <paramref name="p"/> when there is none.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly int NameStartEnd(int p)
        {
            if ((uint)p >= (uint)_buf.Length)
            {
                return p;
            }

            byte b = _buf[p];
            if (IsNameStart(b))
            {
                return p + 1;
            }

            return b >= 0x80 ? NonAsciiNameChar(p, start: true) : p;
        }
    }
}
