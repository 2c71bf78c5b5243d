namespace DuisPrioritiser.Storage;

/// <summary>
/// Implemented by a store that can tell when its backlog changed elsewhere (another scheduler appended or returned a
/// message, for example through PostgreSQL <c>LISTEN/NOTIFY</c>), so that idle readers wake at once instead of polling.
/// </summary>
public interface IBacklogChangeNotifier
{
    /// <summary>
    /// Raised (on any thread, possibly spuriously) after the store's per-level state may have grown. Handlers must
    /// return quickly and not throw.
    /// </summary>
    event EventHandler? BacklogChanged;
}
