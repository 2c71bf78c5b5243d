namespace DuisPrioritiser.Duis;

/// <summary>A validated snapshot of <see cref="DuisReaderOptions"/>, so a reader's limits cannot change under it.</summary>
internal readonly record struct DuisReaderLimits(int MaxMessageBytes, int MaxDepth, int MaxAttributesPerElement, int MaxNamespaceDeclarations)
{
    /// <summary>Gets the default limits.</summary>
    public static DuisReaderLimits Default { get; } = new(
        DuisReaderOptions.DefaultMaxMessageBytes,
        DuisReaderOptions.DefaultMaxDepth,
        DuisReaderOptions.DefaultMaxAttributesPerElement,
        DuisReaderOptions.DefaultMaxNamespaceDeclarations);

    /// <summary>Validates and copies <paramref name="options"/>.</summary>
    /// <param name="options">The options.</param>
    /// <param name="paramName">The parameter name reported when a value is out of range.</param>
    /// <returns>The limits.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its documented range.</exception>
    public static DuisReaderLimits From(DuisReaderOptions options, string paramName)
    {
        ArgumentNullException.ThrowIfNull(options, paramName);
        Check(options.MaxMessageBytes, int.MaxValue, nameof(DuisReaderOptions.MaxMessageBytes), paramName);
        Check(options.MaxDepth, DuisReaderOptions.MaxStructuralLimit, nameof(DuisReaderOptions.MaxDepth), paramName);
        Check(options.MaxAttributesPerElement, DuisReaderOptions.MaxStructuralLimit, nameof(DuisReaderOptions.MaxAttributesPerElement), paramName);
        Check(options.MaxNamespaceDeclarations, DuisReaderOptions.MaxStructuralLimit, nameof(DuisReaderOptions.MaxNamespaceDeclarations), paramName);
        return new(options.MaxMessageBytes, options.MaxDepth, options.MaxAttributesPerElement, options.MaxNamespaceDeclarations);
    }

    private static void Check(int value, int max, string name, string paramName)
    {
        if (value < 1 || value > max)
        {
            throw new ArgumentOutOfRangeException(
                paramName,
                value,
                $"DuisReaderOptions.{name} must be between 1 and {max}; it is {value}.");
        }
    }
}
