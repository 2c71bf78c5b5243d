using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Diagnostics;
using DuisPrioritiser.Duis;
using Microsoft.Extensions.Logging;

namespace DuisPrioritiser.Journal.Internal;

/// <summary>
/// An append-only journal in segment files (<c>NNNNNNNNNNNN.djl</c>) written by one writer task.
/// </summary>
/// <remarks>
/// <para><b>Writing.</b> Appends and completions go through an unbounded channel to a single writer, which takes
/// every request waiting (up to <see cref="JournalOptions.MaxBatchSize"/>, lingering up to
/// <see cref="JournalOptions.MaxBatchDelay"/>), assigns ids in order, encodes the batch into one buffer, writes it
/// with one call and forces it to disk with one <c>fsync</c>; then it answers the appenders. Completions ride along
/// and are answered once written (they survive a process crash); a batch of completions only is <c>fsync</c>ed when no
/// other request is queued, so a power loss can only redeliver messages acknowledged while the writer was still busy.
/// Under <see cref="JournalFlushPolicy.EveryMessage"/> each batch holds one request.</para>
/// <para><b>Exclusive.</b> <see cref="LockFileName"/> is held open with <see cref="FileShare.None"/> while the journal
/// is open; a second journal on the same directory gets <see cref="JournalLockedException"/>.</para>
/// <para><b>Failure.</b> When a write or <c>fsync</c> fails (disk full), the file is cut back to its last good length,
/// the batch's appenders get <see cref="JournalWriteException"/> (their messages were not accepted) and the writer
/// goes on. If the file cannot even be cut back, the journal is faulted and refuses every later append.</para>
/// <para><b>Compaction.</b> A segment other than the active one is deleted when none of its ids is live and no
/// remaining segment lies between the oldest segment its Complete records refer to and itself (so deleting it never
/// resurrects a completed message).</para>
/// </remarks>
internal sealed class FileMessageJournal : IMessageJournal
{
    public const string SegmentExtension = ".djl";

    /// <summary>The lock file held open with <see cref="FileShare.None"/> for the journal's lifetime.</summary>
    public const string LockFileName = "journal.lock";

