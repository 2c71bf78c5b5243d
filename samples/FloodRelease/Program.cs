// FloodRelease: what happens when the DCC releases a backlog all at once after an outage.
// A mixed flood of real DUIS XML (mostly alerts) arrives in arrival order; DuisPrioritiser reads and classifies each
// message with its built-in DUIS catalogue and releases the flood in priority order.
using System.Globalization;
using DuisPrioritiser;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;
using FloodRelease;
using Microsoft.Extensions.DependencyInjection;

const int FloodSize = 20_000;

var services = new ServiceCollection();
services.AddResponsePrioritisation(options => options.Capacity = 100_000)
    .UseDrainPolicy(DrainPolicies.StrictPriority()); // show pure priority order; the default also guarantees Bulk a 5% share
await using var provider = services.BuildServiceProvider();
var scheduler = provider.GetRequiredService<IResponseReleaseScheduler>();

// The mix after an outage: about 60% alerts, 20% DCC-scheduled reads, the rest on-demand work.
var rng = new Random(2026);
var kinds = new (string Label, double Share, Func<long, byte[]> Create)[]
{
    ("Device Alert 8F0F (credit below threshold)", 0.01, id => DuisXml.DeviceAlert("8F0F", id)),
    ("Device Alert 8F35 (supply outage restored)", 0.03, id => DuisXml.DeviceAlert("8f35", id)),
    ("Device Alert 8F1C / 81A0 (bulk)", 0.52, id => DuisXml.DeviceAlert(rng.Next(2) == 0 ? "8F1C" : "81A0", id)),
    ("DCC Alert AD1 (power outage)", 0.04, id => DuisXml.DccAlert("AD1", "PowerOutageEvent", id)),
    ("DCC-scheduled read 4.1.1", 0.20, id => DuisXml.Response("4.1.1", id, dccScheduled: true)),
    ("On-demand read 4.1.1", 0.10, id => DuisXml.Response("4.1.1", id)),
    ("Top Up Device 2.2", 0.05, id => DuisXml.Response("2.2", id)),
    ("Commission Device 8.1.1", 0.03, id => DuisXml.Response("8.1.1", id)),
    ("Update Supply Status 7.1", 0.02, id => DuisXml.Response("7.1", id)),
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

    // One call: read the bytes (kept unchanged), classify, enqueue.
    var result = scheduler.TryEnqueue(kind.Create(i));
    if (result.Status != IntakeStatus.Accepted)
    {
        Console.WriteLine($"Message {i} not accepted: {result.Status} {result.Error}");
        continue;
    }

    labelOf[result.Message!] = kind.Label;
    lastArrival[kind.Label] = i;
}

Console.WriteLine($"Flood of {FloodSize:N0} DUIS messages accepted in arrival order. Held per level:");
foreach (var level in scheduler.GetSnapshot().Levels)
{
    Console.WriteLine($"  {level.Level,-8} {level.Count,7:N0}");
}

// Release everything and record where each kind of message came out.
scheduler.Complete();
var positions = new Dictionary<string, (int First, int Last, int Count, string Level)>();
int position = 0;
await foreach (var released in scheduler.ReadAllAsync())
{
    string label = labelOf[released.Message];
    positions[label] = positions.TryGetValue(label, out var seen)
        ? (seen.First, position, seen.Count + 1, seen.Level)
        : (position, position, 1, released.Level.ToString());
    position++;
    await scheduler.AcknowledgeAsync(released);
}

Console.WriteLine();
Console.WriteLine($"Released {position:N0} messages (none lost). Where each kind came out of the flood:");
Console.WriteLine($"  {"kind",-44} {"level",-8} {"count",7} {"first",8} {"last",8}");
foreach (var (label, seen) in positions.OrderBy(p => p.Value.First))
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {label,-44} {seen.Level,-8} {seen.Count,7:N0} {seen.First,8:N0} {seen.Last,8:N0}"));
}

const string Commissioning = "Commission Device 8.1.1";
Console.WriteLine();
Console.WriteLine($"In arrival order (FIFO, today's behaviour) the last commissioning result would be message #{lastArrival[Commissioning]:N0}; " +
    $"prioritised, it was released as #{positions[Commissioning].Last:N0}.");
