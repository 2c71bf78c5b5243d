using Microsoft.Extensions.Logging;

namespace DuisPrioritiser.Journal.Internal;

/// <summary>Creates the journal the options select (today the file journal; see docs/journal.md for why not SQLite).</summary>
internal static class MessageJournal
{
    /// <exception cref="JournalCorruptedException">The journal is damaged and the options say to refuse.</exception>
    /// <exception cref="JournalLockedException">Another journal has the directory open.</exception>
    /// <exception cref="IOException">The directory cannot be read or written.</exception>
    public static IMessageJournal Open(JournalOptions options, TimeProvider timeProvider, ILogger logger, Action<RecoveredMessage>? onRecovered)
        => FileMessageJournal.Open(options, timeProvider, logger, onRecovered);
}
