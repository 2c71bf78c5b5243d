using System.Diagnostics;
using System.Diagnostics.Metrics;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Diagnostics;
using DuisPrioritiser.Release;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace DuisPrioritiser.Tests.Diagnostics;

public class TelemetryTests
{
    [Test]
    public void Scheduler_RecordsEnqueuedReleasedRejectedAndWait_WithLowCardinalityTags()
    {
        var clock = new FakeTimeProvider();
        using var meterFactory = CreateMeterFactory(out var provider);
        using var enqueued = new MetricCollector<long>(meterFactory, DuisPrioritiserTelemetry.MeterName, DuisPrioritiserTelemetry.MessagesEnqueued);
        using var released = new MetricCollector<long>(meterFactory, DuisPrioritiserTelemetry.MeterName, DuisPrioritiserTelemetry.MessagesReleased);
        using var rejected = new MetricCollector<long>(meterFactory, DuisPrioritiserTelemetry.MeterName, DuisPrioritiserTelemetry.MessagesRejected);
        using var wait = new MetricCollector<double>(meterFactory, DuisPrioritiserTelemetry.MeterName, DuisPrioritiserTelemetry.ReleaseWait);
        using var scheduler = new ResponseReleaseScheduler(new ResponsePrioritisationOptions { Capacity = 2 }, timeProvider: clock, meterFactory: meterFactory);

        scheduler.TryEnqueue(TestMessages.Response("8.1.1", requestId: "90-B3-D5-1F-30-01-00-00:1"), PriorityLevel.Critical);
        scheduler.TryEnqueue(TestMessages.DeviceAlert("8F1C"), PriorityLevel.Bulk);
        scheduler.TryEnqueue(TestMessages.DeviceAlert("8F1C"), PriorityLevel.Bulk); // full
        clock.Advance(TimeSpan.FromSeconds(4));
        scheduler.TryDequeue(out _);

        Assert.Multiple(() =>
        {
            Assert.That(enqueued.GetMeasurementSnapshot().Select(m => (m.Value, m.Tags["priority"], m.Tags["kind"])),
                Is.EqualTo(new[] { (1L, (object?)"critical", (object?)"response"), (1L, "bulk", "device_alert") }));
            Assert.That(rejected.LastMeasurement!.Tags["reason"], Is.EqualTo("full"));
            Assert.That(released.LastMeasurement!.Tags["priority"], Is.EqualTo("critical"));
            Assert.That(wait.LastMeasurement!.Value, Is.EqualTo(4.0));
            Assert.That(enqueued.GetMeasurementSnapshot().SelectMany(m => m.Tags.Keys).Distinct(), Is.EquivalentTo(new[] { "priority", "kind" }), "ids never go on metrics");
        });
        provider.Dispose();
    }

    [Test]
    public void Intake_InvalidBytes_CountedAsRejectedInvalid()
    {
        using var meterFactory = CreateMeterFactory(out var provider);
        using var rejected = new MetricCollector<long>(meterFactory, DuisPrioritiserTelemetry.MeterName, DuisPrioritiserTelemetry.MessagesRejected);
        using var scheduler = new ResponseReleaseScheduler(new ResponsePrioritisationOptions(), meterFactory: meterFactory);
        var result = scheduler.TryEnqueue("not xml"u8.ToArray());
        Assert.That(result.Status, Is.EqualTo(IntakeStatus.RejectedInvalid));
        Assert.That(rejected.LastMeasurement!.Tags["reason"], Is.EqualTo("invalid"));
        Assert.That(scheduler.GetSnapshot().TotalCount, Is.Zero);
        provider.Dispose();
    }

    [Test]
    public async Task Duplicates_AreCounted()
    {
        using var meterFactory = CreateMeterFactory(out var provider);
        using var duplicates = new MetricCollector<long>(meterFactory, DuisPrioritiserTelemetry.MeterName, DuisPrioritiserTelemetry.MessagesDuplicate);
        using var scheduler = new ResponseReleaseScheduler(new ResponsePrioritisationOptions(), meterFactory: meterFactory);
        var first = TestMessages.Response("2.2", requestId: "r-1");
        var again = TestMessages.Response("2.2", requestId: "r-1");
        Assert.That(await scheduler.EnqueueWithResultAsync(first), Is.EqualTo(EnqueueResult.Accepted));
        Assert.That(await scheduler.EnqueueWithResultAsync(again), Is.EqualTo(EnqueueResult.AcceptedDuplicate));
        Assert.That(duplicates.LastMeasurement!.Tags["kind"], Is.EqualTo("response"));
        Assert.That(duplicates.GetMeasurementSnapshot(), Has.Count.EqualTo(1));
        provider.Dispose();
    }

