namespace DuisPrioritiser.Duis;

/// <summary>
/// What the DUIS reader found wrong with a message, and where: a <see cref="Code"/>, the byte
/// <see cref="Offset"/> in the input, the <see cref="Line"/> and <see cref="Column"/>, and a
/// <see cref="Message"/> for people.
/// </summary>
/// <remarks>The default value means "no error" (<see cref="DuisParseErrorCode.None"/>).</remarks>
public readonly struct DuisParseError : IEquatable<DuisParseError>
{
    private readonly string? _message;

    /// <summary>Initialises an error.</summary>
    /// <param name="code">What is wrong.</param>
    /// <param name="offset">The zero-based byte offset in the input where it was found.</param>
    /// <param name="line">The one-based line (lines end with a line feed).</param>
    /// <param name="column">The one-based column, counted in bytes from the start of the line.</param>
    /// <param name="message">A description for people, saying what and where.</param>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    public DuisParseError(DuisParseErrorCode code, int offset, int line, int column, string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        Code = code;
        Offset = offset;
        Line = line;
        Column = column;
        _message = message;
    }

    /// <summary>Gets what is wrong; <see cref="DuisParseErrorCode.None"/> when there is no error.</summary>
    public DuisParseErrorCode Code { get; }

    /// <summary>Gets the zero-based byte offset in the input where the problem was found.</summary>
    public int Offset { get; }

    /// <summary>Gets the one-based line of <see cref="Offset"/>; 0 when there is no error.</summary>
    public int Line { get; }

    /// <summary>Gets the one-based column of <see cref="Offset"/>, counted in bytes; 0 when there is no error.</summary>
    public int Column { get; }

    /// <summary>Gets a description of the problem and its position; empty when there is no error.</summary>
    public string Message => _message ?? string.Empty;

    /// <summary>Gets a value indicating whether this describes an error.</summary>
    public bool IsError => Code != DuisParseErrorCode.None;

    /// <summary>Compares two errors for equality.</summary>
    /// <param name="left">The first error.</param>
    /// <param name="right">The second error.</param>
    /// <returns><see langword="true"/> if they are equal.</returns>
    public static bool operator ==(DuisParseError left, DuisParseError right) => left.Equals(right);

    /// <summary>Compares two errors for inequality.</summary>
    /// <param name="left">The first error.</param>
    /// <param name="right">The second error.</param>
    /// <returns><see langword="true"/> if they differ.</returns>
    public static bool operator !=(DuisParseError left, DuisParseError right) => !left.Equals(right);

    /// <inheritdoc />
    public bool Equals(DuisParseError other)
        => Code == other.Code && Offset == other.Offset && Line == other.Line && Column == other.Column
            && string.Equals(Message, other.Message, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is DuisParseError other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Code, Offset, Line, Column);

    /// <summary>Gets <see cref="Message"/>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => Message;
}
