using System.Diagnostics.CodeAnalysis;

namespace DuisPrioritiser.Duis;

/// <content>Reading a DUIS message from its raw UTF-8 bytes.</content>
public sealed partial class DuisMessage
{
    /// <summary>
    /// Reads a DUIS <c>Response</c> (a Service Response, Device Alert, DCC Alert or SMETS1 response) from its raw UTF-8
    /// bytes, with the default limits of <see cref="DuisReaderOptions"/>. Never throws for bad input.
    /// </summary>
    /// <param name="xml">The message bytes. They are kept, not copied: the caller must not change them afterwards.</param>
    /// <param name="message">The envelope when the method returns <see langword="true"/>; otherwise <see langword="null"/>.</param>
    /// <param name="error">What is wrong and where when the method returns <see langword="false"/>; otherwise the default value.</param>
    /// <returns><see langword="true"/> if <paramref name="xml"/> is a readable DUIS message.</returns>
    /// <remarks>
    /// <para>The whole input must be a well-formed, namespace-well-formed UTF-8 XML document (a message truncated
    /// anywhere is rejected) whose root is <c>Response</c> in the namespace
    /// <c>http://www.dccinterface.co.uk/ServiceUserGateway</c> and whose <c>Body</c> holds exactly one known message.
    /// Elements are matched by namespace URI and local name, so any prefix or a default namespace works; text in
    /// comments or in elements of another namespace never counts. A document type declaration is rejected at once:
    /// no entity is expanded and nothing external is resolved. Work is linear in the input, memory is fixed, and on
    /// success nothing is allocated but the envelope (ids are decoded only when read).</para>
    /// <para>The reader does <b>not</b> replace validation against the DUIS XML schema, nor verification of the
    /// message's XML signature: it checks well-formedness and the fields it extracts, nothing more. Verify the
    /// signature before acting on the content of a released message.</para>
    /// </remarks>
    public static bool TryParse(ReadOnlyMemory<byte> xml, [NotNullWhen(true)] out DuisMessage? message, out DuisParseError error)
        => DuisReader.TryRead(xml, DuisReaderLimits.Default, out message, out error);

    /// <summary>
    /// Reads a DUIS message from its raw UTF-8 bytes with the given limits; see
    /// <see cref="TryParse(ReadOnlyMemory{byte}, out DuisMessage?, out DuisParseError)"/>. Never throws for bad input.
    /// </summary>
    /// <param name="xml">The message bytes, kept and not copied.</param>
    /// <param name="options">The limits.</param>
    /// <param name="message">The envelope when the method returns <see langword="true"/>; otherwise <see langword="null"/>.</param>
    /// <param name="error">What is wrong and where when the method returns <see langword="false"/>; otherwise the default value.</param>
    /// <returns><see langword="true"/> if <paramref name="xml"/> is a readable DUIS message.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A limit in <paramref name="options"/> is outside its documented range.</exception>
    public static bool TryParse(ReadOnlyMemory<byte> xml, DuisReaderOptions options, [NotNullWhen(true)] out DuisMessage? message, out DuisParseError error)
    {
        ArgumentNullException.ThrowIfNull(options);
        return DuisReader.TryRead(xml, DuisReaderLimits.From(options, nameof(options)), out message, out error);
    }

    /// <summary>Reads a DUIS message from its raw UTF-8 bytes, throwing when it is not readable.</summary>
    /// <param name="xml">The message bytes, kept and not copied.</param>
    /// <returns>The envelope.</returns>
    /// <exception cref="DuisFormatException"><paramref name="xml"/> is not a readable DUIS message; <see cref="DuisFormatException.Error"/> says what and where.</exception>
    public static DuisMessage Parse(ReadOnlyMemory<byte> xml)
        => TryParse(xml, out var message, out var error) ? message : throw new DuisFormatException(error);

    /// <summary>Reads a DUIS message from its raw UTF-8 bytes with the given limits, throwing when it is not readable.</summary>
    /// <param name="xml">The message bytes, kept and not copied.</param>
    /// <param name="options">The limits.</param>
    /// <returns>The envelope.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A limit in <paramref name="options"/> is outside its documented range.</exception>
    /// <exception cref="DuisFormatException"><paramref name="xml"/> is not a readable DUIS message; <see cref="DuisFormatException.Error"/> says what and where.</exception>
    public static DuisMessage Parse(ReadOnlyMemory<byte> xml, DuisReaderOptions options)
        => TryParse(xml, options, out var message, out var error) ? message : throw new DuisFormatException(error);
}
