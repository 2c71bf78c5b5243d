using System.Threading.Channels;

namespace StormSimulator.Simulation;

/// <summary><c>Channel.CreateUnboundedPrioritized</c> ordered by the classifier's level: strict priority, unordered within a level (a heap).</summary>
internal sealed class PrioritizedChannelQueue : ISimulatedQueue
{
    private readonly Channel<int> _channel;

    public PrioritizedChannelQueue(byte[] levels)
    {
        ArgumentNullException.ThrowIfNull(levels);
        _channel = Channel.CreateUnboundedPrioritized(new UnboundedPrioritizedChannelOptions<int>
        {
            Comparer = Comparer<int>.Create((a, b) => levels[a].CompareTo(levels[b])),
            SingleReader = true,
            SingleWriter = true,
        });
    }

    public string Name => PolicyNames.PrioritizedChannel;

    public string? Mode => null;

    public void Enqueue(int index)
    {
        if (!_channel.Writer.TryWrite(index))
        {
            throw new InvalidOperationException("The prioritized channel refused a message.");
        }
    }

    public bool TryDequeue(out int index) => _channel.Reader.TryRead(out index);

    public void OnHandled(int index)
    {
    }

    public void Dispose() => _channel.Writer.TryComplete();
}
