namespace StormSimulator.Simulation;

/// <summary>A queue under test, driven by <see cref="StormEngine"/> at the current virtual time. Messages are trace indices.</summary>
internal interface ISimulatedQueue : IDisposable
{
    /// <summary>Gets the policy name.</summary>
    string Name { get; }

    /// <summary>Gets the traffic mode, for queues that have one; otherwise <see langword="null"/>.</summary>
    string? Mode { get; }

    /// <summary>Accepts message <paramref name="index"/> of the trace; throws if the queue refuses it.</summary>
    void Enqueue(int index);

    /// <summary>Releases the next message, if the queue releases one now.</summary>
    bool TryDequeue(out int index);

    /// <summary>Tells the queue that the back-end finished message <paramref name="index"/>.</summary>
    void OnHandled(int index);
}
