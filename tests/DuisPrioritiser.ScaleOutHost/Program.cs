// Usage: DuisPrioritiser.ScaleOutHost <connection string> <schema> <name> [handle-delay-ms]
// Drains the shared backlog in strict priority order (Critical first) through the PostgreSQL store, renewing its
// leases, and writes one line per event to stdout, flushed at once, so a test that kills it with SIGKILL knows
// exactly what it had claimed and acknowledged:
//   ready
//   claimed <text>        (after the claim committed)
//   acked <text>          (after the acknowledgement committed)
//   unavailable           (the database could not be reached; it retries)
using System.Text;
using DuisPrioritiser.Classification;
using DuisPrioritiser.PostgreSql;
using DuisPrioritiser.PostgreSql.Internal;
using DuisPrioritiser.Release;
using DuisPrioritiser.Storage;

var connectionString = args[0];
var schema = args[1];
int delayMs = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 0;
var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };

await using var store = new PostgreSqlBacklogStore(
    Npgsql.NpgsqlDataSource.Create(connectionString),
    ownsDataSource: true,
    new PostgreSqlBacklogOptions { Schema = schema, LeaseTime = TimeSpan.FromSeconds(3), PollInterval = TimeSpan.FromMilliseconds(100), ClaimBatchSize = 8 },
    TimeSpan.FromHours(1));
while (true)
{
    try
    {
        await store.OpenAsync();
        break;
    }
    catch (BacklogStoreUnavailableException)
    {
        output.WriteLine("unavailable");
        await Task.Delay(200);
    }
}

output.WriteLine("ready");
var wake = new SemaphoreSlim(0);
store.BacklogChanged += (_, _) => wake.Release();
var buffer = new StoredMessage[8];
var held = new List<long>();
using var renewal = new PeriodicTimer(TimeSpan.FromSeconds(1));
_ = Task.Run(async () =>
{
    while (await renewal.WaitForNextTickAsync())
    {
        long[] ids;
        lock (held)
        {
            ids = [.. held];
        }

        try
        {
            await store.RenewLeasesAsync(ids);
        }
        catch (BacklogStoreUnavailableException)
        {
        }
    }
});

while (true)
{
    int claimed = 0;
    try
    {
        for (int level = 0; level < PriorityLevels.Count && claimed == 0; level++)
        {
            claimed = await store.ClaimAsync((PriorityLevel)level, buffer);
        }
    }
    catch (BacklogStoreUnavailableException)
    {
        output.WriteLine("unavailable");
        await Task.Delay(200);
        continue;
    }

    if (claimed == 0)
    {
        await wake.WaitAsync(TimeSpan.FromMilliseconds(200));
        continue;
    }

    var batch = buffer[..claimed];
    lock (held)
    {
        held.AddRange(batch.Select(m => m.Id));
    }

    foreach (var message in batch)
    {
        output.WriteLine("claimed " + Encoding.UTF8.GetString(message.Message.RawMessage.Span));
    }

    if (delayMs > 0)
    {
        await Task.Delay(delayMs);
    }

    while (true)
    {
        try
        {
            await store.AcknowledgeAsync(batch.Select(m => new BacklogAcknowledgement(m.Id, ReleaseOutcome.Handled)).ToArray());
            break;
        }
        catch (BacklogStoreUnavailableException)
        {
            output.WriteLine("unavailable");
            await Task.Delay(200);
        }
    }

    lock (held)
    {
        held.RemoveAll(id => batch.Any(m => m.Id == id));
    }

    foreach (var message in batch)
    {
        output.WriteLine("acked " + Encoding.UTF8.GetString(message.Message.RawMessage.Span));
    }
}
