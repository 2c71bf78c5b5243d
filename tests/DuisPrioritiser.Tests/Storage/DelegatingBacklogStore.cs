using DuisPrioritiser.Classification;
using DuisPrioritiser.Storage;

namespace DuisPrioritiser.Tests.Storage;

/// <summary>A store that forwards every call to another; tests override the calls they need to observe or steer.</summary>
internal abstract class DelegatingBacklogStore(IBacklogStore inner) : IBacklogStore
{
    public virtual BacklogStoreCapabilities Capabilities => inner.Capabilities;

    public virtual ValueTask<BacklogRecovery> OpenAsync(CancellationToken cancellationToken = default) => inner.OpenAsync(cancellationToken);

    public virtual ValueTask AppendAsync(ReadOnlyMemory<BacklogAppend> batch, Memory<AppendOutcome> outcomes, CancellationToken cancellationToken = default) => inner.AppendAsync(batch, outcomes, cancellationToken);

    public virtual ValueTask<int> ClaimAsync(PriorityLevel level, Memory<StoredMessage> destination, CancellationToken cancellationToken = default) => inner.ClaimAsync(level, destination, cancellationToken);

    public virtual ValueTask AcknowledgeAsync(ReadOnlyMemory<BacklogAcknowledgement> batch, CancellationToken cancellationToken = default) => inner.AcknowledgeAsync(batch, cancellationToken);

    public virtual BacklogLevelState GetLevelState(PriorityLevel level) => inner.GetLevelState(level);

    public virtual ValueTask DisposeAsync() => inner.DisposeAsync();
}
