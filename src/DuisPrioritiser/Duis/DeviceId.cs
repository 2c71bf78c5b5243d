using System.Diagnostics.CodeAnalysis;
using System.Numerics;

namespace DuisPrioritiser.Duis;

/// <summary>
/// The EUI-64 of a device a DUIS message concerns (a meter, a Comms Hub or another smart-metering device), held as
/// one 64-bit value without allocation.
/// </summary>
/// <remarks>
/// <para>DUIS writes an EUI-64 as eight pairs of hexadecimal digits joined by hyphens, such as
/// <c>88-73-84-57-00-2F-96-1E</c>; request and response ids join two of them and a counter with colons
/// (<c>originator : target : counter</c>). Parsing accepts either case and formats in upper case, so
/// <c>88-73-84-57-00-2f-96-1e</c> and <c>88-73-84-57-00-2F-96-1E</c> are the same device.</para>
/// <para><see cref="DuisMessage.Device"/> gives the device of a message. The default value is the all-zero EUI,
/// a value like any other; "no device" is a <see langword="null"/> <see cref="DeviceId"/>?.</para>
/// </remarks>
public readonly struct DeviceId : IEquatable<DeviceId>, IComparable<DeviceId>, ISpanFormattable
{
    /// <summary>The number of characters in the text form (<c>XX-XX-XX-XX-XX-XX-XX-XX</c>).</summary>
    public const int TextLength = 23;

    /// <summary>Initialises a device id from its 64-bit value (the first pair of the text form is the most significant byte).</summary>
    /// <param name="value">The EUI-64 as a number.</param>
    public DeviceId(ulong value) => Value = value;

    /// <summary>Gets the EUI-64 as a number (the first pair of the text form is the most significant byte).</summary>
    public ulong Value { get; }

    /// <summary>Creates a device id from text such as <c>88-73-84-57-00-2F-96-1E</c>.</summary>
    /// <param name="text">The EUI-64 in DUIS form.</param>
    /// <returns>The device id.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is <see langword="null"/>.</exception>
    /// <exception cref="FormatException"><paramref name="text"/> is not eight hyphen-separated pairs of hexadecimal digits.</exception>
    public static DeviceId Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text.AsSpan(), out var id))
        {
            throw new FormatException(
                $"'{text}' is not a valid EUI-64: expected eight pairs of hexadecimal digits joined by hyphens, such as '88-73-84-57-00-2F-96-1E'.");
        }

        return id;
    }

    /// <summary>Tries to create a device id from text such as <c>88-73-84-57-00-2F-96-1E</c>.</summary>
    /// <param name="text">The EUI-64 in DUIS form; <see langword="null"/> fails.</param>
    /// <param name="id">The device id, or the default on failure.</param>
    /// <returns><see langword="true"/> if <paramref name="text"/> is a valid EUI-64.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out DeviceId id)
    {
        if (text is null)
        {
            id = default;
            return false;
        }

        return TryParse(text.AsSpan(), out id);
    }

    /// <summary>Tries to create a device id from text such as <c>88-73-84-57-00-2F-96-1E</c>.</summary>
    /// <param name="text">The EUI-64 in DUIS form.</param>
    /// <param name="id">The device id, or the default on failure.</param>
    /// <returns><see langword="true"/> if <paramref name="text"/> is a valid EUI-64.</returns>
    public static bool TryParse(ReadOnlySpan<char> text, out DeviceId id) => TryParseCore(text, out id);

    /// <summary>Tries to create a device id from UTF-8 text such as <c>88-73-84-57-00-2F-96-1E</c>.</summary>
    /// <param name="utf8Text">The EUI-64 in DUIS form, as UTF-8 bytes.</param>
    /// <param name="id">The device id, or the default on failure.</param>
    /// <returns><see langword="true"/> if <paramref name="utf8Text"/> is a valid EUI-64.</returns>
    public static bool TryParse(ReadOnlySpan<byte> utf8Text, out DeviceId id) => TryParseCore(utf8Text, out id);

    /// <summary>
    /// Tries to read one EUI-64 part of a DUIS request or response id (<c>originator : target : counter</c>).
    /// Surrounding white space is ignored, as the schema's <c>xs:token</c> allows.
    /// </summary>
    /// <param name="utf8Id">The whole id as UTF-8 bytes.</param>
    /// <param name="part">0 for the originator, 1 for the target.</param>
    /// <param name="id">The device id of that part.</param>
    /// <returns><see langword="true"/> if the id has the DUIS form and the part is a valid EUI-64.</returns>
    internal static bool TryReadIdPart(ReadOnlySpan<byte> utf8Id, int part, out DeviceId id)
        => TryReadIdPartCore(utf8Id.Trim(" \t\r\n"u8), part, out id);

    /// <inheritdoc cref="TryReadIdPart(ReadOnlySpan{byte}, int, out DeviceId)"/>
    internal static bool TryReadIdPart(ReadOnlySpan<char> id, int part, out DeviceId device)
        => TryReadIdPartCore(id.Trim(" \t\r\n"), part, out device);

    /// <inheritdoc />
    public bool Equals(DeviceId other) => Value == other.Value;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is DeviceId other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Value.GetHashCode();

    /// <inheritdoc />
    public int CompareTo(DeviceId other) => Value.CompareTo(other.Value);

    /// <summary>Gets the EUI-64 in DUIS form, upper case: <c>88-73-84-57-00-2F-96-1E</c>.</summary>
    /// <returns>The text form.</returns>
    public override string ToString() => string.Create(TextLength, Value, static (span, value) => Format(value, span));

    /// <inheritdoc />
    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <inheritdoc />
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        if (destination.Length < TextLength)
        {
            charsWritten = 0;
            return false;
        }

        Format(Value, destination);
        charsWritten = TextLength;
        return true;
    }

    /// <summary>Compares two device ids for equality.</summary>
    /// <param name="left">The first id.</param>
    /// <param name="right">The second id.</param>
    /// <returns><see langword="true"/> if they are equal.</returns>
    public static bool operator ==(DeviceId left, DeviceId right) => left.Equals(right);

    /// <summary>Compares two device ids for inequality.</summary>
    /// <param name="left">The first id.</param>
    /// <param name="right">The second id.</param>
    /// <returns><see langword="true"/> if they differ.</returns>
    public static bool operator !=(DeviceId left, DeviceId right) => !left.Equals(right);

    /// <summary>Orders device ids by their value.</summary>
    /// <param name="left">The first id.</param>
    /// <param name="right">The second id.</param>
    /// <returns><see langword="true"/> if <paramref name="left"/> sorts first.</returns>
    public static bool operator <(DeviceId left, DeviceId right) => left.Value < right.Value;

    /// <summary>Orders device ids by their value.</summary>
    /// <param name="left">The first id.</param>
    /// <param name="right">The second id.</param>
    /// <returns><see langword="true"/> if <paramref name="left"/> sorts last.</returns>
    public static bool operator >(DeviceId left, DeviceId right) => left.Value > right.Value;

    /// <summary>Orders device ids by their value.</summary>
    /// <param name="left">The first id.</param>
    /// <param name="right">The second id.</param>
    /// <returns><see langword="true"/> if <paramref name="left"/> sorts first or they are equal.</returns>
    public static bool operator <=(DeviceId left, DeviceId right) => left.Value <= right.Value;

    /// <summary>Orders device ids by their value.</summary>
    /// <param name="left">The first id.</param>
    /// <param name="right">The second id.</param>
    /// <returns><see langword="true"/> if <paramref name="left"/> sorts last or they are equal.</returns>
    public static bool operator >=(DeviceId left, DeviceId right) => left.Value >= right.Value;

    // One parser for UTF-16 and UTF-8 text: both are read a code unit at a time, and every valid character is ASCII.
    private static bool TryParseCore<TChar>(ReadOnlySpan<TChar> text, out DeviceId id)
        where TChar : unmanaged, IBinaryInteger<TChar>
    {
        id = default;
        if (text.Length != TextLength)
        {
            return false;
        }

        ulong value = 0;
        for (int i = 0; i < TextLength; i += 3)
        {
            int high = HexValue(int.CreateTruncating(text[i]));
            int low = HexValue(int.CreateTruncating(text[i + 1]));
            if ((high | low) < 0 || (i + 2 < TextLength && int.CreateTruncating(text[i + 2]) != '-'))
            {
                return false;
            }

            value = (value << 8) | (uint)((high << 4) | low);
        }

        id = new DeviceId(value);
        return true;
    }

    private static bool TryReadIdPartCore<TChar>(ReadOnlySpan<TChar> id, int part, out DeviceId device)
        where TChar : unmanaged, IBinaryInteger<TChar>
    {
        if (id.Length < (2 * TextLength) + 3
            || int.CreateTruncating(id[TextLength]) != ':'
            || int.CreateTruncating(id[(2 * TextLength) + 1]) != ':')
        {
            device = default;
            return false;
        }

        return TryParseCore(id.Slice(part * (TextLength + 1), TextLength), out device);
    }

    private static int HexValue(int c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'A' and <= 'F' => c - 'A' + 10,
        >= 'a' and <= 'f' => c - 'a' + 10,
        _ => -1,
    };

    private static void Format(ulong value, Span<char> destination)
    {
        for (int i = 0; i < 8; i++)
        {
            byte b = (byte)(value >> (56 - (8 * i)));
            destination[3 * i] = "0123456789ABCDEF"[b >> 4];
            destination[(3 * i) + 1] = "0123456789ABCDEF"[b & 0xF];
            if (i < 7)
            {
                destination[(3 * i) + 2] = '-';
            }
        }
    }
}
