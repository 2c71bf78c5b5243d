using DuisPrioritiser.Classification;
using DuisPrioritiser.Diagnostics;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Journal;
using DuisPrioritiser.Journal.Internal;
using Microsoft.Extensions.Logging;

namespace DuisPrioritiser.Storage.Internal;

/// <summary>
/// The file journal as a backlog store: a message is appended (and forced to disk) before it is held, finished
/// messages are marked complete, and opening recovers every accepted message not yet completed, at its level and in
/// its order. A returned message stays live in the journal, so after a restart it is recovered in its original place.
/// </summary>
internal sealed class FileJournalBacklogStore : EmbeddedBacklogStore
{
    private readonly JournalOptions _options;
    private readonly ILogger _logger;
    private IMessageJournal? _journal;

    public FileJournalBacklogStore(JournalOptions options, TimeProvider timeProvider, ILogger logger, BacklogFairness? fairness = null)
        : base(timeProvider, fairness)
    {
        _options = options.Clone();
        _logger = logger;
    }

    public override BacklogStoreCapabilities Capabilities => BacklogStoreCapabilities.Durable;

    /// <summary>Gets the journal once open, for tests.</summary>
    internal IMessageJournal? Journal => _journal;

    public override ValueTask<long> PersistAsync(DuisMessage message, PriorityLevel level) => Opened.AppendAsync(message, level);

    public override ValueTask ForgetAsync(long token) => token <= 0 ? ValueTask.CompletedTask : Opened.CompleteAsync(token);

    public override ValueTask DisposeAsync() => _journal?.DisposeAsync() ?? ValueTask.CompletedTask;

    public override void Dispose() => _journal?.Dispose();

    protected override long OpenCore(Action<DuisMessage>? onRecovered)
    {
        var journal = MessageJournal.Open(_options, TimeProvider, _logger);
        long now = TimeProvider.GetTimestamp();
        foreach (var recovered in journal.Recovered)
        {
            Backlog.Add((int)recovered.Level, new QueuedEntry(recovered.Message, now, recovered.Id));
            onRecovered?.Invoke(recovered.Message);
        }

        Log.JournalRecoveredIntoScheduler(_logger, journal.Recovered.Count);
        _journal = journal;
        return journal.Recovered.Count;
    }

    private IMessageJournal Opened => _journal ?? throw new InvalidOperationException("Open the backlog store first.");
}
