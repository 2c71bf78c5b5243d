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
    private readonly IPriorityClassifier? _classifier; // a custom classifier; null: the built-in chain, called directly
    private readonly RuleBasedPriorityClassifier? _overrides; // the explicit overrides of the built-in chain; null when there are none
    private readonly PriorityLevel _defaultLevel;
    private readonly DuisReaderLimits _readerLimits;
    private readonly DuplicateWindow? _duplicates;
    private readonly int _seedCapacity;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private ClockAnchor _anchor;

    public SchedulerIntake(ResponsePrioritisationOptions options, IPriorityClassifier? classifier, TimeProvider timeProvider, ILogger logger)
    {
        _defaultLevel = options.DefaultLevel;
        // The built-in chain (overrides, then the DUIS defaults, then DefaultLevel) is called directly rather than
        // through a chain of interfaces: sealed types the JIT can inline, and no override lookups when there are none.
        _classifier = classifier;
        var overrides = classifier is null ? new RuleBasedPriorityClassifier(options.Overrides) : null;
        _overrides = overrides is { RuleCount: > 0 } ? overrides : null;
        _readerLimits = DuisReaderLimits.From(options.Reader, nameof(options));
        _timeProvider = timeProvider;
        _logger = logger;
        _anchor = new ClockAnchor(timeProvider.GetUtcNow(), timeProvider.GetTimestamp());
        if (options.Deduplication.Enabled)
        {
            _duplicates = new DuplicateWindow(options.Deduplication.Clone(), timeProvider);
            _seedCapacity = options.Deduplication.MaxCount;
        }
    }

    /// <summary>Gets a value indicating whether duplicate suppression is on.</summary>
    public bool Deduplicates => _duplicates is not null;

    /// <summary>Gets how many recovered messages are worth seeding the duplicate window with (it remembers no more).</summary>
    public int SeedCapacity => _seedCapacity;

    public long DuplicatesSuppressed => _duplicates?.SuppressedCount ?? 0;

    /// <summary>Gets how many keys the window forgot before their age limit because their bucket was full.</summary>
    public long DuplicateKeysEvicted => _duplicates?.EvictedLiveCount ?? 0;

    public PriorityLevel Classify(DuisMessage message)
    {
        PriorityLevel level;
        if (_classifier is not null)
        {
            return _classifier.TryClassify(message, out level) && PriorityLevels.IsDefined(level) ? level : _defaultLevel;
        }

        if (_overrides is not null && _overrides.TryClassify(message, out level) && PriorityLevels.IsDefined(level))
        {
            return level;
        }

        return DuisDefaultPriorityClassifier.Instance.TryClassify(message, out level) && PriorityLevels.IsDefined(level) ? level : _defaultLevel;
    }

    /// <summary>Reads raw bytes; logs a refusal. Never throws for bad input.</summary>
    public bool TryRead(ReadOnlyMemory<byte> xml, out DuisMessage message, out DuisParseError error)
    {
        if (DuisReader.TryRead(xml, _readerLimits, out var read, out error))
        {
            message = read;
            return true;
        }

        Log.RejectedInvalid(_logger, error.Code, error.Message);
        message = null!;
        return false;
    }

    /// <summary>
    /// Says whether <paramref name="message"/> repeats one accepted recently (and logs it). The lookup reads the clock
    /// once; <paramref name="check"/> carries that timestamp for <see cref="Remember"/> and the enqueue (one clock read
    /// per message).
    /// </summary>
    public bool IsDuplicate(DuisMessage message, out DuplicateCheck check)
    {
        if (_duplicates is null || !DeduplicationKey.TryCreate(message, out var key))
        {
            check = default;
            return false;
        }

        check = new DuplicateCheck(key, _duplicates.Hash(in key), _timeProvider.GetTimestamp());
        if (!_duplicates.TrySuppress(in check.Key, check.Hash, check.Timestamp))
        {
            return false;
        }

        Log.DuplicateSuppressed(_logger, key);
        return true;
    }

    /// <summary>Remembers the key of an accepted message, as of its intake timestamp.</summary>
    public void Remember(bool accepted, in DuplicateCheck check)
    {
        if (check.HasKey && accepted)
        {
            _duplicates!.Add(in check.Key, check.Hash, check.Timestamp);
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

/// <summary>A message's duplicate key, its hash and the intake timestamp it was looked up at; default when it has no key or suppression is off.</summary>
internal readonly struct DuplicateCheck(DeduplicationKey key, ulong hash, long timestamp)
{
    public readonly DeduplicationKey Key = key;
    public readonly ulong Hash = hash;

    /// <summary>The intake timestamp the lookup used; 0 when no lookup was made (the enqueue reads the clock itself).</summary>
    public readonly long Timestamp = timestamp;

    public bool HasKey => Key.Id is not null;
}
