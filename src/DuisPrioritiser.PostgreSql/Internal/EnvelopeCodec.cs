using System.Buffers.Binary;
using System.Text;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.PostgreSql.Internal;

/// <summary>
/// Writes and reads the part of a <see cref="DuisMessage"/> the reader found (kind, SRV, codes, ids, times) as a
/// compact byte string for the <c>envelope</c> column, so a claimed message is rebuilt without parsing its XML again
/// (and a message built in code, without raw bytes, round-trips too). The raw bytes go to their own column.
/// </summary>
/// <remarks>
/// Layout, version 1 (little-endian): version byte, kind, flags (1 DCC-scheduled, 2 throttled count, 4 response
/// time), SRV component count, major, minor, variant (uint16 each), three codes (length byte + ASCII), throttled count
/// (int32), response time and received time (ticks int64 + offset minutes int16 each), then request id, response id,
/// payload name (int32 length, -1 for null, + UTF-8).
/// </remarks>
internal static class EnvelopeCodec
{
    private const byte Version = 1;

    public static byte[] Write(DuisMessage message)
    {
        var requestId = message.RequestId;
        var responseId = message.ResponseId;
        var payloadName = message.DccAlertPayloadName;
        int size = 4 + 6 + (3 * (1 + DuisCode.MaxLength)) + 4 + 20 + StringSize(requestId) + StringSize(responseId) + StringSize(payloadName);
        var buffer = new byte[size];
        var span = buffer.AsSpan();
        int position = 0;
        var srv = message.ServiceReferenceVariant;
        span[position++] = Version;
        span[position++] = (byte)message.Kind;
        span[position++] = (byte)((message.IsDccScheduled ? 1 : 0) | (message.ThrottledAlertCount.HasValue ? 2 : 0) | (message.ResponseDateTime.HasValue ? 4 : 0));
        span[position++] = (byte)srv.ComponentCount;
        WriteUInt16(span, ref position, srv.Major);
        WriteUInt16(span, ref position, srv.Minor);
        WriteUInt16(span, ref position, srv.Variant ?? 0);
        WriteCode(span, ref position, message.ResponseCode);
        WriteCode(span, ref position, message.AlertCode);
        WriteCode(span, ref position, message.FutureDatedOutcome);
        BinaryPrimitives.WriteInt32LittleEndian(span[position..], message.ThrottledAlertCount ?? 0);
        position += 4;
        WriteTime(span, ref position, message.ResponseDateTime ?? default);
        WriteTime(span, ref position, message.ReceivedAt);
        WriteString(span, ref position, requestId);
        WriteString(span, ref position, responseId);
        WriteString(span, ref position, payloadName);
        return position == buffer.Length ? buffer : buffer[..position];
    }

