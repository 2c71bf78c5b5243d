namespace DuisPrioritiser.Release.Internal;

/// <summary>
/// A broadcast wake-up for async waiters. A waiter takes <see cref="WaitTask"/> before re-checking its condition;
/// a signaller changes the condition and then calls <see cref="Pulse"/>, which completes the task every current
/// waiter holds and installs a fresh one. Pulse allocates, so callers pulse only when waiters are registered.
/// </summary>
internal sealed class AsyncSignal
{
    private TaskCompletionSource _source = New();

    public Task WaitTask => Volatile.Read(ref _source).Task;

    public void Pulse() => Interlocked.Exchange(ref _source, New()).TrySetResult();

    private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