    private readonly JournalOptions _options;
    private readonly string _directory;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Channel<JournalRequest> _requests;
    private readonly List<JournalSegment> _segments = [];
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);

    /// <summary>For each live message whose attempt count was journaled: the segment holding its latest Returned record.</summary>
    private readonly Dictionary<long, JournalSegment> _attemptHolders = [];
    private readonly int _maxBatch;
    private long _recoveredCount;
    private long _diskBytes; // bytes of every kept segment file: the writer updates it, intake reads it
    private int _overBudget;
    private Task _writer = Task.CompletedTask;
    private FileStream? _stream;
    private FileStream? _lock;
    private JournalReader? _reader;
    private JournalSegment? _active;
    private long _activeLength;
    private long _nextId = 1;
    private long _nextSegmentNumber = 1;
    private Exception? _fault;

    private FileMessageJournal(JournalOptions options, TimeProvider timeProvider, ILogger logger)
    {
        _options = options;
        _directory = Path.GetFullPath(options.Directory!);
        _timeProvider = timeProvider;
        _logger = logger;
        _maxBatch = options.FlushPolicy == JournalFlushPolicy.EveryMessage ? 1 : options.MaxBatchSize;
        _requests = Channel.CreateUnbounded<JournalRequest>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });
    }

    public long RecoveredCount => _recoveredCount;

    /// <summary>Gets the bytes the kept segment files take.</summary>
    public long DiskBytes => Volatile.Read(ref _diskBytes);

    public bool HasDiskRoom
    {
        get
        {
            bool room = Volatile.Read(ref _diskBytes) < _options.MaxDiskSize;
            int over = room ? 0 : 1;
            if (Interlocked.Exchange(ref _overBudget, over) != over)
            {
                // Logged when the state changes, not per refused message.
                if (room)
                {
                    Log.JournalDiskBudgetRecovered(_logger, _directory, DiskBytes, _options.MaxDiskSize);
                }
                else
                {
                    Log.JournalDiskBudgetReached(_logger, _directory, DiskBytes, _options.MaxDiskSize);
                }
            }

            return room;
        }
    }

    /// <summary>Gets or sets a test hook run before each write; an exception it returns is thrown as if by the file system.</summary>
    internal Func<IOException?>? FaultInjector { get; set; }

    /// <summary>Gets or sets a test hook told of each file operation that matters for durability:
    /// <c>("create", file, 0)</c> when a segment file is created and <c>("fsync", file, length)</c> after each <c>fsync</c>.</summary>
    internal Action<string, string, long>? IoObserver { get; set; }

    /// <summary>Gets the reader of held messages, for tests.</summary>
    internal JournalReader? Reader => _reader;

    /// <summary>Gets the number of segment files currently kept.</summary>
    internal int SegmentCount => _segments.Count;

    /// <summary>Opens (creating if needed) the journal in <see cref="JournalOptions.Directory"/>, recovers it and starts the writer.</summary>
    /// <exception cref="JournalCorruptedException">A segment is damaged before its last good record and <see cref="JournalOptions.CorruptionHandling"/> is Throw.</exception>
    /// <exception cref="JournalLockedException">Another journal (in this or another process) has the directory open.</exception>
    /// <exception cref="IOException">The directory cannot be read or written.</exception>
    /// <exception cref="JournalNotWritableException">The directory exists but cannot be written (a read-only file system, or no permission).</exception>
    public static FileMessageJournal Open(JournalOptions options, TimeProvider timeProvider, ILogger logger, Action<RecoveredMessage>? onRecovered = null)
        => Open(options, timeProvider, logger, onRecovered, openLockFile: null);

    /// <summary>Opens the journal; <paramref name="openLockFile"/> replaces how the lock file is opened (a test seam for file-system errors).</summary>
    internal static FileMessageJournal Open(JournalOptions options, TimeProvider timeProvider, ILogger logger, Action<RecoveredMessage>? onRecovered, Func<string, FileStream>? openLockFile)
    {
        ArgumentNullException.ThrowIfNull(options);
        var journal = new FileMessageJournal(options.Clone(), timeProvider, logger);
        try
        {
            journal.TakeLock(openLockFile);
            journal.Recover(onRecovered);
            journal._reader = new JournalReader(journal._directory);
            journal._writer = Task.Run(journal.WriteLoopAsync);
            return journal;
        }
        catch
        {
            journal._stream?.Dispose();
            journal._lock?.Dispose();
            throw;
        }
    }

    public ValueTask<JournalPosition> AppendAsync(DuisMessage message, PriorityLevel level, long groupHead = 0)
    {
        var request = new JournalRequest(JournalRecordType.Enqueue, message, level, 0) { GroupHead = groupHead };
        if (!_requests.Writer.TryWrite(request))
        {
            throw new ObjectDisposedException(nameof(FileMessageJournal), "The journal is closed: the scheduler was disposed.");
        }

        return new ValueTask<JournalPosition>(request.Task);
    }

    public async ValueTask CompleteAsync(long id)
    {
        var request = new JournalRequest(JournalRecordType.Complete, null, default, id);
        if (!_requests.Writer.TryWrite(request))
        {
            Log.JournalCompletionNotRecorded(_logger, id);
            return;
        }

        await request.Task.ConfigureAwait(false);
    }

    public async ValueTask ReturnAsync(long id, int attempts)
    {
        var request = new JournalRequest(JournalRecordType.Returned, null, default, id) { Attempts = attempts };
        if (!_requests.Writer.TryWrite(request))
        {
            Log.JournalAttemptsNotRecorded(_logger, id, attempts, null);
            return;
        }

        await request.Task.ConfigureAwait(false);
    }

    public DuisMessage ReadMessage(long locator, PriorityLevel level)
        => (_reader ?? throw new InvalidOperationException("The journal is not open.")).Read(locator, level);

    public void Dispose()
    {
        _reader?.Dispose();
        _requests.Writer.TryComplete();
        try
        {
            _writer.GetAwaiter().GetResult();
        }
        finally
        {
            _lock?.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _reader?.Dispose();
        _requests.Writer.TryComplete();
        try
        {
            await _writer.ConfigureAwait(false);
        }
        finally
        {
            if (_lock is not null)
            {
                await _lock.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Opens <see cref="LockFileName"/> with <see cref="FileShare.None"/> and keeps it open until disposed, so that a
    /// second scheduler on the same directory (in this process or another) fails instead of delivering the same
    /// messages and deleting segments the first one still needs. The OS releases the lock when the process dies
    /// (on Unix .NET takes an advisory <c>flock</c> on the descriptor). The file is left in place: deleting it on
    /// close would let a waiting opener lock the unlinked file while a third creates and locks a new one.
    /// </summary>
    /// <remarks>
    /// Only a sharing or lock violation is a lock conflict. Any other failure to open the lock file for writing (a
    /// read-only file system, such as ext4 remounted read-only after disk errors; no permission) is
    /// <see cref="JournalNotWritableException"/>: telling an operator "in use by another scheduler" there would send
    /// them looking for a process that does not exist.
    /// </remarks>
    private void TakeLock(Func<string, FileStream>? openLockFile)
    {
        Directory.CreateDirectory(_directory);
        string path = Path.Combine(_directory, LockFileName);
        try
        {
            _lock = openLockFile is not null
                ? openLockFile(path)
                : new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        }
        catch (IOException ex) when (IsLockConflict(ex))
        {
            Log.JournalLocked(_logger, ex, _directory);
            throw new JournalLockedException(
                $"The journal directory '{_directory}' is in use by another scheduler (in this or another process), which holds '{path}'. " +
                "Give each scheduler its own Journal.Directory, or stop the other one first.",
                ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.JournalNotWritable(_logger, ex, _directory, ex.Message);
            throw new JournalNotWritableException(
                $"The journal directory '{_directory}' cannot be written ({ex.Message}): the file system may be read-only (for example remounted " +
                "read-only after disk errors) or the process lacks write permission. This is not a lock conflict: fix the disk or the permissions and restart.",
                ex);
        }
    }

    /// <summary>
    /// Whether <paramref name="exception"/> is a sharing or lock violation: Windows' ERROR_SHARING_VIOLATION or
    /// ERROR_LOCK_VIOLATION, or on Unix the EWOULDBLOCK of .NET's <c>flock(LOCK_EX | LOCK_NB)</c> (errno 11 on Linux,
    /// 35 on macOS), which .NET reports with the errno as the HResult.
    /// </summary>
    internal static bool IsLockConflict(IOException exception)
    {
        const int SharingViolation = unchecked((int)0x80070020);
        const int LockViolation = unchecked((int)0x80070021);
        int errno = OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD() ? 35 : 11;
        return exception.HResult is SharingViolation or LockViolation || exception.HResult == errno;
    }

    private static string SegmentPath(string directory, long number)
        => Path.Combine(directory, number.ToString("D12", CultureInfo.InvariantCulture) + SegmentExtension);

    private void Recover(Action<RecoveredMessage>? onRecovered)
    {
        Directory.CreateDirectory(_directory);
        var files = new List<(long Number, string Path)>();
        foreach (var path in Directory.EnumerateFiles(_directory, "*" + SegmentExtension))
        {
            if (long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out long number))
            {
                files.Add((number, path));
            }
        }

        files.Sort(static (a, b) => a.Number.CompareTo(b.Number));

        // Per segment, the compact form of its Enqueue records in id order; whether each is still live is known only
        // once every segment is read (its Complete may be in a later one), from the segments' live bitmaps.
        var enqueued = new List<List<RecoveredMessage>>();
        var attempts = new Dictionary<long, int>();
        long maxId = 0;
        for (int i = 0; i < files.Count; i++)
        {
            bool isLast = i == files.Count - 1;
            var (number, path) = files[i];
            _nextSegmentNumber = Math.Max(_nextSegmentNumber, number + 1);
            var bytes = File.ReadAllBytes(path);
            if (!JournalRecordCodec.TryReadSegmentHeader(bytes, out long headerNumber, out long firstId) || headerNumber != number)
            {
                if (isLast && bytes.Length < JournalRecordCodec.SegmentHeaderSize)
                {
                    // Killed while creating the segment, before its header was durable: it holds nothing.
                    Log.JournalTornSegmentRemoved(_logger, path, bytes.Length);
                    File.Delete(path);
                    continue;
                }

                OnDamage(path, 0, bytes.Length, "bad segment header", goodFollows: !isLast);
                continue;
            }

            var segment = new JournalSegment(number, firstId, path) { Length = bytes.Length };
            var records = new List<RecoveredMessage>();
            _segments.Add(segment);
            enqueued.Add(records);
            maxId = Math.Max(maxId, firstId - 1);
            int position = JournalRecordCodec.SegmentHeaderSize;
            while (position < bytes.Length)
            {
                var rest = bytes.AsSpan(position);
                if (JournalRecordCodec.TryReadRecord(rest, out var type, out byte level, out long id, out var body, out int length, out byte format)
                    && TryApply(segment, position, type, level, id, body, format, records, attempts))
                {
                    maxId = Math.Max(maxId, type == JournalRecordType.Enqueue ? id : 0);
                    position += length;
                    continue;
                }

                int next = FindNextGoodRecord(bytes, position + 1);
                if (next < 0 && isLast)
                {
                    // A torn final write: nothing good follows, and the caller of that write was never answered.
                    Log.JournalTornTailTruncated(_logger, path, position, bytes.Length - position);
                    using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read);
                    stream.SetLength(position);
                    stream.Flush(true);
                    segment.Length = position;
                    break;
                }

                OnDamage(path, position, (next < 0 ? bytes.Length : next) - position, "bad checksum or length", goodFollows: next >= 0 || !isLast);
                if (next < 0)
                {
                    break;
                }

                position = next;
            }
        }

        _nextId = maxId + 1;
        long recovered = 0;
        for (int i = 0; i < _segments.Count; i++)
        {
            var segment = _segments[i];
            foreach (var record in enqueued[i])
            {
                if (segment.IsLive(record.Id))
                {
                    onRecovered?.Invoke(attempts.TryGetValue(record.Id, out int count) ? record with { Attempts = count } : record);
                    recovered++;
                }
            }

            enqueued[i] = null!; // let the compact records of a consumed segment go
        }

        _recoveredCount = recovered;
        long kept = 0;
        foreach (var segment in _segments)
        {
            kept += segment.Length;
        }

        Volatile.Write(ref _diskBytes, kept);
        StartSegment();
        Compact();
        int recoveredCount = (int)Math.Min(int.MaxValue, recovered);
        Log.JournalOpened(_logger, _directory, _segments.Count, recoveredCount, _nextId);
    }

    private bool TryApply(
        JournalSegment segment,
        int position,
        JournalRecordType type,
        byte level,
        long id,
        ReadOnlySpan<byte> body,
        byte format,
        List<RecoveredMessage> records,
        Dictionary<long, int> attempts)
    {
        if (type == JournalRecordType.Enqueue)
        {
            if (id < segment.FirstId || !PriorityLevels.IsDefined((PriorityLevel)level))
            {
                return false;
            }

            DuisCode alertCode;
            try
            {
                // Validates the whole envelope (a record that does not decode is damage), keeps only what is held.
                _ = JournalRecordCodec.ReadMessage(body, format);
                alertCode = JournalRecordCodec.ReadAlertCode(body);
            }
            catch (FormatException)
            {
                return false;
            }

            segment.MarkLive(id);
            records.Add(new RecoveredMessage(id, (PriorityLevel)level, JournalPosition.Pack(segment.Number, position), 0, alertCode, JournalRecordCodec.ReadGroupHead(body, format)));
            return true;
        }

        if (type == JournalRecordType.Returned)
        {
            if (!JournalRecordCodec.TryReadReturned(body, out int count))
            {
                return false;
            }

            if (FindSegment(id) is { } target && target.IsLive(id))
            {
                attempts[id] = count;
                PinAttempts(segment, id);
            }

            return true;
        }

        attempts.Remove(id);
        MarkComplete(segment, id);
        return true;
    }

    private void OnDamage(string path, long offset, long bytes, string reason, bool goodFollows)
    {
        if (_options.CorruptionHandling == JournalCorruptionHandling.Throw)
        {
            throw new JournalCorruptedException(path, offset, reason + (goodFollows ? string.Empty : ", in a sealed segment"));
        }

        Log.JournalDamageSkipped(_logger, path, offset, bytes, reason);
    }

    private static int FindNextGoodRecord(byte[] bytes, int from)
    {
        for (int position = from; position <= bytes.Length - JournalRecordCodec.MinRecordSize; position++)
        {
            if (JournalRecordCodec.TryReadRecord(bytes.AsSpan(position), out _, out _, out _, out _, out _))
            {
                return position;
            }
        }

        return -1;
    }

    private JournalSegment? FindSegment(long id)
    {
        int lo = 0;
        int hi = _segments.Count - 1;
        JournalSegment? found = null;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_segments[mid].FirstId <= id)
            {
                found = _segments[mid];
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found;
    }

    /// <summary>
    /// Makes the previous segment durable, then creates the next one and makes its header durable. The order matters:
    /// recovery forgives a torn tail only in the last file, so the previous segment must be whole on disk (including
    /// completion-only writes that were not yet <c>fsync</c>ed) before a newer file can exist.
    /// </summary>
    private void StartSegment()
    {
        if (_stream is not null)
        {
            Fsync(_stream, _active!.Path, _activeLength);
        }

        long number = _nextSegmentNumber;
        string path = SegmentPath(_directory, number);
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0);
        IoObserver?.Invoke("create", Path.GetFileName(path), 0);
        try
        {
            Span<byte> header = stackalloc byte[JournalRecordCodec.SegmentHeaderSize];
            JournalRecordCodec.WriteSegmentHeader(header, number, _nextId);
            stream.Write(header);
            Fsync(stream, path, JournalRecordCodec.SegmentHeaderSize);
        }
        catch
        {
            stream.Dispose();
            File.Delete(path);
            throw;
        }

        _nextSegmentNumber = number + 1;
        _stream?.Dispose();

        _stream = stream;
        _activeLength = JournalRecordCodec.SegmentHeaderSize;
        _active = new JournalSegment(number, _nextId, path) { Length = JournalRecordCodec.SegmentHeaderSize };
        Interlocked.Add(ref _diskBytes, JournalRecordCodec.SegmentHeaderSize);
        _segments.Add(_active);
        Log.JournalSegmentStarted(_logger, path, _nextId);
    }

    private void Compact()
    {
        bool deleted;
        do
        {
            deleted = false;
            for (int i = 0; i < _segments.Count; i++)
            {
                var segment = _segments[i];
                if (segment == _active || segment.LiveCount > 0 || segment.AttemptPins > 0 || RefersToRemaining(segment, i))
                {
                    continue;
                }

                try
                {
                    File.Delete(segment.Path);
                }
                catch (IOException ex)
                {
                    Log.JournalSegmentDeleteFailed(_logger, ex, segment.Path);
                    return;
                }

                _segments.RemoveAt(i);
                Interlocked.Add(ref _diskBytes, -segment.Length);
                Log.JournalSegmentDeleted(_logger, segment.Path);
                deleted = true;
                break;
            }
        }
        while (deleted);
    }

    /// <summary>Whether a segment older than <paramref name="segment"/> but not older than the oldest it refers to remains.</summary>
    private bool RefersToRemaining(JournalSegment segment, int index)
        => index > 0 && _segments[index - 1].Number >= segment.OldestReferenced;

    private async Task WriteLoopAsync()
    {
        var reader = _requests.Reader;
        var batch = new List<JournalRequest>(Math.Min(_maxBatch, 4096));
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (batch.Count < _maxBatch && reader.TryRead(out var request))
                {
                    batch.Add(request);
                }

                if (_options.MaxBatchDelay > TimeSpan.Zero && batch.Count < _maxBatch)
                {
                    await LingerAsync(reader, batch).ConfigureAwait(false);
                }

                try
                {
                    WriteBatch(batch);
                }
                catch (Exception ex)
                {
                    // Never let the writer die with callers waiting: fault the journal and answer them.
                    _fault ??= ex;
                    Log.JournalFaulted(_logger, ex, _directory);
                    foreach (var request in batch)
                    {
                        Fail(request, new JournalWriteException("The journal writer failed; the record was NOT written (an append was not accepted; an acknowledged message stays in the journal).", ex));
                    }
                }

                batch.Clear();
            }
        }
        finally
        {
            if (_stream is not null)
            {
                try
                {
                    _stream.Flush(true);
                }
                catch (IOException ex)
                {
                    Log.JournalWriteFailed(_logger, ex, 0);
                }

                await _stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task LingerAsync(ChannelReader<JournalRequest> reader, List<JournalRequest> batch)
    {
        using var timeout = new CancellationTokenSource(_options.MaxBatchDelay, _timeProvider);
        try
        {
            while (batch.Count < _maxBatch && await reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false))
            {
                while (batch.Count < _maxBatch && reader.TryRead(out var request))
                {
                    batch.Add(request);
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            // The delay is up: write what we have.
        }
    }

    private void WriteBatch(List<JournalRequest> batch)
    {
        Debug.Assert(_stream is not null && _active is not null, "The journal was opened.");
        if (_fault is not null)
        {
            foreach (var request in batch)
            {
                Fail(request, new JournalWriteException(
                    "The journal is faulted after an earlier write failure and accepts no more records; fix the disk and restart.", _fault));
            }

            return;
        }

        _buffer.Clear();
        int appends = 0;
        foreach (var request in batch)
        {
            if (request.Type == JournalRecordType.Enqueue)
            {
                try
                {
                    long id = _nextId++;
                    long offset = _activeLength + _buffer.WrittenCount;
                    JournalRecordCodec.WriteEnqueue(_buffer, id, request.Level, request.Message!, request.GroupHead);
                    request.Id = id;
                    request.Locator = JournalPosition.Pack(_active!.Number, offset);
                    _active!.MarkLive(id);
                    appends++;
                }
                catch (ArgumentException ex)
                {
                    request.Id = 0;
                    request.TrySetException(new JournalWriteException(ex.Message, ex));
                }
            }
            else if (IsLive(request.Id))
            {
                // Completions and attempt counts change the writer's bookkeeping only once written (see Apply).
                request.Written = true;
                if (request.Type == JournalRecordType.Complete)
                {
                    JournalRecordCodec.WriteComplete(_buffer, request.Id);
                }
                else
                {
                    JournalRecordCodec.WriteReturned(_buffer, request.Id, request.Attempts);
                }
            }
        }

        long goodLength = _activeLength;
        try
        {
            if (FaultInjector?.Invoke() is { } injected)
            {
                throw injected;
            }

            _stream!.Write(_buffer.WrittenSpan);
            _activeLength += _buffer.WrittenCount;
            _active!.Length = _activeLength;
            Interlocked.Add(ref _diskBytes, _buffer.WrittenCount);

            // Appends are answered only once fsynced. Completions ride along with them; a batch of completions only is
            // fsynced when nothing else is queued (when busy, the next batch's fsync covers it), so once the writer
            // goes idle every acknowledgement is on disk. Everything is answered only once every write and fsync of
            // the batch succeeded: a failure cuts the file back to its last good length, which would take an already
            // answered completion with it.
            bool completionsOnly = appends == 0;
            if (!completionsOnly || (_buffer.WrittenCount > 0 && !_requests.Reader.TryPeek(out _)))
            {
                Fsync(_stream, _active!.Path, _activeLength);
            }
        }
        catch (IOException ex)
        {
            OnWriteFailed(batch, goodLength, ex);
            return;
        }

        bool segmentEmptied = Apply(batch);
        foreach (var request in batch)
        {
            if (request.Type != JournalRecordType.Enqueue || request.Id != 0)
            {
                request.TrySetResult(new JournalPosition(request.Id, request.Locator));
            }
        }

        if (_activeLength >= _options.SegmentSize)
        {
            try
            {
                StartSegment();
                segmentEmptied = true;
            }
            catch (IOException ex)
            {
                // Keep writing to the current segment; the next batch tries again.
                Log.JournalWriteFailed(_logger, ex, 0);
            }
        }

        if (segmentEmptied)
        {
            Compact();
        }
    }

    /// <summary>Whether message <paramref name="id"/> is accepted and not completed.</summary>
    private bool IsLive(long id) => FindSegment(id) is { } segment && segment.IsLive(id);

    /// <summary>Applies the written completions and attempt counts of a batch to the bookkeeping; returns whether a segment may have become deletable.</summary>
    private bool Apply(List<JournalRequest> batch)
    {
        bool emptied = false;
        foreach (var request in batch)
        {
            if (!request.Written)
            {
                continue;
            }

            if (request.Type == JournalRecordType.Complete)
            {
                emptied |= MarkComplete(_active!, request.Id);
            }
            else
            {
                emptied |= PinAttempts(_active!, request.Id);
            }
        }

        return emptied;
    }

    /// <summary>Marks <paramref name="id"/> completed by a record in <paramref name="recordSegment"/>; returns whether a segment may have become deletable.</summary>
    private bool MarkComplete(JournalSegment recordSegment, long id)
    {
        bool emptied = false;
        var target = FindSegment(id);
        if (target is not null && target.TryMarkComplete(id))
        {
            recordSegment.OldestReferenced = Math.Min(recordSegment.OldestReferenced, target.Number);
            emptied = target.LiveCount == 0 && target != _active;
        }

        if (_attemptHolders.Remove(id, out var holder))
        {
            holder.AttemptPins--;
            emptied |= holder.AttemptPins == 0 && holder != _active;
        }

        return emptied;
    }

    /// <summary>
    /// Records that the latest attempt count of live message <paramref name="id"/> is in <paramref name="recordSegment"/>:
    /// that segment is kept while the message is live (so the count survives a restart), and the segment of its
    /// previous count is released.
    /// </summary>
    private bool PinAttempts(JournalSegment recordSegment, long id)
    {
        if (FindSegment(id) is not { } target || !target.IsLive(id))
        {
            return false;
        }

        bool emptied = false;
        if (_attemptHolders.Remove(id, out var previous))
        {
            previous.AttemptPins--;
            emptied = previous.AttemptPins == 0 && previous != _active;
        }

        recordSegment.AttemptPins++;
        _attemptHolders[id] = recordSegment;
        return emptied;
    }

    private void Fsync(FileStream stream, string path, long length)
    {
        stream.Flush(true);
        IoObserver?.Invoke("fsync", Path.GetFileName(path), length);
    }

    private void OnWriteFailed(List<JournalRequest> batch, long goodLength, IOException cause)
    {
        int failed = 0;
        foreach (var request in batch)
        {
            if (request.Type == JournalRecordType.Enqueue && request.Id != 0)
            {
                _active!.TryMarkComplete(request.Id);
                failed++;
            }
        }

        Log.JournalWriteFailed(_logger, cause, failed);
        try
        {
            _stream!.SetLength(goodLength);
            _stream.Position = goodLength;
            _stream.Flush(true);
            Interlocked.Add(ref _diskBytes, goodLength - _activeLength);
            _activeLength = goodLength;
            _active!.Length = goodLength;
        }
        catch (IOException ex)
        {
            _fault = ex;
            Log.JournalFaulted(_logger, ex, _directory);
        }

        foreach (var request in batch)
        {
            Fail(request, new JournalWriteException(
                request.Type == JournalRecordType.Enqueue
                    ? $"The journal could not make the message durable ({cause.Message}); it was NOT accepted: do not acknowledge it to the DCC."
                    : $"The journal could not record the acknowledgement ({cause.Message}); the message stays in the journal and is released again after a restart.",
                cause));
        }
    }

    /// <summary>
    /// Fails a request: an append was not accepted; a completion or attempt count was not recorded (its message stays
    /// live in the journal, so it is redelivered after a restart: never lost).
    /// </summary>
    private static void Fail(JournalRequest request, JournalWriteException exception) => request.TrySetException(exception);

    private sealed class JournalRequest(JournalRecordType type, DuisMessage? message, PriorityLevel level, long id)
        : TaskCompletionSource<JournalPosition>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public JournalRecordType Type { get; } = type;

        public DuisMessage? Message { get; } = message;

        public PriorityLevel Level { get; } = level;

        public long Id { get; set; } = id;

        /// <summary>Gets or sets where an Enqueue record was written (<see cref="JournalPosition.Pack"/>).</summary>
        public long Locator { get; set; }

        /// <summary>Gets the attempt count of a Returned record.</summary>
        public int Attempts { get; init; }

        /// <summary>Gets the journal id of the group head a consolidated repeat joined (0 for any other message).</summary>
        public long GroupHead { get; init; }

        /// <summary>Gets or sets whether a Complete or Returned record was written for a live message in this batch.</summary>
        public bool Written { get; set; }
    }
}
