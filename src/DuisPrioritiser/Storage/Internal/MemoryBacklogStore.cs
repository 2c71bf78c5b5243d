using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Storage.Internal;

/// <summary>The default store: held messages live on the managed heap, in this process only.</summary>
/// <remarks>Each held message costs its envelope and raw bytes (about 2–3 KB for a typical DUIS message) plus about 32 bytes of queue slot.</remarks>
internal sealed class MemoryBacklogStore(TimeProvider timeProvider, BacklogFairness? fairness = null) : EmbeddedBacklogStore(timeProvider, fairness)
{
    public override BacklogStoreCapabilities Capabilities => BacklogStoreCapabilities.None;

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public override void Dispose()
    {
    }

    protected override long OpenCore(Action<DuisMessage>? onRecovered, int seedLimit, Action<int, DuisCode, QueuedEntry, long> hold) => 0;
}
