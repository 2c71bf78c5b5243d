// Crash-test child process. Usage:
//   DuisPrioritiser.CrashHost <journal directory> <log file> <run id> <producers (0 = drain what was recovered and exit)>
//                             [consumers (default 2; 0 = only fill)] [capacity (default 4000)] [keep (with 0 producers: drain but do not complete, until killed)]
//                             [consolidate (producers send Bulk device alerts from 8 devices with one code, consolidated)]
// Log lines (each written through to the OS before the next step, so they survive Process.Kill):
//   S <recovered>   started, with the number of messages recovered from the journal
//   A <id>          EnqueueAsync returned true: the message is durable (the DCC would get its 2xx now)
//   D <id>          a consumer received the message (each repeat of a consolidated group too, after its head)
//   G <count>       with consolidate: the group just received had this many repeats
//   K <id>          the consumer is about to acknowledge it (a kill from here on may or may not have recorded the completion)
//   C <id>          AcknowledgeAsync(Handled) returned: the completion is recorded
//   E               drained and exiting normally
using System.Globalization;
using System.Text;
using DuisPrioritiser;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;

if (args.Length is < 4 or > 8)
{
    Console.Error.WriteLine("usage: DuisPrioritiser.CrashHost <journal directory> <log file> <run id> <producers> [consumers] [capacity] [keep]");
    return 2;
}

string directory = args[0];
string run = args[2];
int producers = int.Parse(args[3], CultureInfo.InvariantCulture);
int consumerCount = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 2;
int capacity = args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : 4_000;
bool keep = args.Skip(6).Contains("keep");
bool consolidate = args.Skip(6).Contains("consolidate");

using var log = new CrashLog(args[1]);
var options = new ResponsePrioritisationOptions { Capacity = capacity, FullMode = QueueFullMode.Wait };
options.Journal.Directory = directory;
options.Journal.SegmentSize = 256 * 1024; // small, so that runs roll and compact segments
if (consolidate)
{
    options.Traffic.Consolidation.Levels.Add(DuisPrioritiser.Classification.PriorityLevel.Bulk);
    options.Traffic.Consolidation.MaxGroupSize = 16;
}
await using var scheduler = new ResponseReleaseScheduler(options);
log.Write("S", scheduler.Count.ToString(CultureInfo.InvariantCulture));

var consumers = Enumerable.Range(0, consumerCount).Select(_ => Task.Run(async () =>
{
    await foreach (var released in scheduler.ReadAllAsync())
    {
        var members = new[] { released.Message }.Concat(released.Repeats).ToList();
        if (consolidate)
        {
            log.Write("G", released.Repeats.Count.ToString(CultureInfo.InvariantCulture));
        }

        members.ForEach(m => log.Write("D", m.ResponseId!));
        if (consolidate)
        {
            await Task.Delay(2); // a slower back-end, so that alerts are held long enough to gather repeats
        }

        members.ForEach(m => log.Write("K", m.ResponseId!));
        await scheduler.AcknowledgeAsync(released, ReleaseOutcome.Handled);
        members.ForEach(m => log.Write("C", m.ResponseId!));
    }
})).ToArray();

// Producers run until killed (the test always kills a run that has producers).
var producing = Enumerable.Range(0, producers).Select(p => Task.Run(async () =>
{
    for (long i = 0; ; i++)
    {
        string id = string.Create(CultureInfo.InvariantCulture, $"{run}-{p}-{i}");
        var message = consolidate
            ? new DuisMessage(DuisMessageKind.DeviceAlert, Encoding.UTF8.GetBytes("<DeviceAlertMessage>" + id + "</DeviceAlertMessage>"))
            {
                // The originator (the device) is the ResponseID's first part: 8 devices, so repeats are frequent.
                AlertCode = DuisCode.Parse("8FFE"), // Bulk by default
                ResponseCode = DuisCode.Parse("I0"),
                ResponseId = string.Create(CultureInfo.InvariantCulture, $"88-73-84-57-00-00-00-0{i % 8}:90-B3-D5-1F-30-01-00-00:{(RunNumber(run) * 10_000_000_000_000) + (p * 100_000_000_000) + i}"),
            }
            : new DuisMessage(DuisMessageKind.Response, Encoding.UTF8.GetBytes("<Response>" + id + "</Response>"))
            {
                ServiceReferenceVariant = ServiceReferenceVariant.Create(4, 1, 1),
                ResponseCode = DuisCode.Parse("I0"),
                ResponseId = id,
            };
        id = message.ResponseId!;
        if (await scheduler.EnqueueAsync(message))
        {
            log.Write("A", id);
        }
    }
})).ToArray();

if (producers == 0 && !keep)
{
    scheduler.Complete();
}

// Runs that do not complete (producers, or keep) wait to be killed.
await Task.WhenAll(consumers.Length > 0 && (producers == 0 && !keep) ? consumers : [.. consumers, .. producing, Task.Delay(Timeout.Infinite)]);
log.Write("E", string.Empty);
return 0;

/// <summary>The digits of a run's name ("c3": 3), so that ids stay unique across runs; 99 for a name without digits.</summary>
static long RunNumber(string run) => long.TryParse(new string([.. run.Where(char.IsAsciiDigit)]), NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : 99;

/// <summary>A line log written straight through to the OS (no user-space buffering left behind by a kill).</summary>
internal sealed class CrashLog(string path) : IDisposable
{
    private readonly FileStream _stream = new(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
    private readonly Lock _lock = new();

    public void Write(string kind, string id)
    {
        var line = Encoding.UTF8.GetBytes(kind + " " + id + "\n");
        lock (_lock)
        {
            _stream.Write(line);
        }
    }

    public void Dispose() => _stream.Dispose();
}
