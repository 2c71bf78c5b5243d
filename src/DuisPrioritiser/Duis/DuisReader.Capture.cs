// Captured values: the text of the element being extracted, kept as a byte range when it is one plain run and
// copied (end-of-line normalised, references decoded) into a fixed buffer otherwise, then whitespace-trimmed. The
// first run is copied only when a second segment follows or it holds a CR, so the usual value costs no copy.

using System.Text;

namespace DuisPrioritiser.Duis;

/// <content>Capturing the text of extracted elements.</content>
internal static partial class DuisReader
{
    private ref partial struct Parser
    {
        private void AppendRaw(int start, int length)
        {
            _captureSegments++;
            if (_captureSegments == 1)
            {
                // Kept as a range; TryGetCapture or the next segment copies it if it has to.
                _rawStart = start;
                _rawLength = length;
                return;
            }

            CopyFirstSegment();
            CopyNormalised(_buf.Slice(start, length));
        }

        /// <summary>Copies the first raw segment into the capture buffer when it is still only a range.</summary>
        private void CopyFirstSegment()
        {
            if (_captureSegments >= 2 && _captureRawOnly && !_firstSegmentCopied)
            {
                _firstSegmentCopied = true;
                CopyNormalised(_buf.Slice(_rawStart, _rawLength));
            }
        }

        private void CopyNormalised(ReadOnlySpan<byte> raw)
        {
            if (raw.IndexOf((byte)'\r') < 0)
            {
                Copy(raw);
                return;
            }

            // End-of-line normalisation (XML 1.0 section 2.11): CRLF and a lone CR become LF. A segment never ends
            // between the CR and LF of a pair: raw text is split only at markup and references.
            while (!raw.IsEmpty)
            {
                int cr = raw.IndexOf((byte)'\r');
                if (cr < 0)
                {
                    Copy(raw);
                    return;
                }

                Copy(raw[..cr]);
                Copy("\n"u8);
                raw = raw[(cr + (cr + 1 < raw.Length && raw[cr + 1] == (byte)'\n' ? 2 : 1))..];
            }
        }

        /// <summary>Appends the character a reference named (a checked XML Char), UTF-8 encoded.</summary>
        private void AppendDecoded(uint value)
        {
            _captureSegments++;
            CopyFirstSegment();
            _captureRawOnly = false;
            if (_captureOverflow || !new Rune((int)value).TryEncodeToUtf8(_capture[_captureLength..], out int written))
            {
                _captureOverflow = true;
                return;
            }

            _captureLength += written;
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

        /// <summary>The captured value, end-of-line normalised and whitespace-trimmed; false when it was too long to
        /// keep. <paramref name="rawStart"/> is where it starts in the input when it is a plain run of the input's
        /// bytes, else -1 (the value is then in the capture buffer).</summary>
        private bool TryGetCapture(out ReadOnlySpan<byte> value, out int rawStart)
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
                if (value.IndexOf((byte)'\r') < 0)
                {
                    rawStart = start;
                    return true;
                }

                // A CR inside the value (a rare shape): copy it end-of-line normalised and read it from the copy.
                _firstSegmentCopied = true;
                CopyNormalised(_buf.Slice(_rawStart, _rawLength));
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
    }
}
