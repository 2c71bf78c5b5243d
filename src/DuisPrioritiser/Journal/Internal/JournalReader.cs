using System.Buffers.Binary;
using System.Globalization;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using Microsoft.Win32.SafeHandles;

namespace DuisPrioritiser.Journal.Internal;

/// <summary>
/// Reads held messages back from their segments on release: one read-ahead buffer per level (the bounded cache), each
/// filled with one positional read of <see cref="ReadAheadSize"/> bytes from the record asked for, so that a level's
/// messages, appended in order, are read sequentially and mostly served from memory.
/// </summary>
/// <remarks>
/// Hand-written rather than a <see cref="FileStream"/> per level: a stream's buffer is discarded on every seek, and
/// releases of one level jump over the records of the others. The buffer of a level is used under that level's lock,
/// so readers of different levels never wait for each other. A record read from the buffer that does not verify may
/// have been copied while the writer was still writing it (the buffer can run past the last fsynced record); it is
/// read again from the file before it is reported as damage. Segments holding a live message are never deleted
/// (see <see cref="FileMessageJournal"/>), so a held message's record is always there.
/// </remarks>
internal sealed class JournalReader(string directory) : IDisposable
{
    /// <summary>Bytes read ahead per level: 256 KiB, about a hundred 2 KB messages per read.</summary>
    public const int ReadAheadSize = 256 * 1024;

    private readonly string _directory = directory;
    private readonly LevelBuffer[] _levels = CreateBuffers();

    /// <summary>Gets the number of positional reads made (for tests and the benchmark).</summary>
    public long Reads => Interlocked.Read(ref _reads);

    private long _reads;

    /// <exception cref="JournalCorruptedException">The record does not verify.</exception>
    /// <exception cref="IOException">The segment cannot be read.</exception>
    public DuisMessage Read(long locator, PriorityLevel level)
    {
        var buffer = _levels[(int)level];
        lock (buffer)
        {
            return buffer.Read(this, locator);
        }
    }

    public void Dispose()
    {
        foreach (var buffer in _levels)
        {
            lock (buffer)
            {
                buffer.Close();
            }
        }
    }

    private static LevelBuffer[] CreateBuffers()
    {
        var buffers = new LevelBuffer[PriorityLevels.Count];
        for (int i = 0; i < buffers.Length; i++)
        {
            buffers[i] = new LevelBuffer();
        }

        return buffers;
    }

    private string SegmentPath(long number)
        => Path.Combine(_directory, number.ToString("D12", CultureInfo.InvariantCulture) + FileMessageJournal.SegmentExtension);

    private sealed class LevelBuffer
    {
        private byte[]? _data;
        private SafeFileHandle? _handle;
        private long _segment = -1;
        private long _start;
        private int _count;

        public DuisMessage Read(JournalReader owner, long locator)
        {
            long segment = JournalPosition.SegmentOf(locator);
            long offset = JournalPosition.OffsetOf(locator);
            if (segment != _segment)
            {
                _handle?.Dispose();
                _handle = null;
                _count = 0;
                _segment = segment;
                _handle = File.OpenHandle(owner.SegmentPath(segment), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            }

            _data ??= new byte[ReadAheadSize];
            for (int attempt = 0; ; attempt++)
            {
                if (attempt > 0 || offset < _start || offset + JournalRecordCodec.MinRecordSize > _start + _count)
                {
                    Fill(owner, offset);
                }

                var available = _data.AsSpan((int)(offset - _start), (int)(_start + _count - offset));
                if (available.Length < 4)
                {
                    throw Damaged(owner, segment, offset, "the record runs past the end of the segment");
                }

                int length = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(available), int.MaxValue);
                if (length > _data.Length && length <= JournalRecordCodec.MaxRecordSize)
                {
                    // Larger than the read-ahead window: read this one record on its own.
                    var large = new byte[length];
                    int read = RandomAccess.Read(_handle!, large, offset);
                    Interlocked.Increment(ref owner._reads);
                    return TryDecode(large.AsSpan(0, read), out string? largeReason) ?? throw Damaged(owner, segment, offset, largeReason!);
                }

                if (length <= available.Length)
                {
                    bool final = attempt > 0;
                    var message = TryDecode(available[..length], out string? reason);
                    if (message is not null)
                    {
                        return message;
                    }

                    if (final)
                    {
                        throw Damaged(owner, segment, offset, reason!);
                    }
                }
                else if (attempt > 0)
                {
                    throw Damaged(owner, segment, offset, "the record runs past the end of the segment");
                }
            }
        }

        public void Close()
        {
            _handle?.Dispose();
            _handle = null;
            _segment = -1;
            _count = 0;
            _data = null;
        }

        private static DuisMessage? TryDecode(ReadOnlySpan<byte> record, out string? reason)
        {
            if (!JournalRecordCodec.TryReadRecord(record, out var type, out _, out _, out var body, out _, out byte format)
                || type != JournalRecordType.Enqueue)
            {
                reason = "bad checksum or length of a held message's record";
                return null;
            }

            try
            {
                reason = null;
                return JournalRecordCodec.ReadMessage(body, format);
            }
            catch (FormatException ex)
            {
                reason = ex.Message;
                return null;
            }
        }

        private static JournalCorruptedException Damaged(JournalReader owner, long segment, long offset, string reason)
            => new(owner.SegmentPath(segment), offset, reason);

        private void Fill(JournalReader owner, long offset)
        {
            _start = offset;
            _count = RandomAccess.Read(_handle!, _data, offset);
            Interlocked.Increment(ref owner._reads);
        }
    }
}
