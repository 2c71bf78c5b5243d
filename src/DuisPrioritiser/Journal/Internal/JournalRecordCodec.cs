using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Journal.Internal;

/// <summary>
/// The on-disk format. A segment starts with a 24-byte header: magic <c>DUISJNL1</c>, the segment number and the
/// first message id it may hold. Then records, each:
/// <code>
/// u32 length (whole record) | u8 type | u8 level | u8 format | u8 0 | i64 id | body | u64 XxHash3 of everything before it
/// </code>
/// all little-endian. An Enqueue body holds the envelope fields and the raw message bytes; a Complete has none; a
/// Returned body is the message's attempt count (i32).
/// <para><b>Versions.</b> The format byte was 0 in the first format (written by DuisPrioritiser before the journal
/// carried trace context and attempt counts); those records still read. Format 2 Enqueue records add, after the raw
/// bytes, the intake trace context: <c>u8 present | 16 trace id | 8 span id | u8 trace flags</c> (the W3C
/// <c>traceparent</c> of <see cref="System.Diagnostics.Activity.Current"/> at intake). A record of an unknown format
/// is treated as damaged. Format 3 is format 2 plus, at the end of an Enqueue body, <c>i64 group head</c>: the journal id of
/// the held alert this repeat was consolidated with (see <c>ConsolidationOptions</c>), so that recovery rebuilds the
/// group; only consolidated repeats are written in format 3, every other record stays format 2.</para>
/// </summary>
internal static class JournalRecordCodec
{
    public const int SegmentHeaderSize = 24;
    public const int RecordHeaderSize = 16;
    public const int ChecksumSize = 8;
    public const int MinRecordSize = RecordHeaderSize + ChecksumSize;

    /// <summary>Largest record accepted: 16 MiB, far above any DUIS message.</summary>
    public const int MaxRecordSize = 16 * 1024 * 1024;

    /// <summary>The record format this version writes.</summary>
    public const byte CurrentFormat = 2;

    /// <summary>The record format of an Enqueue record of a consolidated repeat: <see cref="CurrentFormat"/> plus the group head's id.</summary>
    public const byte GroupedFormat = 3;

    private const int GroupHeadSize = 8;

    /// <summary>Size of a Returned record: header, attempts, checksum.</summary>
    public const int ReturnedRecordSize = MinRecordSize + 4;

    private const int TraceContextSize = 1 + 16 + 8 + 1;

    private static ReadOnlySpan<byte> Magic => "DUISJNL1"u8;