    /// <exception cref="FormatException">The envelope is damaged or of an unknown version.</exception>
    public static DuisMessage Read(ReadOnlySpan<byte> envelope, ReadOnlyMemory<byte> raw)
    {
        try
        {
            int position = 0;
            if (envelope[position++] != Version)
            {
                throw new FormatException($"Unknown envelope version {envelope[0]}.");
            }

            var kind = (DuisMessageKind)envelope[position++];
            byte flags = envelope[position++];
            int srvCount = envelope[position++];
            int major = ReadUInt16(envelope, ref position);
            int minor = ReadUInt16(envelope, ref position);
            int variant = ReadUInt16(envelope, ref position);
            var responseCode = ReadCode(envelope, ref position);
            var alertCode = ReadCode(envelope, ref position);
            var futureDated = ReadCode(envelope, ref position);
            int throttled = BinaryPrimitives.ReadInt32LittleEndian(envelope[position..]);
            position += 4;
            var responseTime = ReadTime(envelope, ref position);
            var receivedAt = ReadTime(envelope, ref position);
            var requestId = ReadString(envelope, ref position);
            var responseId = ReadString(envelope, ref position);
            var payloadName = ReadString(envelope, ref position);
            if (!Enum.IsDefined(kind))
            {
                throw new FormatException($"Unknown message kind {(int)kind}.");
            }

            return new DuisMessage(kind, raw)
            {
                ServiceReferenceVariant = srvCount switch
                {
                    0 => ServiceReferenceVariant.None,
                    2 => ServiceReferenceVariant.Create(major, minor),
                    3 => ServiceReferenceVariant.Create(major, minor, variant),
                    _ => throw new FormatException($"Invalid SRV component count {srvCount}."),
                },
                ResponseCode = responseCode,
                AlertCode = alertCode,
                FutureDatedOutcome = futureDated,
                IsDccScheduled = (flags & 1) != 0,
                ThrottledAlertCount = (flags & 2) != 0 ? throttled : null,
                ResponseDateTime = (flags & 4) != 0 ? responseTime : null,
                ReceivedAt = receivedAt,
                RequestId = requestId,
                ResponseId = responseId,
                DccAlertPayloadName = payloadName,
            };
        }
        catch (Exception ex) when (ex is ArgumentException or IndexOutOfRangeException)
        {
            throw new FormatException("The stored envelope is damaged.", ex);
        }
    }

    private static int StringSize(string? value) => 4 + (value is null ? 0 : Encoding.UTF8.GetByteCount(value));

    private static void WriteUInt16(Span<byte> span, ref int position, int value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(span[position..], (ushort)value);
        position += 2;
    }

    private static int ReadUInt16(ReadOnlySpan<byte> span, ref int position)
    {
        int value = BinaryPrimitives.ReadUInt16LittleEndian(span[position..]);
        position += 2;
        return value;
    }

    private static void WriteCode(Span<byte> span, ref int position, DuisCode code)
    {
        Span<char> chars = stackalloc char[DuisCode.MaxLength];
        var text = code.ToString();
        text.AsSpan().CopyTo(chars);
        span[position++] = (byte)text.Length;
        for (int i = 0; i < text.Length; i++)
        {
            span[position++] = (byte)chars[i];
        }
    }

    private static DuisCode ReadCode(ReadOnlySpan<byte> span, ref int position)
    {
        int length = span[position++];
        if (length == 0)
        {
            return DuisCode.None;
        }

        var bytes = span.Slice(position, length);
        position += length;
        return DuisCode.TryParse(bytes, out var code) ? code : throw new FormatException("Invalid DUIS code in the stored envelope.");
    }

    private static void WriteTime(Span<byte> span, ref int position, DateTimeOffset time)
    {
        BinaryPrimitives.WriteInt64LittleEndian(span[position..], time.Ticks);
        BinaryPrimitives.WriteInt16LittleEndian(span[(position + 8)..], (short)time.Offset.TotalMinutes);
        position += 10;
    }

    private static DateTimeOffset ReadTime(ReadOnlySpan<byte> span, ref int position)
    {
        long ticks = BinaryPrimitives.ReadInt64LittleEndian(span[position..]);
        short offset = BinaryPrimitives.ReadInt16LittleEndian(span[(position + 8)..]);
        position += 10;
        return new DateTimeOffset(ticks, TimeSpan.FromMinutes(offset));
    }

    private static void WriteString(Span<byte> span, ref int position, string? value)
    {
        if (value is null)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[position..], -1);
            position += 4;
            return;
        }

        int written = Encoding.UTF8.GetBytes(value, span[(position + 4)..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[position..], written);
        position += 4 + written;
    }

    private static string? ReadString(ReadOnlySpan<byte> span, ref int position)
    {
        int length = BinaryPrimitives.ReadInt32LittleEndian(span[position..]);
        position += 4;
        if (length < 0)
        {
            return null;
        }

        var value = Encoding.UTF8.GetString(span.Slice(position, length));
        position += length;
        return value;
    }
}
