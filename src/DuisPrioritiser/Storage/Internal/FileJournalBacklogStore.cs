using DuisPrioritiser.Classification;
using DuisPrioritiser.Diagnostics;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Journal;
using DuisPrioritiser.Journal.Internal;
using Microsoft.Extensions.Logging;

namespace DuisPrioritiser.Storage.Internal;

/// <summary>
/// The file journal as a backlog store, and as <em>the</em> backlog: a message is appended (and forced to disk) before
/// it is held, and what is held in memory is only a compact entry (level queue slot, enqueue time, journal id,
/// locator, attempts); the message is read back from its segment when it is released. Finished messages are marked
/// complete; a returned message stays live with its new attempt count journaled, so after a restart it is recovered
/// in its original place with its attempts. Opening recovers every accepted message not yet completed, at its level
/// and in its order, as compact entries.
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

    public override ValueTask<JournalPosition> PersistAsync(DuisMessage message, PriorityLevel level, long groupHead = 0) => Opened.AppendAsync(message, level, groupHead);

    public override bool HasRoom => Opened.HasDiskRoom;

    public override ValueTask ForgetAsync(long token) => token <= 0 ? ValueTask.CompletedTask : Opened.CompleteAsync(token);

    public override DuisMessage ReadMessage(in QueuedEntry entry, PriorityLevel level)
        => entry.Message ?? Opened.ReadMessage(entry.Locator, level);

    public override async ValueTask OnReturnedAsync(QueuedEntry entry, PriorityLevel level)
    {
        if (entry.Token <= 0)
        {
            return;
        }

        try
        {
            await Opened.ReturnAsync(entry.Token, entry.Attempts).ConfigureAwait(false);
        }
        catch (JournalWriteException ex)
        {
            // The message is held again in this run and stays live in the journal; only its attempt count after a
            // restart is the previous one.
            Log.JournalAttemptsNotRecorded(_logger, entry.Token, entry.Attempts, ex);
        }
    }

    public override ValueTask DisposeAsync() => _journal?.DisposeAsync() ?? ValueTask.CompletedTask;

    public override void Dispose() => _journal?.Dispose();

    protected override long OpenCore(Action<DuisMessage>? onRecovered, int seedLimit, Action<int, DuisCode, QueuedEntry, long> hold)
    {
        long now = TimeProvider.GetTimestamp();

        // The duplicate window is seeded with the most recently accepted recovered messages only (it holds no more),
        // read back from the journal after recovery: a ring of their locators, not their messages.
        int ringSize = onRecovered is null ? 0 : Math.Max(0, seedLimit);
        var seeds = new (long Locator, PriorityLevel Level)[Math.Min(ringSize, 1 << 20)];
        long seen = 0;
        var journal = MessageJournal.Open(_options, TimeProvider, _logger, recovered =>
        {
            hold((int)recovered.Level, recovered.AlertCode, new QueuedEntry(null, now, recovered.Id, recovered.Attempts, recovered.Locator), recovered.GroupHead);
            if (seeds.Length > 0)
            {
                seeds[seen % seeds.Length] = (recovered.Locator, recovered.Level);
            }

            seen++;
        });

        try
        {
            long first = Math.Max(0, seen - seeds.Length);
            for (long i = first; i < seen; i++)
            {
                var (locator, level) = seeds[i % seeds.Length];
                onRecovered!(journal.ReadMessage(locator, level));
            }
        }
        catch
        {
            journal.Dispose();
            throw;
        }

        int count = (int)Math.Min(int.MaxValue, journal.RecoveredCount);
        Log.JournalRecoveredIntoScheduler(_logger, count);
        _journal = journal;
        return journal.RecoveredCount;
    }

    private IMessageJournal Opened => _journal ?? throw new InvalidOperationException("Open the backlog store first.");
}
