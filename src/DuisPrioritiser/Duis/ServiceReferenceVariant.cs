using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace DuisPrioritiser.Duis;

/// <summary>
/// A DUIS Service Reference Variant (SRV) such as <c>8.1.1</c> (Commission Device) or <c>11.2</c>
/// (Read Firmware Version): two or three dot-separated decimal components.
/// </summary>
/// <remarks>
/// <para>Each component is 1 to 4 decimal digits without a sign, surrounding whitespace or a leading zero
/// (except the single digit <c>0</c>). The value formats back to exactly the text it was parsed from.</para>
/// <para>The default value is <see cref="None"/>: the absence of an SRV (for example on an alert).</para>
/// </remarks>
public readonly struct ServiceReferenceVariant :
    IEquatable<ServiceReferenceVariant>,
    IComparable<ServiceReferenceVariant>,
    ISpanFormattable,
    ISpanParsable<ServiceReferenceVariant>
{
    private const int MaxComponentDigits = 4;

    private readonly ushort _major;
    private readonly ushort _minor;
    private readonly ushort _variant;
    private readonly byte _componentCount;

    private ServiceReferenceVariant(ushort major, ushort minor, ushort variant, byte componentCount)
    {
        _major = major;
        _minor = minor;
        _variant = variant;
        _componentCount = componentCount;
    }

    /// <summary>Gets the absent SRV (the default value).</summary>
    public static ServiceReferenceVariant None => default;

    /// <summary>Gets a value indicating whether this is <see cref="None"/>.</summary>
    public bool IsNone => _componentCount == 0;

    /// <summary>Gets the first component (for example <c>8</c> in <c>8.1.1</c>).</summary>
    public int Major => _major;

    /// <summary>Gets the second component (for example <c>1</c> in <c>8.1.1</c>).</summary>
    public int Minor => _minor;

    /// <summary>Gets the third component, or <see langword="null"/> for a two-component SRV such as <c>11.2</c>.</summary>
    public int? Variant => _componentCount == 3 ? _variant : null;

    /// <summary>Gets the number of components: 0 for <see cref="None"/>, otherwise 2 or 3.</summary>
    public int ComponentCount => _componentCount;

    /// <summary>Creates a two-component SRV such as <c>11.2</c>.</summary>
    /// <param name="major">The first component, 0 to 9999.</param>
    /// <param name="minor">The second component, 0 to 9999.</param>
    /// <returns>The SRV.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A component is negative or greater than 9999.</exception>
    public static ServiceReferenceVariant Create(int major, int minor)
    {
        ValidateComponent(major, nameof(major));
        ValidateComponent(minor, nameof(minor));
        return new ServiceReferenceVariant((ushort)major, (ushort)minor, 0, 2);
    }

    /// <summary>Creates a three-component SRV such as <c>8.1.1</c>.</summary>
    /// <param name="major">The first component, 0 to 9999.</param>
    /// <param name="minor">The second component, 0 to 9999.</param>
    /// <param name="variant">The third component, 0 to 9999.</param>
    /// <returns>The SRV.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A component is negative or greater than 9999.</exception>
    public static ServiceReferenceVariant Create(int major, int minor, int variant)
    {
        ValidateComponent(major, nameof(major));
        ValidateComponent(minor, nameof(minor));
        ValidateComponent(variant, nameof(variant));
        return new ServiceReferenceVariant((ushort)major, (ushort)minor, (ushort)variant, 3);
    }

    /// <summary>Parses an SRV such as <c>8.1.1</c> or <c>11.2</c>.</summary>
    /// <param name="text">The text to parse.</param>
    /// <returns>The SRV.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is <see langword="null"/>.</exception>
    /// <exception cref="FormatException"><paramref name="text"/> is not of the form <c>n.n</c> or <c>n.n.n</c>.</exception>
    public static ServiceReferenceVariant Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Parse(text.AsSpan());
    }

    /// <summary>Parses an SRV such as <c>8.1.1</c> or <c>11.2</c>.</summary>
    /// <param name="text">The text to parse.</param>
    /// <returns>The SRV.</returns>
    /// <exception cref="FormatException"><paramref name="text"/> is not of the form <c>n.n</c> or <c>n.n.n</c>.</exception>
    public static ServiceReferenceVariant Parse(ReadOnlySpan<char> text)
    {
        if (!TryParse(text, out var result))
        {
            throw new FormatException(
                $"'{text}' is not a valid DUIS Service Reference Variant: expected two or three dot-separated " +
                "decimal components of 1 to 4 digits without leading zeros, such as '8.1.1' or '11.2'.");
        }

        return result;
    }

    /// <summary>Tries to parse an SRV such as <c>8.1.1</c> or <c>11.2</c>.</summary>
    /// <param name="text">The text to parse; <see langword="null"/> fails.</param>
    /// <param name="result">The SRV, or <see cref="None"/> on failure.</param>
    /// <returns><see langword="true"/> if <paramref name="text"/> is a valid SRV.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out ServiceReferenceVariant result)
    {
        if (text is null)
        {
            result = default;
            return false;
        }

        return TryParse(text.AsSpan(), out result);
    }

    /// <summary>Tries to parse an SRV such as <c>8.1.1</c> or <c>11.2</c>.</summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="result">The SRV, or <see cref="None"/> on failure.</param>
    /// <returns><see langword="true"/> if <paramref name="text"/> is a valid SRV.</returns>
    public static bool TryParse(ReadOnlySpan<char> text, out ServiceReferenceVariant result)
    {
        Span<ushort> parts = stackalloc ushort[3];
        int count = 0;
        int value = 0;
        int digits = 0;
        bool leadingZero = false;
        result = default;

        for (int i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == '.')
            {
                if (digits == 0 || count == 3)
                {
                    return false;
                }

                parts[count++] = (ushort)value;
                value = 0;
                digits = 0;
                leadingZero = false;
                continue;
            }

            uint d = (uint)(text[i] - '0');
            if (d > 9 || digits == MaxComponentDigits || leadingZero)
            {
                return false;
            }

            leadingZero = digits == 0 && d == 0;
            value = (value * 10) + (int)d;
            digits++;
        }

        if (count < 2)
        {
            return false;
        }

        result = new ServiceReferenceVariant(parts[0], parts[1], count == 3 ? parts[2] : (ushort)0, (byte)count);
        return true;
    }

    /// <summary>Tries to parse an SRV from UTF-8 text such as <c>8.1.1</c>.</summary>
    /// <param name="utf8Text">The UTF-8 text to parse.</param>
    /// <param name="result">The SRV, or <see cref="None"/> on failure.</param>
    /// <returns><see langword="true"/> if <paramref name="utf8Text"/> is a valid SRV.</returns>
    public static bool TryParse(ReadOnlySpan<byte> utf8Text, out ServiceReferenceVariant result)
    {
        if (utf8Text.Length > 14)
        {
            result = default;
            return false;
        }

        Span<char> chars = stackalloc char[14];
        for (int i = 0; i < utf8Text.Length; i++)
        {
            chars[i] = (char)utf8Text[i];
        }

        return TryParse(chars[..utf8Text.Length], out result);
    }

    /// <inheritdoc />
    static ServiceReferenceVariant IParsable<ServiceReferenceVariant>.Parse(string s, IFormatProvider? provider) => Parse(s);

    /// <inheritdoc />
    static bool IParsable<ServiceReferenceVariant>.TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out ServiceReferenceVariant result)
        => TryParse(s, out result);

    /// <inheritdoc />
    static ServiceReferenceVariant ISpanParsable<ServiceReferenceVariant>.Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => Parse(s);

    /// <inheritdoc />
    static bool ISpanParsable<ServiceReferenceVariant>.TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out ServiceReferenceVariant result)
        => TryParse(s, out result);

    /// <summary>
    /// Determines whether this SRV starts with the components of <paramref name="prefix"/> and has more components
    /// than it: <c>4.6.1</c> is within the prefix <c>4.6</c>, and neither <c>4.6</c> nor <c>4.61.1</c> is.
    /// </summary>
    /// <param name="prefix">The prefix, of two components.</param>
    /// <returns><see langword="true"/> if this SRV lies under <paramref name="prefix"/>.</returns>
    public bool IsWithin(ServiceReferenceVariant prefix)
        => prefix._componentCount == 2 && _componentCount == 3 && prefix._major == _major && prefix._minor == _minor;

    /// <summary>Determines whether the first component of this SRV is <paramref name="major"/>.</summary>
    /// <param name="major">The first component to compare.</param>
    /// <returns><see langword="true"/> if this SRV is not <see cref="None"/> and its first component is <paramref name="major"/>.</returns>
    public bool IsWithin(int major) => _componentCount != 0 && _major == major;

    /// <inheritdoc />
    public bool Equals(ServiceReferenceVariant other)
        => _componentCount == other._componentCount && _major == other._major && _minor == other._minor && _variant == other._variant;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ServiceReferenceVariant other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => (_major << 20) ^ (_minor << 10) ^ _variant ^ (_componentCount << 30);

    /// <summary>Orders SRVs numerically, component by component (<c>2.2</c> before <c>11.2</c>; <c>4.1</c> before <c>4.1.1</c>).</summary>
    /// <param name="other">The SRV to compare with.</param>
    /// <returns>A negative number, zero or a positive number.</returns>
    public int CompareTo(ServiceReferenceVariant other)
    {
        int c = _major.CompareTo(other._major);
        if (c != 0)
        {
            return c;
        }

        c = _minor.CompareTo(other._minor);
        if (c != 0)
        {
            return c;
        }

        c = _componentCount.CompareTo(other._componentCount);
        return c != 0 ? c : _variant.CompareTo(other._variant);
    }

    /// <summary>Formats the SRV as <c>n.n</c> or <c>n.n.n</c>; <see cref="None"/> formats as an empty string.</summary>
    /// <returns>The text form.</returns>
    public override string ToString() => ToString(null, null);

    /// <inheritdoc />
    public string ToString(string? format, IFormatProvider? formatProvider)
    {
        Span<char> buffer = stackalloc char[14];
        _ = TryFormat(buffer, out int written, default, null);
        return new string(buffer[..written]);
    }

    /// <inheritdoc />
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        if (_componentCount == 0)
        {
            charsWritten = 0;
            return true;
        }

        return _componentCount == 3
            ? destination.TryWrite(CultureInfo.InvariantCulture, $"{_major}.{_minor}.{_variant}", out charsWritten)
            : destination.TryWrite(CultureInfo.InvariantCulture, $"{_major}.{_minor}", out charsWritten);
    }

    /// <summary>Compares two SRVs for equality.</summary>
    /// <param name="left">The first SRV.</param>
    /// <param name="right">The second SRV.</param>
    /// <returns><see langword="true"/> if they are equal.</returns>
    public static bool operator ==(ServiceReferenceVariant left, ServiceReferenceVariant right) => left.Equals(right);

    /// <summary>Compares two SRVs for inequality.</summary>
    /// <param name="left">The first SRV.</param>
    /// <param name="right">The second SRV.</param>
    /// <returns><see langword="true"/> if they differ.</returns>
    public static bool operator !=(ServiceReferenceVariant left, ServiceReferenceVariant right) => !left.Equals(right);

    /// <summary>Orders two SRVs.</summary>
    /// <param name="left">The first SRV.</param>
    /// <param name="right">The second SRV.</param>
    /// <returns><see langword="true"/> if <paramref name="left"/> sorts before <paramref name="right"/>.</returns>
    public static bool operator <(ServiceReferenceVariant left, ServiceReferenceVariant right) => left.CompareTo(right) < 0;

    /// <summary>Orders two SRVs.</summary>
    /// <param name="left">The first SRV.</param>
    /// <param name="right">The second SRV.</param>
    /// <returns><see langword="true"/> if <paramref name="left"/> sorts after <paramref name="right"/>.</returns>
    public static bool operator >(ServiceReferenceVariant left, ServiceReferenceVariant right) => left.CompareTo(right) > 0;

    /// <summary>Orders two SRVs.</summary>
    /// <param name="left">The first SRV.</param>
    /// <param name="right">The second SRV.</param>
    /// <returns><see langword="true"/> if <paramref name="left"/> sorts before or equal to <paramref name="right"/>.</returns>
    public static bool operator <=(ServiceReferenceVariant left, ServiceReferenceVariant right) => left.CompareTo(right) <= 0;

    /// <summary>Orders two SRVs.</summary>
    /// <param name="left">The first SRV.</param>
    /// <param name="right">The second SRV.</param>
    /// <returns><see langword="true"/> if <paramref name="left"/> sorts after or equal to <paramref name="right"/>.</returns>
    public static bool operator >=(ServiceReferenceVariant left, ServiceReferenceVariant right) => left.CompareTo(right) >= 0;

    private static void ValidateComponent(int value, string paramName)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value, paramName);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 9999, paramName);
    }
}
