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
    private readonly int _maxBatch;
    private IReadOnlyList<RecoveredMessage> _recovered = [];
    private Task _writer = Task.CompletedTask;
    private FileStream? _stream;
    private FileStream? _lock;
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

    public IReadOnlyList<RecoveredMessage> Recovered => _recovered;

    /// <summary>Gets or sets a test hook run before each write; an exception it returns is thrown as if by the file system.</summary>
    internal Func<IOException?>? FaultInjector { get; set; }

    /// <summary>Gets or sets a test hook told of each file operation that matters for durability:
    /// <c>("create", file, 0)</c> when a segment file is created and <c>("fsync", file, length)</c> after each <c>fsync</c>.</summary>
    internal Action<string, string, long>? IoObserver { get; set; }

    /// <summary>Gets the number of segment files currently kept.</summary>
    internal int SegmentCount => _segments.Count;

    /// <summary>Opens (creating if needed) the journal in <see cref="JournalOptions.Directory"/>, recovers it and starts the writer.</summary>
    /// <exception cref="JournalCorruptedException">A segment is damaged before its last good record and <see cref="JournalOptions.CorruptionHandling"/> is Throw.</exception>
    /// <exception cref="JournalLockedException">Another journal (in this or another process) has the directory open.</exception>
    /// <exception cref="IOException">The directory cannot be read or written.</exception>
    public static FileMessageJournal Open(JournalOptions options, TimeProvider timeProvider, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var journal = new FileMessageJournal(options.Clone(), timeProvider, logger);
        try
        {
            journal.TakeLock();
            journal.Recover();
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

    public ValueTask<long> AppendAsync(DuisMessage message, PriorityLevel level)
    {
        var request = new JournalRequest(JournalRecordType.Enqueue, message, level, 0);
        if (!_requests.Writer.TryWrite(request))
        {
            throw new ObjectDisposedException(nameof(FileMessageJournal), "The journal is closed: the scheduler was disposed.");
        }

        return new ValueTask<long>(request.Task);
    }

    public ValueTask CompleteAsync(long id)
    {
        var request = new JournalRequest(JournalRecordType.Complete, null, default, id);
        if (!_requests.Writer.TryWrite(request))
        {
            Log.JournalCompletionNotRecorded(_logger, id);
            return ValueTask.CompletedTask;
        }

        return new ValueTask(request.Task);
    }

    public void Dispose()
    {
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
    private void TakeLock()
    {
        Directory.CreateDirectory(_directory);
        string path = Path.Combine(_directory, LockFileName);
        try
        {
            _lock = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        }
        catch (IOException ex)
        {
            Log.JournalLocked(_logger, ex, _directory);
            throw new JournalLockedException(
                $"The journal directory '{_directory}' is in use by another scheduler (in this or another process), which holds '{path}'. " +
                "Give each scheduler its own Journal.Directory, or stop the other one first.",
                ex);
        }
    }

    private static string SegmentPath(string directory, long number)
        => Path.Combine(directory, number.ToString("D12", CultureInfo.InvariantCulture) + SegmentExtension);

    private void Recover()
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
        var pending = new Dictionary<long, RecoveredMessage>();
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

            var segment = new JournalSegment(number, firstId, path);
            _segments.Add(segment);
            maxId = Math.Max(maxId, firstId - 1);
            int position = JournalRecordCodec.SegmentHeaderSize;
            while (position < bytes.Length)
            {
                var rest = bytes.AsSpan(position);
                if (JournalRecordCodec.TryReadRecord(rest, out var type, out byte level, out long id, out var body, out int length)
                    && TryApply(segment, type, level, id, body, pending))
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
        var recovered = new List<RecoveredMessage>(pending.Values);
        recovered.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        _recovered = recovered;
        StartSegment();
        Compact();
        Log.JournalOpened(_logger, _directory, _segments.Count, recovered.Count, _nextId);
    }

    private bool TryApply(JournalSegment segment, JournalRecordType type, byte level, long id, ReadOnlySpan<byte> body, Dictionary<long, RecoveredMessage> pending)
    {
        if (type == JournalRecordType.Enqueue)
        {
            if (id < segment.FirstId || !PriorityLevels.IsDefined((PriorityLevel)level))
            {
                return false;
            }

            DuisMessage message;
            try
            {
                message = JournalRecordCodec.ReadMessage(body);
            }
            catch (FormatException)
            {
                return false;
            }

            segment.MarkLive(id);
            pending[id] = new RecoveredMessage(id, (PriorityLevel)level, message);
            return true;
        }

        if (pending.Remove(id))
        {
            var target = FindSegment(id);
            if (target is not null && target.TryMarkComplete(id))
            {
                segment.OldestReferenced = Math.Min(segment.OldestReferenced, target.Number);
            }
        }

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
        _active = new JournalSegment(number, _nextId, path);
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
                if (segment == _active || segment.LiveCount > 0 || RefersToRemaining(segment, i))
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
                        FailOrComplete(request, new JournalWriteException("The journal writer failed; the message was NOT accepted.", ex));
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
                FailOrComplete(request, new JournalWriteException(
                    "The journal is faulted after an earlier write failure and accepts no more messages; fix the disk and restart.", _fault));
            }

            return;
        }

        _buffer.Clear();
        int appends = 0;
        bool segmentEmptied = false;
        foreach (var request in batch)
        {
            if (request.Type == JournalRecordType.Enqueue)
            {
                try
                {
                    long id = _nextId++;
                    JournalRecordCodec.WriteEnqueue(_buffer, id, request.Level, request.Message!);
                    request.Id = id;
                    _active!.MarkLive(id);
                    appends++;
                }
                catch (ArgumentException ex)
                {
                    request.Id = 0;
                    request.TrySetException(new JournalWriteException(ex.Message, ex));
                }
            }
            else
            {
                var target = FindSegment(request.Id);
                if (target is not null && target.TryMarkComplete(request.Id))
                {
                    JournalRecordCodec.WriteComplete(_buffer, request.Id);
                    _active!.OldestReferenced = Math.Min(_active.OldestReferenced, target.Number);
                    segmentEmptied |= target.LiveCount == 0 && target != _active;
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

            // Appends are answered only once fsynced. Completions ride along with them; a batch of completions only is
            // fsynced when nothing else is queued (when busy, the next batch's fsync covers it), so once the writer
            // goes idle every acknowledgement is on disk. Completions are answered before an append fsync (they need
            // not wait for it) and after their own one.
            bool completionsOnly = appends == 0;
            if (completionsOnly && _buffer.WrittenCount > 0 && !_requests.Reader.TryPeek(out _))
            {
                Fsync(_stream, _active!.Path, _activeLength);
            }

            foreach (var request in batch)
            {
                if (request.Type == JournalRecordType.Complete)
                {
                    request.TrySetResult(request.Id);
                }
            }

            if (!completionsOnly)
            {
                Fsync(_stream, _active!.Path, _activeLength);
            }

            foreach (var request in batch)
            {
                if (request.Type == JournalRecordType.Enqueue && request.Id != 0)
                {
                    request.TrySetResult(request.Id);
                }
            }
        }
        catch (IOException ex)
        {
            OnWriteFailed(batch, goodLength, ex);
            return;
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
            _activeLength = goodLength;
        }
        catch (IOException ex)
        {
            _fault = ex;
            Log.JournalFaulted(_logger, ex, _directory);
        }

        foreach (var request in batch)
        {
            FailOrComplete(request, new JournalWriteException(
                $"The journal could not make the message durable ({cause.Message}); it was NOT accepted: do not acknowledge it to the DCC.", cause));
        }
    }

    /// <summary>Appends fail; completions still complete (the message will at worst be redelivered after a restart).</summary>
    private static void FailOrComplete(JournalRequest request, JournalWriteException exception)
    {
        if (request.Type == JournalRecordType.Enqueue)
        {
            request.TrySetException(exception);
        }
        else
        {
            request.TrySetResult(request.Id);
        }
    }

    private sealed class JournalRequest(JournalRecordType type, DuisMessage? message, PriorityLevel level, long id)
        : TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public JournalRecordType Type { get; } = type;

        public DuisMessage? Message { get; } = message;

        public PriorityLevel Level { get; } = level;

        public long Id { get; set; } = id;
    }
}
