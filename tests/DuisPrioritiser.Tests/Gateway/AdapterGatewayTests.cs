using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AdapterGateway;
using DuisPrioritiser.AspNetCore;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;
using DuisPrioritiser.Tests.Duis;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuisPrioritiser.Tests.Gateway;

/// <summary>
/// Starts the AdapterGateway sample on 127.0.0.1 (a dynamic port) and drives it with a real <see cref="HttpClient"/>,
/// as the DCC would. The simulated back-end has no latency and one message in flight, so its order is release order;
/// pausing it holds a burst in the scheduler. Waits are polls of the gateway's own endpoints, bounded by a deadline.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class AdapterGatewayTests
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(15);
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private static int s_nextId;

    [Test]
    public async Task PostDuis_CommissioningResponse_Returns204AndBackEndProcessesIt()
    {
        await using var gateway = await GatewayHost.StartAsync();
        string requestId = NextRequestId();

        using var response = await gateway.PostDuisAsync(Response("8.1.1", requestId));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(response.Headers.GetValues(DuisIntakeHeaders.Priority), Is.EqualTo(new[] { "Critical" }));
        var processed = await gateway.WaitForProcessedAsync(1);
        Assert.That(processed[0].RequestId, Is.EqualTo(requestId));
        Assert.That(processed[0].Level, Is.EqualTo(PriorityLevel.Critical));
        Assert.That(processed[0].ServiceReferenceVariant, Is.EqualTo("8.1.1"));
    }

    [Test]
    public async Task PostDuis_Redelivery_Returns204MarkedDuplicateAndIsProcessedOnce()
    {
        await using var gateway = await GatewayHost.StartAsync();
        string xml = Response("2.2", NextRequestId());

        using var first = await gateway.PostDuisAsync(xml);
        using var again = await gateway.PostDuisAsync(xml);

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(first.Headers.Contains(DuisIntakeHeaders.Duplicate), Is.False);
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), "the DCC must get its 2xx for a redelivery");
        Assert.That(again.Headers.GetValues(DuisIntakeHeaders.Duplicate), Is.EqualTo(new[] { "true" }));
        var processed = await gateway.WaitForProcessedAsync(1);
        Assert.That(processed, Has.Length.EqualTo(1), "a redelivered duplicate is processed once");
        var status = await gateway.GetStatusAsync();
        Assert.That(status.Held + status.BackEnd.Processed, Is.EqualTo(1), "the duplicate was never enqueued");
    }

    [TestCase("<?xml version=\"1.0\"?><order><item>not DUIS</item></order>", TestName = "PostDuis_WrongRoot_Returns400WithReason")]
    [TestCase("<?xml version=\"1.0\"?><sr:Response xmlns:sr=\"http://www.dccinterface.co.uk/ServiceUserGateway\"><sr:Header>", TestName = "PostDuis_Truncated_Returns400WithReason")]
    [TestCase("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x \"y\">]><sr:Response xmlns:sr=\"http://www.dccinterface.co.uk/ServiceUserGateway\"/>", TestName = "PostDuis_Dtd_Returns400WithReason")]
    public async Task PostDuis_InvalidXml_Returns400WithReason(string xml)
    {
        await using var gateway = await GatewayHost.StartAsync();
        Assert.That(DuisMessage.TryParse(Encoding.UTF8.GetBytes(xml), out _, out var expected), Is.False);

        using var response = await gateway.PostDuisAsync(xml);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(problem.RootElement.GetProperty("detail").GetString(), Is.EqualTo(expected.Message).And.Not.Empty);
        Assert.That(problem.RootElement.GetProperty("code").GetString(), Is.EqualTo(expected.Code.ToString()));
        var status = await gateway.GetStatusAsync();
        Assert.That(status.Held + status.BackEnd.Processed, Is.Zero, "an invalid message is never enqueued");
    }

    [Test]
    public async Task PostDuis_AtCapacity_Returns503WithRetryAfterAndLosesNothing()
    {
        await using var gateway = await GatewayHost.StartAsync(
            ("DuisPrioritiser:Capacity", "3"),
            ("DuisIntake:RetryAfterFull", "00:00:07"));
        await gateway.PauseBackEndWithOneInFlightAsync();

        for (int i = 0; i < 3; i++)
        {
            using var accepted = await gateway.PostDuisAsync(Response("4.1.1", NextRequestId()));
            Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), $"message {i} fits the capacity of 3");
        }

        using var full = await gateway.PostDuisAsync(Response("8.1.1", NextRequestId()));

        Assert.That(full.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(full.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(7)));
        Assert.That(full.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That((await gateway.GetStatusAsync()).Held, Is.EqualTo(3));

        // The back-end catches up: everything accepted is processed, and the gateway accepts again.
        await gateway.ResumeBackEndAsync();
        await gateway.WaitForProcessedAsync(4);
        using var again = await gateway.PostDuisAsync(Response("8.1.1", NextRequestId()));
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        await gateway.WaitForProcessedAsync(5);
    }

    [Test]
    public async Task PostDuis_BurstWhileBackEndPaused_ReleasedCriticalThenNormalThenBulk()
    {
        await using var gateway = await GatewayHost.StartAsync();
        var plug = await gateway.PauseBackEndWithOneInFlightAsync();

        // Arrival order is the worst case for FIFO: the bulk alerts first, then reads, then the commissioning result.
        var sent = new List<(string Id, string Xml, string Level)>();
        for (int i = 0; i < 6; i++)
        {
            string id = NextResponseId();
            sent.Add((id, DeviceAlert("8F1C", id), "Bulk"));
        }

        for (int i = 0; i < 3; i++)
        {
            string id = NextRequestId();
            sent.Add((id, Response("4.1.1", id), "Normal"));
        }

        string commissioning = NextRequestId();
        sent.Add((commissioning, Response("8.1.1", commissioning), "Critical"));
        foreach (var (id, xml, level) in sent)
        {
            using var response = await gateway.PostDuisAsync(xml);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), id);
            Assert.That(response.Headers.GetValues(DuisIntakeHeaders.Priority), Is.EqualTo(new[] { level }), id);
        }

        var held = await gateway.GetStatusAsync();
        Assert.That(held.Held, Is.EqualTo(10));
        Assert.That(held.Levels.ToDictionary(l => l.Level, l => l.Count), Does.ContainKey(PriorityLevel.Critical).WithValue(1)
            .And.ContainKey(PriorityLevel.Normal).WithValue(3)
            .And.ContainKey(PriorityLevel.Bulk).WithValue(6));

        await gateway.ResumeBackEndAsync();
        var processed = await gateway.WaitForProcessedAsync(11);

        Assert.That(processed[0].RequestId, Is.EqualTo(plug), "the message already in flight when the back-end paused");
        var burst = processed.Skip(1).ToArray();
        Assert.That(burst.Select(p => p.Level), Is.EqualTo(
            new[] { PriorityLevel.Critical }
                .Concat(Enumerable.Repeat(PriorityLevel.Normal, 3))
                .Concat(Enumerable.Repeat(PriorityLevel.Bulk, 6))));
        Assert.That(burst[0].RequestId, Is.EqualTo(commissioning));
        Assert.That(burst.Select(p => p.RequestId ?? p.ResponseId), Is.EquivalentTo(sent.Select(s => s.Id)), "every message accepted is processed once");
        Assert.That(burst.Where(p => p.Level == PriorityLevel.Bulk).Select(p => p.ResponseId), Is.EqualTo(sent.Take(6).Select(s => s.Id)), "FIFO within a level");
    }

    [TestCase(false, TestName = "PostDuis_LargerThanMaxMessageBytes_Returns413")]
    [TestCase(true, TestName = "PostDuis_ChunkedLargerThanMaxMessageBytes_Returns413")]
    public async Task PostDuis_TooLarge_Returns413(bool chunked)
    {
        await using var gateway = await GatewayHost.StartAsync(("DuisPrioritiser:Reader:MaxMessageBytes", "2048"));
        byte[] body = Encoding.UTF8.GetBytes(DuisCorpus.Response("4.1.1", DuisCorpus.GbcsPayload(3000), requestId: NextRequestId()));
        Assert.That(body, Has.Length.GreaterThan(2048));
        HttpContent content = chunked ? new StreamContent(new NonSeekableStream(body)) : new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/xml");

        using var response = await gateway.Client.PostAsync(new Uri("/duis", UriKind.Relative), content);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That((await gateway.GetStatusAsync()).Held, Is.Zero);
    }

    [Test]
    public async Task PostDuis_NotXmlContentType_Returns415()
    {
        await using var gateway = await GatewayHost.StartAsync();
        using var content = new StringContent(Response("8.1.1", NextRequestId()), Encoding.UTF8, "text/plain");

        using var response = await gateway.Client.PostAsync(new Uri("/duis", UriKind.Relative), content);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
    }

    [Test]
    public async Task PostDuis_ExampleFilesFromTheDocs_AcceptedAtTheirLevels()
    {
        await using var gateway = await GatewayHost.StartAsync();
        string examples = Path.Combine(AppContext.BaseDirectory, "Gateway", "examples");
        var expected = new[] { ("commission-response.xml", "Critical"), ("read-response.xml", "Normal"), ("device-alert.xml", "Bulk") };

        foreach (var (file, level) in expected)
        {
            using var response = await gateway.PostDuisAsync(await File.ReadAllTextAsync(Path.Combine(examples, file)));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), file);
            Assert.That(response.Headers.GetValues(DuisIntakeHeaders.Priority), Is.EqualTo(new[] { level }), file);
        }

        using var invalid = await gateway.PostDuisAsync(await File.ReadAllTextAsync(Path.Combine(examples, "not-duis.xml")));
        Assert.That(invalid.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        await gateway.WaitForProcessedAsync(3);
    }

    [Test]
    public async Task GetMetrics_AfterAnAcceptedMessage_ShowsDuisPrioritiserCounters()
    {
        await using var gateway = await GatewayHost.StartAsync();
        using (var response = await gateway.PostDuisAsync(Response("8.1.1", NextRequestId())))
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }

        await gateway.WaitForProcessedAsync(1);
        string metrics = await gateway.Client.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        Assert.That(metrics, Does.Contain("duis_prioritiser_messages_enqueued_total{").And.Contain("duis_priority=\"critical\""));
        Assert.That(metrics, Does.Contain("duis_prioritiser_queue_depth{"));
    }

    [Test]
    public async Task GetHealth_Idle_ReturnsHealthy()
    {
        await using var gateway = await GatewayHost.StartAsync();

        using var response = await gateway.Client.GetAsync(new Uri("/health", UriKind.Relative));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.That(root.GetProperty("status").GetString(), Is.EqualTo("Healthy"));
        var entry = root.GetProperty("entries").GetProperty("duis_prioritiser");
        Assert.That(entry.GetProperty("status").GetString(), Is.EqualTo("Healthy"));
        Assert.That(entry.GetProperty("data").GetProperty("mode").GetString(), Is.EqualTo("Normal"));
        Assert.That(entry.GetProperty("data").GetProperty("held").GetInt64(), Is.Zero);
        Assert.That(entry.GetProperty("data").GetProperty("held_critical").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Number));
    }

    [Test]
    public async Task Admin_WithAndWithoutTheOperatorKey_OnlyTheOperatorGetsIn()
    {
        await using var gateway = await GatewayHost.StartAsync(("AdapterGateway:OperatorKey", "test-operator-key"));
        using var anonymous = await gateway.Client.GetAsync(new Uri("/duis-admin/snapshot", UriKind.Relative));
        using var wrong = new HttpRequestMessage(HttpMethod.Get, new Uri("/duis-admin/snapshot", UriKind.Relative));
        wrong.Headers.Add("X-Operator-Key", "guess");
        using var wrongResponse = await gateway.Client.SendAsync(wrong);
        using var right = new HttpRequestMessage(HttpMethod.Post, new Uri("/duis-admin/release/pause", UriKind.Relative));
        right.Headers.Add("X-Operator-Key", "test-operator-key");
        using var rightResponse = await gateway.Client.SendAsync(right);

        Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(wrongResponse.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(rightResponse.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using var snapshot = JsonDocument.Parse(await rightResponse.Content.ReadAsStringAsync());
        Assert.That(snapshot.RootElement.GetProperty("releasePaused").GetBoolean(), Is.True);
    }

    [Test]
    public async Task Admin_NoOperatorKeyConfigured_NobodyGetsIn()
    {
        await using var gateway = await GatewayHost.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/duis-admin/snapshot", UriKind.Relative));
        request.Headers.Add("X-Operator-Key", "");

        using var response = await gateway.Client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    private static string NextRequestId()
        => string.Create(CultureInfo.InvariantCulture, $"90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:{1_767_225_600_000L + Interlocked.Increment(ref s_nextId)}");

    private static string NextResponseId()
        => string.Create(CultureInfo.InvariantCulture, $"00-DB-12-34-56-78-90-A0:90-B3-D5-1F-30-01-00-00:{1_767_225_600_000L + Interlocked.Increment(ref s_nextId)}");

    /// <summary>A response with its own ids, so that no two look like a redelivery.</summary>
    private static string Response(string srv, string requestId)
        => DuisCorpus.Response(srv, DuisCorpus.GbcsPayload(), requestId: requestId, responseId: requestId.Replace("90-B3", "91-B3", StringComparison.Ordinal));

    private static string DeviceAlert(string code, string responseId)
        => DuisCorpus.Envelope(
            DuisCorpus.Header("I0", requestId: null, responseId: responseId),
            $"<sr:DeviceAlertMessage><sr:AlertCode>{code}</sr:AlertCode>{DuisCorpus.GbcsPayload(48)}</sr:DeviceAlertMessage>");

    private sealed record Processed(long Received, PriorityLevel Level, DuisMessageKind Kind, string? ServiceReferenceVariant, string? AlertCode, string? RequestId, string? ResponseId, double WaitSeconds);

    private sealed record LevelStatus(PriorityLevel Level, long Count, double OldestWaitSeconds);

    private sealed record BackEndState(bool Paused, long Processed);

    private sealed record Status(long Held, long Capacity, long InFlight, bool IsCompleted, LevelStatus[] Levels, BackEndState BackEnd);

    /// <summary>A stream whose length is unknown, so that <see cref="HttpClient"/> sends the body chunked.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }

    /// <summary>One running gateway and a client for it.</summary>
    private sealed class GatewayHost : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private GatewayHost(WebApplication app, HttpClient client)
        {
            _app = app;
            Client = client;
        }

        public HttpClient Client { get; }

        public static async Task<GatewayHost> StartAsync(params (string Key, string Value)[] settings)
        {
            var configuration = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Warning",
                ["DuisPrioritiser:Pace:Mode"] = "Fixed",
                ["DuisPrioritiser:Pace:FixedLimit"] = "1",
                ["DuisPrioritiser:Traffic:Enabled"] = "false",
                ["DuisPrioritiser:Release:ShutdownTimeout"] = "00:00:02",
                ["AdapterGateway:BackEnd:Latency"] = "00:00:00",
                ["AdapterGateway:BackEnd:MaxConcurrency"] = "1",
            };
            foreach (var (key, value) in settings)
            {
                configuration[key] = value;
            }

            var app = AdapterGatewayApp.Build(["--urls", "http://127.0.0.1:0"], builder => builder.Configuration.AddInMemoryCollection(configuration));
            await app.StartAsync();
            string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
            Assert.That(address, Does.StartWith("http://127.0.0.1:"));
            var client = new HttpClient { BaseAddress = new Uri(address), Timeout = s_deadline };
            return new GatewayHost(app, client);
        }

        public async Task<HttpResponseMessage> PostDuisAsync(string xml)
        {
            using var content = new StringContent(xml, Encoding.UTF8, "application/xml");
            return await Client.PostAsync(new Uri("/duis", UriKind.Relative), content);
        }

        public async Task<Status> GetStatusAsync()
            => (await Client.GetFromJsonAsync<Status>(new Uri("/status", UriKind.Relative), s_json))!;

        /// <summary>Pauses the back-end and sends one message, which the release loop hands to it and which then waits there.</summary>
        /// <returns>The request id of that message.</returns>
        public async Task<string> PauseBackEndWithOneInFlightAsync()
        {
            using (var paused = await Client.PostAsync(new Uri("/backend/pause", UriKind.Relative), null))
            {
                Assert.That(paused.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            }

            string plug = NextRequestId();
            using (var response = await PostDuisAsync(AdapterGatewayTests.Response("4.1.1", plug)))
            {
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            }

            await WaitUntilAsync(async () => await GetStatusAsync() is { InFlight: 1, Held: 0 }, "the first message in flight at the paused back-end");
            return plug;
        }

        public async Task ResumeBackEndAsync()
        {
            using var resumed = await Client.PostAsync(new Uri("/backend/resume", UriKind.Relative), null);
            Assert.That(resumed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        public async Task<Processed[]> WaitForProcessedAsync(int count)
        {
            Processed[] processed = [];
            await WaitUntilAsync(
                async () => (processed = (await Client.GetFromJsonAsync<Processed[]>(new Uri("/processed", UriKind.Relative), s_json))!).Length >= count,
                $"{count} message(s) processed");
            Assert.That(processed, Has.Length.EqualTo(count));
            return processed;
        }

        public async ValueTask DisposeAsync()
        {
            // Let anything held reach the back-end so that shutdown does not wait for a paused handler.
            _app.Services.GetRequiredService<AdapterGateway.BackEnd.BackEndControl>().Resume();
            Client.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
        {
            using var deadline = new CancellationTokenSource(s_deadline);
            while (!await condition())
            {
                if (deadline.IsCancellationRequested)
                {
                    Assert.Fail($"Timed out after {s_deadline.TotalSeconds} s waiting for {what}.");
                }

                await Task.Delay(20, CancellationToken.None);
            }
        }
    }
}
