namespace DuisPrioritiser.Storage;

/// <summary>What kind of store an <see cref="IBacklogStore"/> is.</summary>
[Flags]
public enum BacklogStoreCapabilities
{
    /// <summary>Held in this process only: lost when it stops (the in-memory store).</summary>
    None = 0,

    /// <summary>Survives a restart: what it holds is recovered by <see cref="IBacklogStore.OpenAsync"/>.</summary>
    Durable = 1,

    /// <summary>
    /// Shared by several schedulers (processes or machines): its per-level state is global, claims are leases, and
    /// messages held at shutdown stay in the store for the others.
    /// </summary>
    Shared = 2,
}
