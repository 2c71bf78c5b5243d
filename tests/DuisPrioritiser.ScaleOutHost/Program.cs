// Usage: DuisPrioritiser.ScaleOutHost <connection string> <schema> <name> [handle-delay-ms]
// One adapter instance: the real ResponseReleaseScheduler over the shared PostgreSQL backlog (the store claims per
// level as the drain policy chooses, renews its leases, wakes on LISTEN/NOTIFY). It releases what the scheduler gives
// it and writes one line per event to stdout, flushed at once, so a test that kills it with SIGKILL knows exactly
// what it had been given and what it had acknowledged:
//   ready
//   claimed <text>        (the scheduler released it to this instance's handler)
//   acked <text>          (the acknowledgement returned: committed)
//   unavailable           (the database could not be reached; it retries)
using System.Text;
using DuisPrioritiser;
using DuisPrioritiser.PostgreSql;
using DuisPrioritiser.PostgreSql.Internal;
using DuisPrioritiser.Release;
using DuisPrioritiser.Storage;

var connectionString = args[0];
var schema = args[1];
int delayMs = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 0;
var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
var options = new ResponsePrioritisationOptions();

await using var store = new PostgreSqlBacklogStore(
    Npgsql.NpgsqlDataSource.Create(connectionString),
    ownsDataSource: true,
    new PostgreSqlBacklogOptions { Schema = schema, LeaseTime = TimeSpan.FromSeconds(3), PollInterval = TimeSpan.FromMilliseconds(100), ClaimBatchSize = 8 },
    TimeSpan.FromHours(1));
ResponseReleaseScheduler scheduler;
while (true)
{
    try
    {
        scheduler = new ResponseReleaseScheduler(options, backlogStore: store);
        break;
    }
    catch (BacklogStoreUnavailableException)
    {
        output.WriteLine("unavailable");
        await Task.Delay(200);
    }
}

output.WriteLine("ready");
using (scheduler)
{
    while (true)
    {
        ReleasedMessage message;
        try
        {
            message = await scheduler.DequeueAsync();
        }
        catch (BacklogStoreUnavailableException)
        {
            output.WriteLine("unavailable");
            await Task.Delay(200);
            continue;
        }

        var text = Encoding.UTF8.GetString(message.Message.RawMessage.Span);
        output.WriteLine("claimed " + text);
        if (delayMs > 0)
        {
            await Task.Delay(delayMs);
        }

        while (true)
        {
            try
            {
                await scheduler.AcknowledgeAsync(message);
                break;
            }
            catch (BacklogStoreUnavailableException)
            {
                output.WriteLine("unavailable");
                await Task.Delay(200);
            }
        }

        output.WriteLine("acked " + text);
    }
}
