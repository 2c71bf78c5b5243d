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
            Assert.That(enqueued.GetMeasurementSnapshot().Select(m => (m.Value, m.Tags["duis.priority"], m.Tags["duis.message.kind"])),
                Is.EqualTo(new[] { (1L, (object?)"critical", (object?)"response"), (1L, "bulk", "device_alert") }));
            Assert.That(rejected.LastMeasurement!.Tags["error.type"], Is.EqualTo("full"));
            Assert.That(released.LastMeasurement!.Tags["duis.priority"], Is.EqualTo("critical"));
            Assert.That(wait.LastMeasurement!.Value, Is.EqualTo(4.0));
            Assert.That(enqueued.GetMeasurementSnapshot().SelectMany(m => m.Tags.Keys).Distinct(), Is.EquivalentTo(new[] { "duis.priority", "duis.message.kind" }), "ids never go on metrics");
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
        Assert.That(rejected.LastMeasurement!.Tags["error.type"], Is.EqualTo("invalid"));
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
        Assert.That(duplicates.LastMeasurement!.Tags["duis.message.kind"], Is.EqualTo("response"));
        Assert.That(duplicates.GetMeasurementSnapshot(), Has.Count.EqualTo(1));
        provider.Dispose();
    }

    [Test]
    public void Scheduler_CountsThatAddUpAcrossInstances_AreUpDownCounters()
    {
        using var meterFactory = CreateMeterFactory(out var provider);
        var kinds = new Dictionary<string, Type>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == DuisPrioritiserTelemetry.MeterName)
                {
                    kinds[instrument.Name] = instrument.GetType().GetGenericTypeDefinition();
                }
            },
        };
        listener.Start();
        using var scheduler = new ResponseReleaseScheduler(new ResponsePrioritisationOptions(), meterFactory: meterFactory);

        Assert.That(kinds[DuisPrioritiserTelemetry.QueueDepth], Is.EqualTo(typeof(ObservableUpDownCounter<>)));
        Assert.That(kinds[DuisPrioritiserTelemetry.QueueDeferred], Is.EqualTo(typeof(ObservableUpDownCounter<>)));
        Assert.That(kinds[DuisPrioritiserTelemetry.ReleaseInFlight], Is.EqualTo(typeof(ObservableUpDownCounter<>)));
        Assert.That(kinds[DuisPrioritiserTelemetry.QueueOldestWait], Is.EqualTo(typeof(ObservableGauge<>)), "a wait does not add up");
        provider.Dispose();
    }

    [Test]
    public async Task ReleaseSpan_LinksToTheIntakeRequestsTraceContext_AndFailuresCarryErrorType()
    {
        var spans = new List<Activity>();
        using var intakeSource = new ActivitySource("Test.Intake");
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == DuisPrioritiserTelemetry.ActivitySourceName || source.Name == intakeSource.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (spans) { spans.Add(activity); } },
        };
        ActivitySource.AddActivityListener(listener);
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddLogging();
        services.AddResponsePrioritisation(o => { o.Release.MaxAttempts = 1; o.Pace.Mode = PaceMode.Fixed; })
            .AddHandler((message, _) => message.Message.RequestId == "bad" ? throw new InvalidOperationException("boom") : ValueTask.CompletedTask);
        await using var provider = services.BuildServiceProvider();
        using var duration = new MetricCollector<double>(provider.GetRequiredService<IMeterFactory>(), DuisPrioritiserTelemetry.MeterName, DuisPrioritiserTelemetry.HandlerDuration);
        var scheduler = provider.GetRequiredService<IResponseReleaseScheduler>();

        ActivityContext goodRequest;
        ActivityContext badRequest;
        using (var request = intakeSource.StartActivity("POST /duis", ActivityKind.Server))
        {
            goodRequest = request!.Context;
            scheduler.TryEnqueue(TestMessages.Response("2.2", requestId: "good"));
        }

        using (var request = intakeSource.StartActivity("POST /duis", ActivityKind.Server))
        {
            badRequest = request!.Context;
            await scheduler.EnqueueAsync(TestMessages.Response("2.2", requestId: "bad"));
        }

        var loop = provider.GetServices<Microsoft.Extensions.Hosting.IHostedService>().Single();
        await loop.StartAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Handles(spans).Count < 2)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "the loop did not handle both messages");
            await Task.Delay(10);
        }

        await loop.StopAsync(CancellationToken.None);
        var handles = Handles(spans);
        var good = handles.Single(s => (string?)s.GetTagItem("duis.request_id") == "good");
        var bad = handles.Single(s => (string?)s.GetTagItem("duis.request_id") == "bad");
        Assert.Multiple(() =>
        {
            Assert.That(good.Links.Select(l => (l.Context.TraceId, l.Context.SpanId)), Is.EqualTo(new[] { (goodRequest.TraceId, goodRequest.SpanId) }));
            Assert.That(good.TraceId, Is.Not.EqualTo(goodRequest.TraceId), "a link, not a child: the release is its own trace");
            Assert.That(bad.Links.Single().Context.TraceId, Is.EqualTo(badRequest.TraceId));
            Assert.That(good.GetTagItem("duis.priority"), Is.Not.Null);
            Assert.That(good.GetTagItem("error.type"), Is.Null);
            Assert.That(bad.GetTagItem("error.type"), Is.EqualTo("System.InvalidOperationException"));
            var byError = duration.GetMeasurementSnapshot().Select(m => m.Tags.TryGetValue("error.type", out var e) ? e : null).ToList();
            Assert.That(byError, Is.EquivalentTo(new object?[] { null, "System.InvalidOperationException" }), "error.type only on the failure");
        });

        static List<Activity> Handles(List<Activity> spans)
        {
            lock (spans)
            {
                return [.. spans.Where(s => s.OperationName == "duis_prioritiser.handle")];
            }
        }
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
        var depthByLevel = depth.GetMeasurementSnapshot().ToDictionary(m => (string)m.Tags["duis.priority"]!, m => m.Value);
        Assert.That(depthByLevel, Is.EquivalentTo(new Dictionary<string, long> { ["critical"] = 0, ["high"] = 0, ["normal"] = 0, ["low"] = 0, ["bulk"] = 2 }));
        Assert.That(oldest.GetMeasurementSnapshot().Single(m => (string)m.Tags["duis.priority"]! == "bulk").Value, Is.EqualTo(90.0));
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
            o.Release.MaxAttempts = 1;
            o.Pace.Mode = PaceMode.Fixed;
        }).AddHandler((message, _) => message.Message.RequestId == "bad" ? throw new InvalidOperationException("boom") : ValueTask.CompletedTask);
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

        Assert.That(deadLettered.LastMeasurement!.Tags["error.type"], Is.EqualTo("retries-exhausted"));
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
