using System.Diagnostics;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Diagnostics;
using DuisPrioritiser.Release;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace DuisPrioritiser.Tests.Diagnostics;

public class OpenTelemetryInstrumentationTests
{
    [Test]
    public void AddDuisPrioritiserInstrumentation_MeterProvider_ExportsTheSchedulersMetricsWithNamespacedAttributes()
    {
        var exported = new List<MetricSnapshot>();
        using (var meterProvider = Sdk.CreateMeterProviderBuilder().AddDuisPrioritiserInstrumentation().AddInMemoryExporter(exported).Build())
        using (var scheduler = new ResponseReleaseScheduler(new ResponsePrioritisationOptions()))
        {
            scheduler.TryEnqueue(TestMessages.Response("8.1.1"), PriorityLevel.Critical);
            scheduler.TryEnqueue(TestMessages.Response("8.1.1"), PriorityLevel.Bulk);
            meterProvider.ForceFlush();
        }

        var depth = exported.First(m => m.Name == DuisPrioritiserTelemetry.QueueDepth);
        Assert.That(depth.MetricType, Is.EqualTo(MetricType.LongSumNonMonotonic), "an up-down counter: it adds up across instances");
        var byPriority = new Dictionary<string, long>();
        foreach (var point in depth.MetricPoints)
        {
            foreach (var tag in point.Tags)
            {
                if (tag.Key == "duis.priority")
                {
                    byPriority[(string)tag.Value!] = point.GetSumLong();
                }
            }
        }

        Assert.That(byPriority["critical"], Is.EqualTo(1));
        Assert.That(byPriority["bulk"], Is.EqualTo(1));
        Assert.That(exported.Select(m => m.Name), Does.Contain(DuisPrioritiserTelemetry.MessagesEnqueued));
    }

    [Test]
    public void AddDuisPrioritiserInstrumentation_TracerProvider_SubscribesToTheActivitySource()
    {
        var exported = new List<Activity>();
        using var tracerProvider = Sdk.CreateTracerProviderBuilder().AddDuisPrioritiserInstrumentation().AddInMemoryExporter(exported).Build();

        using (var activity = ReleaseTelemetry.ActivitySource.StartActivity("probe"))
        {
            Assert.That(activity, Is.Not.Null, "the provider listens to the DuisPrioritiser source");
        }

        tracerProvider!.ForceFlush();
        Assert.That(exported.Select(a => a.Source.Name), Has.Member(DuisPrioritiserTelemetry.ActivitySourceName));
    }

    [Test]
    public void AddDuisPrioritiserInstrumentation_NullBuilder_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => ((MeterProviderBuilder)null!).AddDuisPrioritiserInstrumentation());
        Assert.Throws<ArgumentNullException>(() => ((TracerProviderBuilder)null!).AddDuisPrioritiserInstrumentation());
    }
}