    public static void WriteSegmentHeader(Span<byte> destination, long segmentNumber, long firstId)
    {
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], segmentNumber);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], firstId);
    }

    public static bool TryReadSegmentHeader(ReadOnlySpan<byte> source, out long segmentNumber, out long firstId)
    {
        segmentNumber = 0;
        firstId = 0;
        if (source.Length < SegmentHeaderSize || !source[..8].SequenceEqual(Magic))
        {
            return false;
        }

        segmentNumber = BinaryPrimitives.ReadInt64LittleEndian(source[8..]);
        firstId = BinaryPrimitives.ReadInt64LittleEndian(source[16..]);
        return firstId > 0 && segmentNumber >= 0;
    }

    /// <summary>Appends a Complete record for <paramref name="id"/>.</summary>
    public static void WriteComplete(ArrayBufferWriter<byte> output, long id)
    {
        var span = output.GetSpan(MinRecordSize)[..MinRecordSize];
        WriteHeader(span, MinRecordSize, JournalRecordType.Complete, 0, id);
        Seal(span);
        output.Advance(MinRecordSize);
    }

    /// <summary>Appends a Returned record: message <paramref name="id"/> was returned and has now been released <paramref name="attempts"/> times without success.</summary>
    public static void WriteReturned(ArrayBufferWriter<byte> output, long id, int attempts)
    {
        var span = output.GetSpan(ReturnedRecordSize)[..ReturnedRecordSize];
        WriteHeader(span, ReturnedRecordSize, JournalRecordType.Returned, 0, id);
        BinaryPrimitives.WriteInt32LittleEndian(span[RecordHeaderSize..], attempts);
        Seal(span);
        output.Advance(ReturnedRecordSize);
    }

    /// <summary>Reads the attempt count of a Returned record's body.</summary>
    public static bool TryReadReturned(ReadOnlySpan<byte> body, out int attempts)
    {
        attempts = 0;
        if (body.Length != 4)
        {
            return false;
        }

        attempts = BinaryPrimitives.ReadInt32LittleEndian(body);
        return attempts >= 0;
    }

    /// <summary>Appends an Enqueue record for <paramref name="message"/>.</summary>
    /// <exception cref="ArgumentException">The message is too large for one record.</exception>
    public static void WriteEnqueue(ArrayBufferWriter<byte> output, long id, PriorityLevel level, DuisMessage message, long groupHead = 0)
    {
        var requestId = message.RequestId;
        var responseId = message.ResponseId;
        var payloadName = message.DccAlertPayloadName;
        long size = RecordHeaderSize
            + 3 + 7 // kind, flags, SRV
            + (3 * (1 + DuisCode.MaxLength))
            + 4 + 10 + 10 // throttled count, response time, received time
            + StringSize(requestId) + StringSize(responseId) + StringSize(payloadName)
            + 4 + message.RawMessage.Length
            + TraceContextSize
            + GroupHeadSize
            + ChecksumSize;
        if (size > MaxRecordSize)
        {
            throw new ArgumentException($"The message is too large for the journal ({message.RawMessage.Length} bytes; at most about {MaxRecordSize} per record).", nameof(message));
        }

        var span = output.GetSpan((int)size);
        var writer = new Writer(span[RecordHeaderSize..]);
        var srv = message.ServiceReferenceVariant;
        byte flags = (byte)((message.IsDccScheduled ? 1 : 0) | (message.ThrottledAlertCount.HasValue ? 2 : 0) | (message.ResponseDateTime.HasValue ? 4 : 0));
        writer.Byte((byte)message.Kind);
        writer.Byte(flags);
        writer.Byte((byte)srv.ComponentCount);
        writer.UInt16((ushort)srv.Major);
        writer.UInt16((ushort)srv.Minor);
        writer.UInt16((ushort)(srv.Variant ?? 0));
        writer.Code(message.ResponseCode);
        writer.Code(message.AlertCode);
        writer.Code(message.FutureDatedOutcome);
        writer.Int32(message.ThrottledAlertCount ?? 0);
        writer.Time(message.ResponseDateTime ?? default);
        writer.Time(message.ReceivedAt);
        writer.String(requestId);
        writer.String(responseId);
        writer.String(payloadName);
        writer.Int32(message.RawMessage.Length);
        writer.Bytes(message.RawMessage.Span);
        writer.TraceContext(message.IntakeTraceContext);
        if (groupHead > 0)
        {
            writer.Int64(groupHead);
        }

        int length = RecordHeaderSize + writer.Position + ChecksumSize;
        var record = span[..length];
        WriteHeader(record, length, JournalRecordType.Enqueue, (byte)level, id, groupHead > 0 ? GroupedFormat : CurrentFormat);
        Seal(record);
        output.Advance(length);
    }

    /// <summary>
    /// Checks the record at the start of <paramref name="source"/>: its length fits, its type is known and its
    /// checksum matches.
    /// </summary>
    public static bool TryReadRecord(ReadOnlySpan<byte> source, out JournalRecordType type, out byte level, out long id, out ReadOnlySpan<byte> body, out int length)
        => TryReadRecord(source, out type, out level, out id, out body, out length, out _);

    /// <summary>
    /// Checks the record at the start of <paramref name="source"/> and gives its <paramref name="format"/> (0 for the
    /// first format, <see cref="CurrentFormat"/> for this one).
    /// </summary>
    public static bool TryReadRecord(ReadOnlySpan<byte> source, out JournalRecordType type, out byte level, out long id, out ReadOnlySpan<byte> body, out int length, out byte format)
    {
        format = 0;
        type = default;
        level = 0;
        id = 0;
        body = default;
        length = 0;
        if (source.Length < MinRecordSize)
        {
            return false;
        }

        uint declared = BinaryPrimitives.ReadUInt32LittleEndian(source);
        if (declared < MinRecordSize || declared > MaxRecordSize || declared > (uint)source.Length)
        {
            return false;
        }

        var record = source[..(int)declared];
        ulong checksum = BinaryPrimitives.ReadUInt64LittleEndian(record[^ChecksumSize..]);
        if (XxHash3.HashToUInt64(record[..^ChecksumSize]) != checksum)
        {
            return false;
        }

        type = (JournalRecordType)record[4];
        format = record[6];
        if (type is not (JournalRecordType.Enqueue or JournalRecordType.Complete or JournalRecordType.Returned)
            || format is not (0 or CurrentFormat or GroupedFormat)
            || (format == GroupedFormat && type != JournalRecordType.Enqueue))
        {
            return false;
        }

        level = record[5];
        id = BinaryPrimitives.ReadInt64LittleEndian(record[8..]);
        body = record[RecordHeaderSize..^ChecksumSize];
        length = (int)declared;
        return id > 0;
    }

    /// <summary>Reads the alert code of an Enqueue body without rebuilding the envelope (recovery routes throttled codes by it).</summary>
    /// <exception cref="FormatException">The body is not a valid envelope.</exception>
    public static DuisCode ReadAlertCode(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Reader(body);
            reader.Bytes(3 + 6);
            reader.Code();
            return reader.Code();
        }
        catch (Exception ex) when (ex is ArgumentException or IndexOutOfRangeException)
        {
            throw new FormatException("The journal record does not hold a valid envelope.", ex);
        }
    }

    /// <summary>Reads the group head (the journal id of the alert a consolidated repeat joined) of an Enqueue body; 0 when it is not a repeat.</summary>
    public static long ReadGroupHead(ReadOnlySpan<byte> body, byte format)
        => format == GroupedFormat && body.Length >= GroupHeadSize ? BinaryPrimitives.ReadInt64LittleEndian(body[^GroupHeadSize..]) : 0;

    /// <summary>Rebuilds the envelope from an Enqueue body; the raw bytes are copied out of <paramref name="body"/>.</summary>
    /// <exception cref="FormatException">The body is not a valid envelope.</exception>
    public static DuisMessage ReadMessage(ReadOnlySpan<byte> body) => ReadMessage(body, CurrentFormat);

    /// <summary>Rebuilds the envelope from an Enqueue body of record format <paramref name="format"/>; the raw bytes are copied out of <paramref name="body"/>.</summary>
    /// <exception cref="FormatException">The body is not a valid envelope.</exception>
    public static DuisMessage ReadMessage(ReadOnlySpan<byte> body, byte format)
    {
        try
        {
            var reader = new Reader(body);
            var kind = (DuisMessageKind)reader.Byte();
            byte flags = reader.Byte();
            int srvCount = reader.Byte();
            int major = reader.UInt16();
            int minor = reader.UInt16();
            int variant = reader.UInt16();
            var responseCode = reader.Code();
            var alertCode = reader.Code();
            var futureDated = reader.Code();
            int throttled = reader.Int32();
            var responseTime = reader.Time();
            var receivedAt = reader.Time();
            var requestId = reader.String();
            var responseId = reader.String();
            var payloadName = reader.String();
            int rawLength = reader.Int32();
            var raw = reader.Bytes(rawLength).ToArray();
            var trace = format >= CurrentFormat ? reader.TraceContext() : null;
            if (!Enum.IsDefined(kind))
            {
                throw new FormatException($"Unknown message kind {(int)kind}.");
            }

            return new DuisMessage(kind, raw)
            {
                IntakeTraceContext = trace,
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
            throw new FormatException("The journal record does not hold a valid envelope.", ex);
        }
    }

    private static int StringSize(string? value) => 4 + (value is null ? 0 : Encoding.UTF8.GetMaxByteCount(value.Length));

    private static void WriteHeader(Span<byte> record, int length, JournalRecordType type, byte level, long id, byte format = CurrentFormat)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)length);
        record[4] = (byte)type;
        record[5] = level;
        record[6] = format;
        record[7] = 0;
        BinaryPrimitives.WriteInt64LittleEndian(record[8..], id);
    }

    private static void Seal(Span<byte> record)
        => BinaryPrimitives.WriteUInt64LittleEndian(record[^ChecksumSize..], XxHash3.HashToUInt64(record[..^ChecksumSize]));

    private ref struct Writer(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;

        public int Position { get; private set; }

        public void Byte(byte value) => _destination[Position++] = value;

        public void UInt16(ushort value)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(_destination[Position..], value);
            Position += 2;
        }

        public void Int32(int value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_destination[Position..], value);
            Position += 4;
        }

        public void Int64(long value)
        {
            BinaryPrimitives.WriteInt64LittleEndian(_destination[Position..], value);
            Position += 8;
        }

        public void Time(DateTimeOffset value)
        {
            BinaryPrimitives.WriteInt64LittleEndian(_destination[Position..], value.UtcTicks);
            BinaryPrimitives.WriteInt16LittleEndian(_destination[(Position + 8)..], (short)value.TotalOffsetMinutes);
            Position += 10;
        }

        public void Code(DuisCode code)
        {
            Span<char> chars = stackalloc char[DuisCode.MaxLength];
            code.TryFormat(chars, out int written, default, null);
            Byte((byte)written);
            for (int i = 0; i < written; i++)
            {
                _destination[Position++] = (byte)chars[i];
            }
        }

        public void String(string? value)
        {
            if (value is null)
            {
                Int32(-1);
                return;
            }

            int written = Encoding.UTF8.GetBytes(value, _destination[(Position + 4)..]);
            Int32(written);
            Position += written;
        }

        public void Bytes(ReadOnlySpan<byte> value)
        {
            value.CopyTo(_destination[Position..]);
            Position += value.Length;
        }

        public void TraceContext(System.Diagnostics.ActivityContext? context)
        {
            if (context is not { } value)
            {
                _destination.Slice(Position, TraceContextSize).Clear();
                Position += TraceContextSize;
                return;
            }

            Byte(1);
            value.TraceId.CopyTo(_destination.Slice(Position, 16));
            value.SpanId.CopyTo(_destination.Slice(Position + 16, 8));
            Position += 24;
            Byte((byte)value.TraceFlags);
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> source)
    {
        private readonly ReadOnlySpan<byte> _source = source;
        private int _position;

        public byte Byte() => _source[_position++];

        public ushort UInt16()
        {
            var value = BinaryPrimitives.ReadUInt16LittleEndian(_source[_position..]);
            _position += 2;
            return value;
        }

        public int Int32()
        {
            var value = BinaryPrimitives.ReadInt32LittleEndian(_source[_position..]);
            _position += 4;
            return value;
        }

        public DateTimeOffset Time()
        {
            long ticks = BinaryPrimitives.ReadInt64LittleEndian(_source[_position..]);
            short offset = BinaryPrimitives.ReadInt16LittleEndian(_source[(_position + 8)..]);
            _position += 10;
            if (ticks == 0 && offset == 0)
            {
                return default;
            }

            return new DateTimeOffset(ticks, TimeSpan.Zero).ToOffset(TimeSpan.FromMinutes(offset));
        }

        public DuisCode Code()
        {
            int length = Byte();
            if (length == 0)
            {
                return DuisCode.None;
            }

            return DuisCode.TryParse(Bytes(length), out var code) ? code : throw new FormatException("Invalid DUIS code in journal record.");
        }

        public string? String()
        {
            int length = Int32();
            return length < 0 ? null : Encoding.UTF8.GetString(Bytes(length));
        }

        public ReadOnlySpan<byte> Bytes(int length)
        {
            if (length < 0 || length > _source.Length - _position)
            {
                throw new FormatException("A length in the journal record runs past its end.");
            }

            var value = _source.Slice(_position, length);
            _position += length;
            return value;
        }

        public System.Diagnostics.ActivityContext? TraceContext()
        {
            var bytes = Bytes(TraceContextSize);
            if (bytes[0] == 0)
            {
                return null;
            }

            var traceId = System.Diagnostics.ActivityTraceId.CreateFromBytes(bytes.Slice(1, 16));
            var spanId = System.Diagnostics.ActivitySpanId.CreateFromBytes(bytes.Slice(17, 8));
            return new System.Diagnostics.ActivityContext(traceId, spanId, (System.Diagnostics.ActivityTraceFlags)bytes[25], traceState: null, isRemote: true);
        }
    }
}
