using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Release;

namespace DuisPrioritiser.DeadLetters.Internal;

/// <summary>
/// The on-disk form of one dead letter: <c>"DUISDLQ1"</c>, then level (1 byte), attempts (int32), dead-lettered-at and
/// received-at (UTC ticks, int64, plus the received-at offset in minutes, int16), reason and error (int32 length +
/// UTF-8; length -1 for none), the raw message (int32 length + bytes), then a CRC-32 of everything after the magic.
/// Little-endian throughout. Written by hand: a fixed binary layout with a checksum is all it needs, like the journal's.
/// </summary>
internal static class DeadLetterRecord
{
    private static readonly byte[] s_magic = "DUISDLQ1"u8.ToArray();

    public static StoredDeadLetter From(DeadLetter deadLetter, long id, DateTimeOffset now)
    {
        var message = deadLetter.Message.Message;
        var error = deadLetter.Exception is { } exception ? $"{exception.GetType().FullName}: {exception.Message}" : null;
        return new StoredDeadLetter(
            id,
            deadLetter.Message.Level,
            deadLetter.Reason,
            deadLetter.Attempts,
            now,
            message?.ReceivedAt ?? default,
            error,
            message is null ? ReadOnlyMemory<byte>.Empty : message.RawMessage.ToArray());
    }

    public static void ValidatePage(long afterId, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterId);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 10_000);
    }

    public static byte[] Encode(StoredDeadLetter letter)
    {
        var reason = Encoding.UTF8.GetBytes(letter.Reason);
        var error = letter.Error is null ? null : Encoding.UTF8.GetBytes(letter.Error);
        int bodyLength = 1 + 4 + 8 + 8 + 2 + 4 + reason.Length + 4 + (error?.Length ?? 0) + 4 + letter.RawMessage.Length;
        var buffer = new byte[s_magic.Length + bodyLength + 4];
        s_magic.CopyTo(buffer, 0);
        var span = buffer.AsSpan(s_magic.Length);
        int at = 0;
        span[at++] = (byte)letter.Level;
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], letter.Attempts);
        at += 4;
        BinaryPrimitives.WriteInt64LittleEndian(span[at..], letter.DeadLetteredAt.UtcTicks);
        at += 8;
        BinaryPrimitives.WriteInt64LittleEndian(span[at..], letter.ReceivedAt.UtcTicks);
        at += 8;
        BinaryPrimitives.WriteInt16LittleEndian(span[at..], (short)letter.ReceivedAt.Offset.TotalMinutes);
        at += 2;
        at = WriteBytes(span, at, reason);
        at = WriteBytes(span, at, error);
        at = WriteBytes(span, at, letter.RawMessage.Span);
        BinaryPrimitives.WriteUInt32LittleEndian(span[at..], Crc32.HashToUInt32(span[..at]));
        return buffer;
    }

    public static bool TryDecode(long id, ReadOnlySpan<byte> data, out StoredDeadLetter? letter, out string? problem)
    {
        letter = null;
        problem = null;
        try
        {
            if (data.Length < s_magic.Length + 4 || !data[..s_magic.Length].SequenceEqual(s_magic))
            {
                problem = "not a dead-letter file (bad magic)";
                return false;
            }

            var span = data[s_magic.Length..];
            var body = span[..^4];
            if (Crc32.HashToUInt32(body) != BinaryPrimitives.ReadUInt32LittleEndian(span[^4..]))
            {
                problem = "checksum mismatch";
                return false;
            }

            int at = 0;
            var level = (PriorityLevel)body[at++];
            int attempts = BinaryPrimitives.ReadInt32LittleEndian(body[at..]);
            at += 4;
            long deadLetteredAt = BinaryPrimitives.ReadInt64LittleEndian(body[at..]);
            at += 8;
            long receivedTicks = BinaryPrimitives.ReadInt64LittleEndian(body[at..]);
            at += 8;
            short offsetMinutes = BinaryPrimitives.ReadInt16LittleEndian(body[at..]);
            at += 2;
            var reason = ReadBytes(body, ref at) ?? throw new FormatException("missing reason");
            var error = ReadBytes(body, ref at);
            var raw = ReadBytes(body, ref at) ?? [];
            if (at != body.Length)
            {
                problem = "trailing bytes";
                return false;
            }

            var offset = TimeSpan.FromMinutes(offsetMinutes);
            var received = new DateTimeOffset(receivedTicks, TimeSpan.Zero).ToOffset(offset);
            letter = new StoredDeadLetter(id, level, Encoding.UTF8.GetString(reason), attempts, new DateTimeOffset(deadLetteredAt, TimeSpan.Zero), received, error is null ? null : Encoding.UTF8.GetString(error), raw);
            return true;
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException or IndexOutOfRangeException)
        {
            problem = exception.Message;
            return false;
        }
    }

    private static int WriteBytes(Span<byte> span, int at, ReadOnlySpan<byte> bytes)
    {
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], bytes.Length);
        at += 4;
        bytes.CopyTo(span[at..]);
        return at + bytes.Length;
    }

    private static int WriteBytes(Span<byte> span, int at, byte[]? bytes)
    {
        if (bytes is null)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[at..], -1);
            return at + 4;
        }

        return WriteBytes(span, at, (ReadOnlySpan<byte>)bytes);
    }

    private static byte[]? ReadBytes(ReadOnlySpan<byte> body, ref int at)
    {
        int length = BinaryPrimitives.ReadInt32LittleEndian(body[at..]);
        at += 4;
        if (length < 0)
        {
            return null;
        }

        if (length > body.Length - at)
        {
            throw new FormatException("length beyond the end of the file");
        }

        var bytes = body.Slice(at, length).ToArray();
        at += length;
        return bytes;
    }
}
