// Names: the byte-class table for ASCII name characters, the XML 1.0 (5th edition) NameStartChar/NameChar
// ranges for non-ASCII characters (decoded from UTF-8 only when a byte >= 0x80 appears), and QName scanning.

using System.Runtime.CompilerServices;

namespace DuisPrioritiser.Duis;

/// <content>Scanning XML names and QNames.</content>
internal static partial class DuisReader
{
    private ref partial struct Parser
    {
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
    }
}
