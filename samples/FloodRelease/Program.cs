// FloodRelease: what happens when the DCC releases a backlog all at once after an outage.
// A mixed flood (mostly alerts) arrives in arrival order; DuisPrioritiser releases it in priority order.
using System.Globalization;
using DuisPrioritiser;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;
using Microsoft.Extensions.DependencyInjection;

const int FloodSize = 20_000;

var services = new ServiceCollection();
services.AddResponsePrioritisation(options =>
{
    options.Capacity = 100_000;

    // Explicit overrides win over the built-in defaults: here, every alert code not listed is Bulk.
    options.Overrides.ServiceReferenceVariants["8.1.1"] = PriorityLevel.Critical; // Commission Device
    options.Overrides.ServiceReferenceVariants["2.2"] = PriorityLevel.Critical;   // Top Up Device
    options.Overrides.ServiceReferenceVariants["3.*"] = PriorityLevel.Normal;
    options.Overrides.ServiceReferenceVariants["4.*"] = PriorityLevel.Normal;     // on-demand reads
    options.Overrides.ServiceReferenceVariants["7.*"] = PriorityLevel.High;       // supply control
    options.Overrides.AlertCodes["8F0F"] = PriorityLevel.Critical;                // credit below disablement threshold
    options.Overrides.AlertCodes["8F35"] = PriorityLevel.High;                    // supply outage restored
    options.Overrides.AlertCodes["AD1"] = PriorityLevel.High;                     // power outage (DCC alert)
});
services.AddResponsePrioritisation(); // a second call is harmless
await using var provider = services.BuildServiceProvider();
var scheduler = provider.GetRequiredService<IResponseReleaseScheduler>();

// The mix after an outage: about 60% alerts, 20% DCC-scheduled reads, the rest on-demand work.
var rng = new Random(2026);
var kinds = new (string Label, double Share, Func<int, DuisMessage> Create, PriorityLevel? Level)[]
{
    ("Device Alert 8F0F (prepayment)", 0.01, _ => Alert("8F0F"), null),
    ("Device Alert 8F35 (outage restored)", 0.03, _ => Alert("8F35"), null),
    ("Device Alert other (bulk)", 0.52, _ => Alert(rng.Next(2) == 0 ? "8F1C" : "81A0"), PriorityLevel.Bulk),
    ("DCC Alert AD1 (power outage)", 0.04, _ => new DuisMessage(DuisMessageKind.DccAlert) { AlertCode = DuisCode.Parse("AD1") }, null),
    ("DCC-scheduled read 4.1.1", 0.20, _ => Response("4.1.1", scheduled: true), PriorityLevel.Low),
    ("On-demand read 4.1.1", 0.10, _ => Response("4.1.1"), null),
    ("Top Up Device 2.2", 0.05, _ => Response("2.2"), null),
    ("Commission Device 8.1.1", 0.03, _ => Response("8.1.1"), null),
    ("Supply control 7.1", 0.02, _ => Response("7.1"), null),
};

var labelOf = new Dictionary<DuisMessage, string>(ReferenceEqualityComparer.Instance);
var lastArrival = new Dictionary<string, int>();
for (int i = 0; i < FloodSize; i++)
{
    double pick = rng.NextDouble();
    var kind = kinds[^1];
    foreach (var candidate in kinds)
    {
        if ((pick -= candidate.Share) < 0)
        {
            kind = candidate;
            break;
        }
    }

    var message = kind.Create(i);
    labelOf[message] = kind.Label;
    lastArrival[kind.Label] = i;
    bool accepted = kind.Level is { } level ? scheduler.TryEnqueue(message, level) : scheduler.TryEnqueue(message);
    if (!accepted)
    {
        Console.WriteLine($"Rejected message {i}: at capacity.");
    }
}

Console.WriteLine($"Flood of {FloodSize:N0} messages accepted in arrival order. Held per level:");
foreach (var level in scheduler.GetSnapshot().Levels)
{
    Console.WriteLine($"  {level.Level,-8} {level.Count,7:N0}");
}

// Release everything and record where each kind of message came out.
scheduler.Complete();
var positions = new Dictionary<string, (int First, int Last, int Count, PriorityLevel Level)>();
int position = 0;
await foreach (var released in scheduler.ReadAllAsync())
{
    string label = labelOf[released.Message];
    positions[label] = positions.TryGetValue(label, out var seen)
        ? (seen.First, position, seen.Count + 1, released.Level)
        : (position, position, 1, released.Level);
    position++;
    await scheduler.AcknowledgeAsync(released);
}

Console.WriteLine();
Console.WriteLine($"Released {position:N0} messages (none lost). Where each kind came out of the flood:");
Console.WriteLine($"  {"kind",-38} {"level",-8} {"count",7} {"first",8} {"last",8}");
foreach (var (label, seen) in positions.OrderBy(p => p.Value.First))
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {label,-38} {seen.Level,-8} {seen.Count,7:N0} {seen.First,8:N0} {seen.Last,8:N0}"));
}

Console.WriteLine();
const string Commissioning = "Commission Device 8.1.1";
Console.WriteLine($"In arrival order (FIFO, today's behaviour) the last commissioning result would be message #{lastArrival[Commissioning]:N0}; " +
    $"prioritised, it was released as #{positions[Commissioning].Last:N0}.");

static DuisMessage Alert(string code) => new(DuisMessageKind.DeviceAlert) { AlertCode = DuisCode.Parse(code) };

static DuisMessage Response(string srv, bool scheduled = false) => new(DuisMessageKind.Response)
{
    ServiceReferenceVariant = ServiceReferenceVariant.Parse(srv),
    ResponseCode = DuisCode.Parse("I0"),
    IsDccScheduled = scheduled,
};
