// Captured values: the text of the element being extracted, kept as a byte range when it is one plain run and
// copied (end-of-line normalised, references decoded) into a fixed buffer otherwise, then whitespace-trimmed.

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
    }
}
