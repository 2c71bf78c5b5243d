namespace DuisPrioritiser.Storage;

/// <summary>
/// Implemented by a store that can say whether it reaches its server (a remote store), so that the health check
/// reports the store: its kind, whether it is reachable, and the last error while it is not.
/// </summary>
/// <remarks>
/// Optional: for a remote store without it the scheduler reports what its own calls to the store saw (the last
/// append or claim that failed as unavailable, cleared by the next that succeeded). Embedded stores (memory, the
/// journal) are always reachable.
/// </remarks>
public interface IBacklogStoreHealth
{
    /// <summary>Gets the store's health as last seen; cheap (no I/O on the caller's thread).</summary>
    /// <returns>The health.</returns>
    BacklogStoreHealth GetHealth();
}
