using System.Globalization;
using DuisPrioritiser.Diagnostics;
using DuisPrioritiser.Release;
using Microsoft.Extensions.Logging;

namespace DuisPrioritiser.DeadLetters.Internal;

/// <summary>
/// The durable dead-letter store: one file per dead letter in a directory (by default
/// <c>&lt;journal directory&gt;/dead-letters</c>), named by its id, written to a temporary file, flushed to stable
/// storage and renamed into place, so a dead letter is either wholly there or not at all.
/// </summary>
/// <remarks>
/// <para>One file per letter because dead letters are rare (only what can never succeed) and each must be removable
/// on its own after a replay; a directory listing is the index. Damaged files (bad checksum) are renamed
/// <c>*.damaged</c>, logged and left for an operator, never deleted.</para>
/// <para>Thread-safe: ids come from an interlocked counter; files are independent; the count is an interlocked
/// counter kept in step with the files this instance writes and removes.</para>
/// </remarks>
internal sealed class FileDeadLetterStore : IDeadLetterStore
{
    private const string Extension = ".dlq";
    private readonly string _directory;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private long _lastId;
    private long _count;

    public FileDeadLetterStore(string directory, TimeProvider timeProvider, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _directory = Path.GetFullPath(directory);
        _timeProvider = timeProvider;
        _logger = logger;
        Directory.CreateDirectory(_directory);
        foreach (var temp in Directory.EnumerateFiles(_directory, "*.tmp"))
        {
            File.Delete(temp); // an interrupted write: its dead letter was not acknowledged, so the journal still has it
        }

        foreach (long id in EnumerateIds())
        {
            _lastId = Math.Max(_lastId, id);
            _count++;
        }
    }

    /// <summary>Gets the directory.</summary>
    public string DirectoryPath => _directory;

    public async ValueTask DeadLetterAsync(DeadLetter deadLetter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deadLetter);
        long id = Interlocked.Increment(ref _lastId);
        var letter = DeadLetterRecord.From(deadLetter, id, _timeProvider.GetUtcNow());
        var bytes = DeadLetterRecord.Encode(letter);
        string final = PathOf(id);
        string temp = final + ".tmp";
        var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous);
        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, final);
        Interlocked.Increment(ref _count);
    }

    public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => new(Math.Max(0, Interlocked.Read(ref _count)));

    public async ValueTask<IReadOnlyList<StoredDeadLetter>> ListAsync(long afterId = 0, int limit = 100, CancellationToken cancellationToken = default)
    {
        DeadLetterRecord.ValidatePage(afterId, limit);
        var ids = EnumerateIds().Where(id => id > afterId).Order().ToList();
        var page = new List<StoredDeadLetter>(Math.Min(limit, ids.Count));
        foreach (long id in ids)
        {
            if (page.Count >= limit)
            {
                break;
            }

            if (await ReadAsync(id, cancellationToken).ConfigureAwait(false) is { } letter)
            {
                page.Add(letter);
            }
        }

        return page;
    }

    public async ValueTask<StoredDeadLetter?> GetAsync(long id, CancellationToken cancellationToken = default)
        => id <= 0 ? null : await ReadAsync(id, cancellationToken).ConfigureAwait(false);

    public ValueTask<bool> RemoveAsync(long id, CancellationToken cancellationToken = default)
    {
        string path = PathOf(id);
        if (id <= 0 || !File.Exists(path))
        {
            return new ValueTask<bool>(false);
        }

        try
        {
            File.Delete(path);
        }
        catch (FileNotFoundException)
        {
            return new ValueTask<bool>(false);
        }

        Interlocked.Decrement(ref _count);
        return new ValueTask<bool>(true);
    }

    private async ValueTask<StoredDeadLetter?> ReadAsync(long id, CancellationToken cancellationToken)
    {
        string path = PathOf(id);
        byte[] data;
        try
        {
            data = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        if (DeadLetterRecord.TryDecode(id, data, out var letter, out var problem))
        {
            return letter;
        }

        Log.DeadLetterFileDamaged(_logger, path, problem ?? "unreadable");
        try
        {
            File.Move(path, path + ".damaged", overwrite: true);
            Interlocked.Decrement(ref _count);
        }
        catch (IOException)
        {
        }

        return null;
    }

    private IEnumerable<long> EnumerateIds()
    {
        foreach (var file in Directory.EnumerateFiles(_directory, "*" + Extension))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out long id) && id > 0)
            {
                yield return id;
            }
        }
    }

    private string PathOf(long id) => Path.Combine(_directory, id.ToString("D19", CultureInfo.InvariantCulture) + Extension);
}
