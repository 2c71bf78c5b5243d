namespace DuisPrioritiser.Storage;

/// <summary>The health of an <see cref="IBacklogStore"/>, as the health check reports it.</summary>
/// <param name="Kind">What the store is, in lowercase (<c>memory</c>, <c>journal</c>, <c>postgresql</c>, or the type name of another store).</param>
/// <param name="IsReachable">Whether the store's last operation reached it.</param>
/// <param name="LastError">What went wrong while it is not reachable; <see langword="null"/> while it is.</param>
/// <param name="UnreachableSince">When it stopped being reachable; <see langword="null"/> while it is.</param>
public readonly record struct BacklogStoreHealth(string Kind, bool IsReachable, string? LastError, DateTimeOffset? UnreachableSince);
