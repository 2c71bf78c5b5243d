using System.Diagnostics.CodeAnalysis;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Release;

/// <summary>
/// What became of raw DUIS bytes handed to <see cref="IResponseReleaseScheduler.TryEnqueue(ReadOnlyMemory{byte})"/>
/// or <see cref="IResponseReleaseScheduler.EnqueueAsync(ReadOnlyMemory{byte}, CancellationToken)"/>.
/// </summary>
public readonly struct IntakeResult : IEquatable<IntakeResult>
{
    private IntakeResult(IntakeStatus status, PriorityLevel? level, DuisMessage? message, DuisParseError error)
    {
        Status = status;
        Level = level;
        Message = message;
        Error = error;
    }

    /// <summary>Gets the outcome.</summary>
    public IntakeStatus Status { get; }

    /// <summary>Gets a value indicating whether the message was accepted.</summary>
    [MemberNotNullWhen(true, nameof(Message))]
    public bool IsAccepted => Status is IntakeStatus.Accepted or IntakeStatus.AcceptedDuplicate;

    /// <summary>
    /// Gets the level the message was classified at (also when it was refused as full or completed), or
    /// <see langword="null"/> when <see cref="Status"/> is <see cref="IntakeStatus.RejectedInvalid"/>: bytes that could
    /// not be read have no level.
    /// </summary>
    public PriorityLevel? Level { get; }

    /// <summary>Gets the envelope read from the bytes, or <see langword="null"/> when they were invalid.</summary>
    public DuisMessage? Message { get; }

    /// <summary>Gets what was wrong with the bytes when <see cref="Status"/> is <see cref="IntakeStatus.RejectedInvalid"/>; otherwise the default value.</summary>
    public DuisParseError Error { get; }

    /// <summary>Compares two results for equality.</summary>
    /// <param name="left">The first result.</param>
    /// <param name="right">The second result.</param>
    /// <returns><see langword="true"/> if they are equal.</returns>
    public static bool operator ==(IntakeResult left, IntakeResult right) => left.Equals(right);

    /// <summary>Compares two results for inequality.</summary>
    /// <param name="left">The first result.</param>
    /// <param name="right">The second result.</param>
    /// <returns><see langword="true"/> if they differ.</returns>
    public static bool operator !=(IntakeResult left, IntakeResult right) => !left.Equals(right);

    /// <inheritdoc />
    public bool Equals(IntakeResult other)
        => Status == other.Status && Level == other.Level && ReferenceEquals(Message, other.Message) && Error.Equals(other.Error);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is IntakeResult other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Status, Level, Message, Error);

    /// <inheritdoc />
    public override string ToString() => Status switch
    {
        IntakeStatus.RejectedInvalid => $"{Status}: {Error.Message}",
        _ => $"{Status} at {Level}: {Message}",
    };

    internal static IntakeResult Invalid(DuisParseError error) => new(IntakeStatus.RejectedInvalid, null, null, error);

    internal static IntakeResult Read(IntakeStatus status, PriorityLevel level, DuisMessage message) => new(status, level, message, default);
}
