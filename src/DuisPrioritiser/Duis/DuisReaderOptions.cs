using System.ComponentModel.DataAnnotations;

namespace DuisPrioritiser.Duis;

/// <summary>Limits for reading DUIS messages from bytes.</summary>
public sealed class DuisReaderOptions
{
    /// <summary>The default maximum message size: 4 MiB.</summary>
    public const int DefaultMaxMessageBytes = 4 * 1024 * 1024;

    /// <summary>
    /// Gets or sets the largest message, in bytes, that the reader accepts. A larger message is rejected with
    /// <see cref="DuisParseErrorCode.MessageTooLarge"/> before any of it is read.
    /// </summary>
    /// <value>The default value is 4 MiB (4,194,304 bytes).</value>
    [Range(1, int.MaxValue)]
    public int MaxMessageBytes { get; set; } = DefaultMaxMessageBytes;
}
