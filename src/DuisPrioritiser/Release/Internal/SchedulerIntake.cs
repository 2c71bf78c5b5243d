using DuisPrioritiser.Classification;
using DuisPrioritiser.Deduplication.Internal;
using DuisPrioritiser.Diagnostics;
using DuisPrioritiser.Duis;
using Microsoft.Extensions.Logging;

namespace DuisPrioritiser.Release.Internal;

/// <summary>
/// The intake part of the scheduler: reads raw bytes safely, classifies a message to its level, stamps its receive
/// time, and suppresses recent duplicates. It holds nothing; the scheduler hands what it decides to the store.
/// </summary>
/// <remarks>
/// <para><b>Duplicates.</b> A key is remembered only after its message was accepted, and looked up before; two copies
/// racing may therefore both be accepted (a redelivery, harmless under at-least-once), but a copy is never reported
/// as a duplicate of a message that was refused, so suppression can never lose a message.</para>
/// <para><b>Clock.</b> Monotonic timestamps are converted to wall-clock time from an anchor re-read once a minute: one
/// clock read per message instead of two, and wall-clock steps (NTP) are picked up within a minute.</para>
/// </remarks>
internal sealed class SchedulerIntake
{
    private readonly IPriorityClassifier _classifier;
    private readonly PriorityLevel _defaultLevel;
    private readonly int _maxMessageBytes;
    private readonly DuplicateWindow? _duplicates;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private ClockAnchor _anchor;

    public SchedulerIntake(ResponsePrioritisationOptions options, IPriorityClassifier? classifier, TimeProvider timeProvider, ILogger logger)
    {
        _defaultLevel = options.DefaultLevel;
        _classifier = classifier ?? PriorityClassifier.Combine(options.DefaultLevel, new RuleBasedPriorityClassifier(options.Overrides), DuisDefaultPriorityClassifier.Instance);
        _maxMessageBytes = options.Reader.MaxMessageBytes;
        _timeProvider = timeProvider;
        _logger = logger;
        _anchor = new ClockAnchor(timeProvider.GetUtcNow(), timeProvider.GetTimestamp());
        if (options.Deduplication.Enabled)
        {
            _duplicates = new DuplicateWindow(options.Deduplication.Clone(), timeProvider);
        }
    }

    /// <summary>Gets a value indicating whether duplicate suppression is on.</summary>
    public bool Deduplicates => _duplicates is not null;

    public long DuplicatesSuppressed => _duplicates?.SuppressedCount ?? 0;

    public PriorityLevel Classify(DuisMessage message)
        => _classifier.TryClassify(message, out var level) && PriorityLevels.IsDefined(level) ? level : _defaultLevel;

    /// <summary>Reads raw bytes; logs a refusal. Never throws for bad input.</summary>
    public bool TryRead(ReadOnlyMemory<byte> xml, out DuisMessage message, out DuisParseError error)
    {
        if (DuisReader.TryRead(xml, _maxMessageBytes, out var read, out error))
        {
            message = read;
            return true;
        }

        Log.RejectedInvalid(_logger, error.Code, error.Message);
        message = null!;
        return false;
    }

    /// <summary>Says whether <paramref name="message"/> repeats one accepted recently (and logs it); gives its key for <see cref="Remember"/>.</summary>
    public bool IsDuplicate(DuisMessage message, out DeduplicationKey key, out bool hasKey)
    {
        if (_duplicates is null || !DeduplicationKey.TryCreate(message, out key))
        {
            key = default;
            hasKey = false;
            return false;
        }

        hasKey = true;
        if (!_duplicates.TrySuppress(key))
        {
            return false;
        }

        Log.DuplicateSuppressed(_logger, key);
        return true;
    }

    /// <summary>Remembers the key of an accepted message.</summary>
    public void Remember(bool accepted, in DeduplicationKey key, bool hasKey)
    {
        if (hasKey && accepted)
        {
            _duplicates!.Add(key);
        }
    }

    /// <summary>Remembers the key of a message recovered from a durable store.</summary>
    public void Seed(DuisMessage message)
    {
        if (_duplicates is not null && DeduplicationKey.TryCreate(message, out var key))
        {
            _duplicates.Add(key);
        }
    }

    /// <summary>Stamps <see cref="DuisMessage.ReceivedAt"/> from the anchored clock when the creator left it unset.</summary>
    public void Stamp(DuisMessage message, long timestamp)
    {
        if (message.ReceivedAt == default)
        {
            message.StampReceivedAt(ToUtc(timestamp));
        }
    }

    /// <summary>Converts a monotonic timestamp to wall-clock time.</summary>
    public DateTimeOffset ToUtc(long timestamp)
    {
        var anchor = Volatile.Read(ref _anchor);
        var elapsed = _timeProvider.GetElapsedTime(anchor.Timestamp, timestamp);
        if (elapsed < TimeSpan.Zero || elapsed > ClockAnchor.Lifetime)
        {
            anchor = new ClockAnchor(_timeProvider.GetUtcNow(), _timeProvider.GetTimestamp());
            Volatile.Write(ref _anchor, anchor);
            elapsed = _timeProvider.GetElapsedTime(anchor.Timestamp, timestamp);
        }

        return anchor.Utc + elapsed;
    }

    private sealed class ClockAnchor(DateTimeOffset utc, long timestamp)
    {
        public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

        public DateTimeOffset Utc { get; } = utc;

        public long Timestamp { get; } = timestamp;
    }
}
