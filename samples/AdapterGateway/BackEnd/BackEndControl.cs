namespace AdapterGateway.BackEnd;

/// <summary>
/// The demo's view of the simulated back-end: a pause switch (a back-end that stops answering, as during an outage
/// or a deployment) and the most recently processed messages.
/// </summary>
internal sealed class BackEndControl
{
    private readonly Lock _lock = new();
    private readonly Queue<ProcessedMessage> _recent;
    private readonly int _recentCapacity;
    private readonly ILogger<BackEndControl> _logger;
    private TaskCompletionSource _gate;
    private long _processed;
    private long _received;

    public BackEndControl(Microsoft.Extensions.Options.IOptions<SimulatedBackEndOptions> options, ILogger<BackEndControl> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _recentCapacity = options.Value.RecentCapacity;
        _recent = new Queue<ProcessedMessage>(Math.Min(_recentCapacity, 1_024));
        _logger = logger;
        _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _gate.SetResult();
    }

    /// <summary>Gets a value indicating whether the back-end is paused.</summary>
    public bool IsPaused
    {
        get
        {
            lock (_lock)
            {
                return !_gate.Task.IsCompleted;
            }
        }
    }

    /// <summary>Gets how many messages the back-end has processed since the gateway started.</summary>
    public long ProcessedCount
    {
        get
        {
            lock (_lock)
            {
                return _processed;
            }
        }
    }

    /// <summary>Stops the back-end answering: messages released to it wait until <see cref="Resume"/>. Idempotent.</summary>
    public void Pause()
    {
        lock (_lock)
        {
            if (_gate.Task.IsCompleted)
            {
                _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Log.Paused(_logger);
            }
        }
    }

    /// <summary>Lets the back-end answer again. Idempotent.</summary>
    public void Resume()
    {
        lock (_lock)
        {
            if (_gate.TrySetResult())
            {
                Log.Resumed(_logger);
            }
        }
    }

    /// <summary>Waits while the back-end is paused.</summary>
    /// <param name="cancellationToken">Cancelled on the handler time-out or at shutdown.</param>
    /// <returns>A task that completes when the back-end is running.</returns>
    public Task WaitWhilePausedAsync(CancellationToken cancellationToken)
    {
        Task gate;
        lock (_lock)
        {
            gate = _gate.Task;
        }

        return gate.WaitAsync(cancellationToken);
    }

    /// <summary>Numbers a message as the back-end receives it.</summary>
    /// <returns>Its number, from 1.</returns>
    public long Receive() => Interlocked.Increment(ref _received);

    /// <summary>Records a processed message.</summary>
    /// <param name="message">The message.</param>
    public void Record(ProcessedMessage message)
    {
        lock (_lock)
        {
            _processed++;
            if (_recent.Count == _recentCapacity)
            {
                _recent.Dequeue();
            }

            _recent.Enqueue(message);
        }
    }

    /// <summary>Gets the most recently processed messages, in the order the back-end received them.</summary>
    /// <returns>A copy of the list.</returns>
    public ProcessedMessage[] GetRecent()
    {
        ProcessedMessage[] recent;
        lock (_lock)
        {
            recent = [.. _recent];
        }

        Array.Sort(recent, static (a, b) => a.Received.CompareTo(b.Received));
        return recent;
    }
}
