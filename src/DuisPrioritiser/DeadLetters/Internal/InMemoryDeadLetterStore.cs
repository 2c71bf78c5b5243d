using DuisPrioritiser.Release;

namespace DuisPrioritiser.DeadLetters.Internal;

/// <summary>
/// The dead-letter store without a journal: keeps each dead letter's bytes (copied), level, reason and attempts in
/// memory, under a lock. Lost when the process exits — turn the journal on for a durable store.
/// </summary>
internal sealed class InMemoryDeadLetterStore(TimeProvider timeProvider) : IDeadLetterStore
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<long, StoredDeadLetter> _letters = [];
    private long _nextId = 1;

    public ValueTask DeadLetterAsync(DeadLetter deadLetter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deadLetter);
        lock (_lock)
        {
            var stored = DeadLetterRecord.From(deadLetter, _nextId++, timeProvider.GetUtcNow());
            _letters.Add(stored.Id, stored);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<long> CountAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return new ValueTask<long>(_letters.Count);
        }
    }

    public ValueTask<IReadOnlyList<StoredDeadLetter>> ListAsync(long afterId = 0, int limit = 100, CancellationToken cancellationToken = default)
    {
        DeadLetterRecord.ValidatePage(afterId, limit);
        lock (_lock)
        {
            IReadOnlyList<StoredDeadLetter> page = _letters.Values.Where(letter => letter.Id > afterId).Take(limit).ToArray();
            return new ValueTask<IReadOnlyList<StoredDeadLetter>>(page);
        }
    }

    public ValueTask<StoredDeadLetter?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return new ValueTask<StoredDeadLetter?>(_letters.GetValueOrDefault(id));
        }
    }

    public ValueTask<bool> RemoveAsync(long id, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return new ValueTask<bool>(_letters.Remove(id));
        }
    }
}
