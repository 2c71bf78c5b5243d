using System.ComponentModel.DataAnnotations;

namespace DuisPrioritiser.Duis;

/// <summary>Limits for reading DUIS messages from bytes.</summary>
/// <remarks>
/// Every limit bounds the reader's work and its fixed, stack-held memory; a message over a limit is rejected with
/// <see cref="DuisParseErrorCode.MessageTooLarge"/> (size) or <see cref="DuisParseErrorCode.LimitExceeded"/> (the
/// others), never read partly. The defaults are far above anything the DCC sends (a DUIS response nests about 10
/// deep, carries 1 or 2 attributes per element and 2 to 4 namespace declarations).
/// </remarks>
public sealed class DuisReaderOptions
{
    /// <summary>The default maximum message size: 4 MiB.</summary>
    public const int DefaultMaxMessageBytes = 4 * 1024 * 1024;

    /// <summary>The default deepest element nesting: 64 levels.</summary>
    public const int DefaultMaxDepth = 64;

    /// <summary>The default most attributes on one element, namespace declarations not counted: 32.</summary>
    public const int DefaultMaxAttributesPerElement = 32;

    /// <summary>The default most namespace declarations in scope at once: 64.</summary>
    public const int DefaultMaxNamespaceDeclarations = 64;

    /// <summary>The largest value accepted for <see cref="MaxDepth"/>, <see cref="MaxAttributesPerElement"/> and <see cref="MaxNamespaceDeclarations"/>: 1,024.</summary>
    public const int MaxStructuralLimit = 1024;

    /// <summary>
    /// Gets or sets the largest message, in bytes, that the reader accepts. A larger message is rejected with
    /// <see cref="DuisParseErrorCode.MessageTooLarge"/> before any of it is read.
    /// </summary>
    /// <value>The default value is 4 MiB (4,194,304 bytes).</value>
    [Range(1, int.MaxValue)]
    public int MaxMessageBytes { get; set; } = DefaultMaxMessageBytes;

    /// <summary>
    /// Gets or sets the deepest element nesting accepted (the root <c>Response</c> is level 1). A deeper element is
    /// rejected with <see cref="DuisParseErrorCode.LimitExceeded"/>.
    /// </summary>
    /// <value>The default value is 64. The range is 1 to 1,024.</value>
    [Range(1, MaxStructuralLimit)]
    public int MaxDepth { get; set; } = DefaultMaxDepth;

    /// <summary>
    /// Gets or sets the most attributes accepted on one element. Namespace declarations (<c>xmlns</c>,
    /// <c>xmlns:p</c>) are not counted here but against <see cref="MaxNamespaceDeclarations"/>. One more is
    /// rejected with <see cref="DuisParseErrorCode.LimitExceeded"/>.
    /// </summary>
    /// <value>The default value is 32. The range is 1 to 1,024.</value>
    [Range(1, MaxStructuralLimit)]
    public int MaxAttributesPerElement { get; set; } = DefaultMaxAttributesPerElement;

    /// <summary>
    /// Gets or sets the most namespace declarations in scope at once (on an element and all its ancestors). One more
    /// is rejected with <see cref="DuisParseErrorCode.LimitExceeded"/>.
    /// </summary>
    /// <value>The default value is 64. The range is 1 to 1,024.</value>
    [Range(1, MaxStructuralLimit)]
    public int MaxNamespaceDeclarations { get; set; } = DefaultMaxNamespaceDeclarations;
}