    [Test]
    public void Scheduler_ObservableGauges_ReportDepthOldestWaitInFlightAndMode()
    {
        var clock = new FakeTimeProvider();
        using var meterFactory = CreateMeterFactory(out var provider);
        using var depth = new MetricCollector<long>(meterFactory, DuisPrioritiserTelemetry.MeterName, DuisPrioritiserTelemetry.QueueDepth);
        using var oldest = new MetricCollector<double>(meterFactory, DuisPrioritiserTelemetry.MeterName, DuisPrioritiserTelemetry.QueueOldestWait);
        using var inFlight = new MetricCollector<long>(meterFactory, DuisPrioritiserTelemetry.MeterName, DuisPrioritiserTelemetry.ReleaseInFlight);
        using var mode = new MetricCollector<int>(meterFactory, DuisPrioritiserTelemetry.MeterName, DuisPrioritiserTelemetry.RecoveryMode);
        using var scheduler = new ResponseReleaseScheduler(new ResponsePrioritisationOptions(), timeProvider: clock, meterFactory: meterFactory);

        scheduler.TryEnqueue(TestMessages.Tagged(1), PriorityLevel.Bulk);
        scheduler.TryEnqueue(TestMessages.Tagged(2), PriorityLevel.Bulk);
        scheduler.TryEnqueue(TestMessages.Tagged(3), PriorityLevel.High);
        clock.Advance(TimeSpan.FromSeconds(90));
        scheduler.TryDequeue(out _); // the High one
        scheduler.EnterRecovery();

        depth.RecordObservableInstruments();
        oldest.RecordObservableInstruments();
        inFlight.RecordObservableInstruments();
        mode.RecordObservableInstruments();
        var depthByLevel = depth.GetMeasurementSnapshot().ToDictionary(m => (string)m.Tags["priority"]!, m => m.Value);
        Assert.That(depthByLevel, Is.EquivalentTo(new Dictionary<string, long> { ["critical"] = 0, ["high"] = 0, ["normal"] = 0, ["low"] = 0, ["bulk"] = 2 }));
        Assert.That(oldest.GetMeasurementSnapshot().Single(m => (string)m.Tags["priority"]! == "bulk").Value, Is.EqualTo(90.0));
        Assert.That(inFlight.LastMeasurement!.Value, Is.EqualTo(1));
        Assert.That(mode.LastMeasurement!.Value, Is.EqualTo(1));
        provider.Dispose();
    }

    [Test]
    public async Task ReleaseLoop_SpanCarriesRequestId_AndDeadLettersAreCounted()
    {
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == DuisPrioritiserTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (spans) { spans.Add(activity); } },
        };
        ActivitySource.AddActivityListener(listener);

        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddLogging();
        services.AddResponsePrioritisation(o =>
        {
            o.Release.MaxReleaseAttempts = 1;
            o.Release.MaxRetryAttempts = 0;
            o.Pace.Mode = PaceMode.Fixed;
        }).UseHandler((message, _) => message.Message.RequestId == "bad" ? throw new InvalidOperationException("boom") : ValueTask.CompletedTask);
        await using var provider = services.BuildServiceProvider();
        var meterFactory = provider.GetRequiredService<IMeterFactory>();
        using var deadLettered = new MetricCollector<long>(meterFactory, DuisPrioritiserTelemetry.MeterName, DuisPrioritiserTelemetry.MessagesDeadLettered);
        using var limit = new MetricCollector<int>(meterFactory, DuisPrioritiserTelemetry.MeterName, DuisPrioritiserTelemetry.ReleaseInFlightLimit);
        var scheduler = provider.GetRequiredService<IResponseReleaseScheduler>();
        var loop = provider.GetServices<Microsoft.Extensions.Hosting.IHostedService>().Single();
        await loop.StartAsync(CancellationToken.None);

        scheduler.TryEnqueue(TestMessages.Response("2.2", requestId: "good"));
        scheduler.TryEnqueue(TestMessages.Response("2.2", requestId: "bad"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (deadLettered.GetMeasurementSnapshot().Count == 0 || spans.Count < 2)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "the loop did not handle both messages");
            await Task.Delay(10);
        }

        await loop.StopAsync(CancellationToken.None);
        limit.RecordObservableInstruments();
        lock (spans)
        {
            Assert.That(spans.Select(s => s.GetTagItem("duis.request_id")), Is.EquivalentTo(new[] { "good", "bad" }));
            Assert.That(spans.Single(s => (string?)s.GetTagItem("duis.request_id") == "bad").Status, Is.EqualTo(ActivityStatusCode.Error));
        }

        Assert.That(deadLettered.LastMeasurement!.Tags["reason"], Is.EqualTo("retries-exhausted"));
        Assert.That(limit.LastMeasurement!.Value, Is.GreaterThan(0));
    }

    private static IMeterFactory CreateMeterFactory(out ServiceProvider provider)
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IMeterFactory>();
    }
}
