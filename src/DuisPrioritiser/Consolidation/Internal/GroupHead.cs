using System.Runtime.CompilerServices;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Storage.Internal;

namespace DuisPrioritiser.Consolidation.Internal;

/// <summary>
/// The identity of a group's head in the store: its journal id when the journal holds it, else (in memory, where ids
/// are 0) its envelope, compared by reference.
/// </summary>
internal readonly struct GroupHead(long token, DuisMessage? message) : IEquatable<GroupHead>
{
    public long Token { get; } = token;

    public DuisMessage? Message { get; } = token > 0 ? null : message;

    public static GroupHead Of(in QueuedEntry entry) => new(entry.Token, entry.Message);

    public bool Equals(GroupHead other) => Token > 0 ? Token == other.Token : other.Token == 0 && ReferenceEquals(Message, other.Message);

    public override bool Equals(object? obj) => obj is GroupHead other && Equals(other);

    public override int GetHashCode() => Token > 0 ? Token.GetHashCode() : RuntimeHelpers.GetHashCode(Message);
}
