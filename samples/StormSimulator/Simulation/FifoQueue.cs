namespace StormSimulator.Simulation;

/// <summary>Today's behaviour: one FIFO for everything.</summary>
internal sealed class FifoQueue : ISimulatedQueue
{
    private readonly Queue<int> _queue = new();

    public string Name => PolicyNames.Fifo;

    public string? Mode => null;

    public void Enqueue(int index) => _queue.Enqueue(index);

    public bool TryDequeue(out int index) => _queue.TryDequeue(out index);

    public void OnHandled(int index)
    {
    }

    public void Dispose()
    {
    }
}
