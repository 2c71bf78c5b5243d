using DuisPrioritiser.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuisPrioritiser.Release.Internal;

/// <summary>
/// The pause switch of the hosted release loop. The loop awaits <see cref="WaitUntilOpenAsync"/> before it takes
/// each message: completed synchronously while open (one volatile read), otherwise a task that completes on
/// <see cref="Resume"/>.
/// </summary>
/// <remarks>
/// Memory ordering: <see cref="Pause"/> installs a fresh, incomplete task under the lock before it publishes the
/// paused flag; <see cref="Resume"/> clears the flag and completes that task under the same lock. A waiter that
/// reads the flag as set then reads the task under the lock, so it can never hold a task that no resume will
/// complete.
/// </remarks>
internal sealed class ReleaseGate : IReleaseControl
{
    private readonly Lock _lock = new();
    private readonly ILogger _logger;
    private TaskCompletionSource _opened = NewOpened();
    private volatile bool _paused;

    public ReleaseGate(ILogger<ReleaseGate>? logger = null)
    {
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _opened.TrySetResult();
    }

    public bool IsPaused => _paused;

    public void Pause()
    {
        lock (_lock)
        {
            if (_paused)
            {
                return;
            }

            _opened = NewOpened();
            _paused = true;
        }

        Log.ReleasePaused(_logger);
    }

    public void Resume()
    {
        lock (_lock)
        {
            if (!_paused)
            {
                return;
            }

            _paused = false;
            _opened.TrySetResult();
        }

        Log.ReleaseResumed(_logger);
    }

    /// <summary>Completes at once while open; otherwise when <see cref="Resume"/> is called or <paramref name="cancellationToken"/> is cancelled.</summary>
    public ValueTask WaitUntilOpenAsync(CancellationToken cancellationToken)
    {
        if (!_paused)
        {
            return ValueTask.CompletedTask;
        }

        Task opened;
        lock (_lock)
        {
            opened = _opened.Task;
        }

        return new ValueTask(opened.WaitAsync(cancellationToken));
    }

    private static TaskCompletionSource NewOpened() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
