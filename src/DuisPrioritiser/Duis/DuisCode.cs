using System.Diagnostics.CodeAnalysis;

namespace DuisPrioritiser.Duis;

/// <summary>
/// A short DUIS code held without allocation: a response code (<c>I0</c>, <c>E65</c>), a Device Alert code
/// (<c>8F0F</c>) or a DCC Alert code (<c>AD1</c>, <c>N24</c>).
/// </summary>
/// <remarks>
/// A code is 1 to 8 ASCII letters and digits. Letters are normalised to upper case, so <c>8f0f</c> and
/// <c>8F0F</c> are the same code. The default value is <see cref="None"/>.
/// </remarks>
public readonly struct DuisCode : IEquatable<DuisCode>, ISpanFormattable
{
    /// <summary>The maximum number of characters in a code.</summary>
    public const int MaxLength = 8;

    // Characters packed big-end first, one byte each, so that the packed value is unique per code.
    private readonly ulong _packed;
    private readonly byte _length;

    private DuisCode(ulong packed, byte length)
    {
        _packed = packed;
        _length = length;
    }

    /// <summary>Gets the absent code (the default value).</summary>
    public static DuisCode None => default;

    /// <summary>Gets a value indicating whether this is <see cref="None"/>.</summary>
    public bool IsNone => _length == 0;

    /// <summary>Gets the characters packed one byte each, big end first: unique per code (0 for <see cref="None"/>), for hashing without <see cref="HashCode"/>.</summary>
    internal ulong Packed => _packed;

    /// <summary>Gets the number of characters in the code.</summary>
    public int Length => _length;

    /// <summary>Gets a value indicating whether every character is a hexadecimal digit (as Device Alert codes are).</summary>
    public bool IsHexadecimal
    {
        get
        {
            if (_length == 0)
            {
                return false;
            }

            for (int i = 0; i < _length; i++)
            {
                if (!char.IsAsciiHexDigit(CharAt(i)))
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>Creates a code from text such as <c>8F0F</c> or <c>N24</c>.</summary>
    /// <param name="text">The code.</param>
    /// <returns>The code, upper-cased.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is <see langword="null"/>.</exception>
    /// <exception cref="FormatException"><paramref name="text"/> is empty, longer than 8 characters, or holds a character that is not an ASCII letter or digit.</exception>
    public static DuisCode Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text.AsSpan(), out var code))
        {
            throw new FormatException(
                $"'{text}' is not a valid DUIS code: expected 1 to {MaxLength} ASCII letters or digits, such as 'I0', '8F0F' or 'N24'.");
        }

        return code;
    }

    /// <summary>Tries to create a code from text such as <c>8F0F</c> or <c>N24</c>.</summary>
    /// <param name="text">The code; <see langword="null"/> fails.</param>
    /// <param name="code">The code, upper-cased, or <see cref="None"/> on failure.</param>
    /// <returns><see langword="true"/> if <paramref name="text"/> is a valid code.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out DuisCode code)
    {
        if (text is null)
        {
            code = default;
            return false;
        }

        return TryParse(text.AsSpan(), out code);
    }

    /// <summary>Tries to create a code from text such as <c>8F0F</c> or <c>N24</c>.</summary>
    /// <param name="text">The code.</param>
    /// <param name="code">The code, upper-cased, or <see cref="None"/> on failure.</param>
    /// <returns><see langword="true"/> if <paramref name="text"/> is a valid code.</returns>
    public static bool TryParse(ReadOnlySpan<char> text, out DuisCode code)
    {
        code = default;
        if (text.IsEmpty || text.Length > MaxLength)
        {
            return false;
        }

        ulong packed = 0;
        foreach (char c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }

            packed = (packed << 8) | (byte)char.ToUpperInvariant(c);
        }

        code = new DuisCode(packed, (byte)text.Length);
        return true;
    }

    /// <summary>Tries to create a code from UTF-8 text such as <c>8F0F</c> or <c>N24</c>.</summary>
    /// <param name="utf8Text">The code as UTF-8 bytes.</param>
    /// <param name="code">The code, upper-cased, or <see cref="None"/> on failure.</param>
    /// <returns><see langword="true"/> if <paramref name="utf8Text"/> is a valid code.</returns>
    public static bool TryParse(ReadOnlySpan<byte> utf8Text, out DuisCode code)
    {
        code = default;
        if (utf8Text.IsEmpty || utf8Text.Length > MaxLength)
        {
            return false;
        }

        ulong packed = 0;
        foreach (byte b in utf8Text)
        {
            if (!char.IsAsciiLetterOrDigit((char)b))
            {
                return false;
            }

            packed = (packed << 8) | (byte)(b is >= (byte)'a' and <= (byte)'z' ? b - 0x20 : b);
        }

        code = new DuisCode(packed, (byte)utf8Text.Length);
        return true;
    }

    /// <inheritdoc />
    public bool Equals(DuisCode other) => _packed == other._packed && _length == other._length;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is DuisCode other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_packed, _length);

    /// <summary>Gets the code as text; <see cref="None"/> is an empty string.</summary>
    /// <returns>The code.</returns>
    public override string ToString() => _length == 0 ? string.Empty : string.Create(_length, this, static (span, code) => code.CopyTo(span));

    /// <inheritdoc />
    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <inheritdoc />
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        if (destination.Length < _length)
        {
            charsWritten = 0;
            return false;
        }

        CopyTo(destination);
        charsWritten = _length;
        return true;
    }

    /// <summary>Compares two codes for equality.</summary>
    /// <param name="left">The first code.</param>
    /// <param name="right">The second code.</param>
    /// <returns><see langword="true"/> if they are equal.</returns>
    public static bool operator ==(DuisCode left, DuisCode right) => left.Equals(right);

    /// <summary>Compares two codes for inequality.</summary>
    /// <param name="left">The first code.</param>
    /// <param name="right">The second code.</param>
    /// <returns><see langword="true"/> if they differ.</returns>
    public static bool operator !=(DuisCode left, DuisCode right) => !left.Equals(right);

    private char CharAt(int index) => (char)(byte)(_packed >> (8 * (_length - 1 - index)));

    private void CopyTo(Span<char> destination)
    {
        for (int i = 0; i < _length; i++)
        {
            destination[i] = CharAt(i);
        }
    }
}
