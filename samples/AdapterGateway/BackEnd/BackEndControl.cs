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
    public long ProcessedCount => Interlocked.Read(ref _processed);

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

    /// <summary>Records a processed message, numbering it.</summary>
    /// <param name="create">Creates the record from its sequence number.</param>
    public void Record(Func<long, ProcessedMessage> create)
    {
        lock (_lock)
        {
            var message = create(++_processed);
            if (_recent.Count == _recentCapacity)
            {
                _recent.Dequeue();
            }

            _recent.Enqueue(message);
        }
    }

    /// <summary>Gets the most recently processed messages, oldest first.</summary>
    /// <returns>A copy of the list.</returns>
    public ProcessedMessage[] GetRecent()
    {
        lock (_lock)
        {
            return [.. _recent];
        }
    }
}
