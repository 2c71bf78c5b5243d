namespace DuisPrioritiser.Duis;

/// <summary>Thrown by <see cref="DuisMessage.Parse(ReadOnlyMemory{byte})"/> when the input is not a readable DUIS message.</summary>
public sealed class DuisFormatException : FormatException
{
    /// <summary>Initialises a new exception.</summary>
    public DuisFormatException()
    {
    }

    /// <summary>Initialises a new exception with a message.</summary>
    /// <param name="message">The message.</param>
    public DuisFormatException(string? message)
        : base(message)
    {
    }

    /// <summary>Initialises a new exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public DuisFormatException(string? message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initialises a new exception from the reader's error.</summary>
    /// <param name="error">What was wrong and where.</param>
    public DuisFormatException(DuisParseError error)
        : base(error.Message)
    {
        Error = error;
    }

    /// <summary>Gets what was wrong and where; the default value when the exception was created without one.</summary>
    public DuisParseError Error { get; }
}
