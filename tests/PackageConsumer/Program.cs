// A tiny consumer that proves the DuisPrioritiser package installs and works on its own.
using DuisPrioritiser;
using DuisPrioritiser.Release;
using Microsoft.Extensions.DependencyInjection;

var services = new ServiceCollection();
services.AddResponsePrioritisation();
await using var provider = services.BuildServiceProvider();
var scheduler = provider.GetRequiredService<IResponseReleaseScheduler>();

var commission = new DuisPrioritiser.Duis.DuisMessage(DuisPrioritiser.Duis.DuisMessageKind.Response)
{
    ServiceReferenceVariant = DuisPrioritiser.Duis.ServiceReferenceVariant.Parse("8.1.1"),
};
if (!scheduler.TryEnqueue(commission) || !scheduler.TryDequeue(out var released) || !ReferenceEquals(released.Message, commission))
{
    Console.Error.WriteLine("package consumer: the scheduler did not round-trip a message");
    return 1;
}

Console.WriteLine($"package consumer: OK ({released.Level})");
return 0;
