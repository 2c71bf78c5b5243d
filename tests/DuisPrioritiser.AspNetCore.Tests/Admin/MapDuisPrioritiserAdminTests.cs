using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using DuisPrioritiser.AspNetCore.Admin.Internal;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Release;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DuisPrioritiser.AspNetCore.Tests.Admin;

/// <summary>The admin API over HTTP against a real Kestrel, with a real authentication scheme and a named policy.</summary>
[TestFixture]
public sealed class MapDuisPrioritiserAdminTests
{
    private static readonly string[] s_readPaths = ["/duis-admin/snapshot", "/duis-admin/configuration", "/duis-admin/dead-letters", "/duis-admin/dashboard/", "/duis-admin/dashboard/data", "/duis-admin/dashboard/dashboard.js"];
    private static readonly string[] s_writePaths = ["/duis-admin/release/pause", "/duis-admin/release/resume", "/duis-admin/recovery/enter", "/duis-admin/recovery/leave", "/duis-admin/dead-letters/1/replay"];

    [Test]
    public async Task Admin_Anonymous_401OnEveryEndpointAndNothingChanges()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();

        foreach (string path in s_readPaths)
        {
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), path);
        }

        foreach (string path in s_writePaths)
        {
            using var response = await client.PostAsync(new Uri(path, UriKind.Relative), null);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), path);
        }

        Assert.That(app.Services.GetRequiredService<IReleaseControl>().IsPaused, Is.False);
        Assert.That(app.Services.GetRequiredService<IRecoveryControl>().Mode, Is.EqualTo(TrafficMode.Normal));
    }

    [Test]
    public async Task Admin_AuthenticatedWithoutThePolicy_403AndNothingChanges()
    {
        await using var app = await StartAsync();
        using var client = Client(app, role: "viewer");

        using var snapshot = await client.GetAsync(new Uri("/duis-admin/snapshot", UriKind.Relative));
        using var pause = await client.PostAsync(new Uri("/duis-admin/release/pause", UriKind.Relative), null);

        Assert.That(snapshot.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(pause.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(app.Services.GetRequiredService<IReleaseControl>().IsPaused, Is.False);
    }

    [Test]
    public async Task Admin_WithoutPolicyName_RequiresAnAuthenticatedUser()
    {
        await using var app = await StartAsync(policy: null);
        using var anonymous = app.CreateClient();
        using var user = Client(app, role: "viewer");

        using var refused = await anonymous.GetAsync(new Uri("/duis-admin/snapshot", UriKind.Relative));
        using var allowed = await user.GetAsync(new Uri("/duis-admin/snapshot", UriKind.Relative));

        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(allowed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Snapshot_Operator_MatchesTheScheduler()
    {
        await using var app = await StartAsync();
        using var client = Client(app);
        var scheduler = app.Services.GetRequiredService<IResponseReleaseScheduler>();
        Assert.That(scheduler.TryEnqueue(new Duis.DuisMessage(Duis.DuisMessageKind.Response), PriorityLevel.High), Is.True);
        Assert.That(scheduler.TryEnqueue(new Duis.DuisMessage(Duis.DuisMessageKind.Response), PriorityLevel.Bulk), Is.True);

        using var json = await GetJsonAsync(client, "/duis-admin/snapshot");

        var root = json.RootElement;
        Assert.That(root.GetProperty("held").GetInt64(), Is.EqualTo(2));
        Assert.That(root.GetProperty("capacity").GetInt64(), Is.EqualTo(scheduler.GetSnapshot().Capacity));
        Assert.That(root.GetProperty("mode").GetString(), Is.EqualTo("Normal"));
        Assert.That(root.GetProperty("releasePaused").GetBoolean(), Is.False);
        var levels = root.GetProperty("levels").EnumerateArray().ToDictionary(l => l.GetProperty("level").GetString()!, l => l.GetProperty("held").GetInt64());
        Assert.That(levels, Is.EqualTo(new Dictionary<string, long> { ["Critical"] = 0, ["High"] = 1, ["Normal"] = 0, ["Low"] = 0, ["Bulk"] = 1 }));
    }

    [Test]
    public async Task PauseResume_Operator_HoldsReleaseThenLetsItGo()
    {
        int handled = 0;
        await using var app = await StartAsync(handler: (_, _) => { Interlocked.Increment(ref handled); return ValueTask.CompletedTask; });
        using var client = Client(app);
        using var duis = app.CreateClient();

        using (var paused = await PostJsonAsync(client, "/duis-admin/release/pause"))
        {
            Assert.That(paused.RootElement.GetProperty("releasePaused").GetBoolean(), Is.True);
        }

        for (int i = 0; i < 5; i++)
        {
            using var accepted = await Intake.MapDuisIntakeTests.PostAsync(duis, DuisXml.Response("4.1.1"));
            Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), "intake goes on while release is paused");
        }

        await Task.Delay(200);
        Assert.That(Volatile.Read(ref handled), Is.Zero);
        using (var held = await GetJsonAsync(client, "/duis-admin/snapshot"))
        {
            Assert.That(held.RootElement.GetProperty("held").GetInt64(), Is.EqualTo(5));
        }

        using (var resumed = await PostJsonAsync(client, "/duis-admin/release/resume"))
        {
            Assert.That(resumed.RootElement.GetProperty("releasePaused").GetBoolean(), Is.False);
        }

        await WaitUntilAsync(() => Volatile.Read(ref handled) == 5);
    }

    [Test]
    public async Task Recovery_Operator_EntersAndLeaves()
    {
        await using var app = await StartAsync();
        using var client = Client(app);
        var recovery = app.Services.GetRequiredService<IRecoveryControl>();

        using (var entered = await PostJsonAsync(client, "/duis-admin/recovery/enter"))
        {
            Assert.That(entered.RootElement.GetProperty("mode").GetString(), Is.EqualTo("Recovery"));
            Assert.That(recovery.Mode, Is.EqualTo(TrafficMode.Recovery));
        }

        using var left = await PostJsonAsync(client, "/duis-admin/recovery/leave");
        Assert.That(left.RootElement.GetProperty("mode").GetString(), Is.EqualTo("Normal"));
        Assert.That(recovery.Mode, Is.EqualTo(TrafficMode.Normal));
    }

    [Test]
    public async Task Configuration_Operator_ShowsTheEffectiveOptions()
    {
        await using var app = await StartAsync(configure: o => o.Capacity = 1234, intake: i => i.ClientCertificate.AllowedThumbprints.Add(new string('A', 64)));
        using var client = Client(app);

        using var json = await GetJsonAsync(client, "/duis-admin/configuration");

        var root = json.RootElement;
        Assert.That(root.GetProperty("DuisPrioritiser").GetProperty("capacity").GetInt32(), Is.EqualTo(1234));
        Assert.That(root.GetProperty("DuisPrioritiser").GetProperty("reader").GetProperty("maxMessageBytes").GetInt32(), Is.EqualTo(Duis.DuisReaderOptions.DefaultMaxMessageBytes));
        Assert.That(root.GetProperty("DuisIntake").GetProperty("clientCertificate").GetProperty("allowedThumbprints")[0].GetString(), Is.EqualTo(new string('A', 64)));
    }

    [Test]
    public void Redact_SecretLookingProperties_ReplacedAtAnyDepth()
    {
        var node = JsonNode.Parse("""{"store":{"connectionString":"Host=db;Password=x","password":"p","nested":[{"apiKey":"k","name":"ok"}]},"capacity":5}""");

        string redacted = AdminEndpoints.Redact(node)!.ToJsonString();

        Assert.That(redacted, Does.Not.Contain("Password=x").And.Not.Contain("\"p\"").And.Not.Contain("\"k\""));
        Assert.That(redacted, Does.Contain("\"name\":\"ok\"").And.Contain("\"capacity\":5"));
    }

    [Test]
    public async Task DeadLetters_NoStoreRegistered_501ProblemSaysSo()
    {
        await using var app = await StartAsync();
        using var client = Client(app);

        using var list = await client.GetAsync(new Uri("/duis-admin/dead-letters", UriKind.Relative));
        using var replay = await client.PostAsync(new Uri("/duis-admin/dead-letters/17/replay", UriKind.Relative), null);
        using var purge = await client.DeleteAsync(new Uri("/duis-admin/dead-letters/17", UriKind.Relative));

        foreach (var response in new[] { list, replay, purge })
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotImplemented));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.That(problem.RootElement.GetProperty("type").GetString(), Is.EqualTo(AdminEndpoints.DeadLetterStoreMissingType));
            Assert.That(problem.RootElement.GetProperty("title").GetString(), Is.EqualTo("No dead-letter store registered"));
        }
    }

    [Test]
    public async Task DeadLetters_StoreRegistered_ListReplayAndPurgeThroughTheApi()
    {
        int fail = 1;
        int handled = 0;
        await using var app = await StartAsync(handler: (_, _) =>
        {
            if (Volatile.Read(ref fail) == 1)
            {
                throw new DuisPermanentFailureException("back-end refuses it");
            }

            Interlocked.Increment(ref handled);
            return ValueTask.CompletedTask;
        });
        using var client = Client(app);
        using var duis = app.CreateClient();
        string[] sent = [DuisXml.Response("4.1.1"), DuisXml.Response("4.1.1")];
        foreach (string xml in sent)
        {
            using var accepted = await Intake.MapDuisIntakeTests.PostAsync(duis, xml);
            Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }

        await WaitUntilAsync(async () =>
        {
            using var page = await GetJsonAsync(client, "/duis-admin/dead-letters");
            return page.RootElement.GetProperty("count").GetInt64() == 2;
        });

        long first;
        long second;
        using (var page = await GetJsonAsync(client, "/duis-admin/dead-letters?limit=1"))
        {
            var items = page.RootElement.GetProperty("items");
            Assert.That(items.GetArrayLength(), Is.EqualTo(1));
            var item = items[0];
            first = item.GetProperty("id").GetInt64();
            Assert.That(item.GetProperty("reason").GetString(), Is.EqualTo(DeadLetter.PermanentFailureReason));
            Assert.That(System.Text.Encoding.UTF8.GetString(item.GetProperty("message").GetBytesFromBase64()), Is.AnyOf(sent[0], sent[1]), "the exact bytes are kept");
            Assert.That(page.RootElement.GetProperty("nextAfterId").GetInt64(), Is.EqualTo(first));
        }

        using (var page = await GetJsonAsync(client, $"/duis-admin/dead-letters?afterId={first}"))
        {
            second = page.RootElement.GetProperty("items")[0].GetProperty("id").GetInt64();
            Assert.That(second, Is.GreaterThan(first));
            Assert.That(page.RootElement.GetProperty("nextAfterId").ValueKind, Is.EqualTo(JsonValueKind.Null));
        }

        using (var badPaging = await client.GetAsync(new Uri("/duis-admin/dead-letters?limit=0", UriKind.Relative)))
        {
            Assert.That(badPaging.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        }

        Volatile.Write(ref fail, 0);
        using (var replayed = await PostJsonAsync(client, $"/duis-admin/dead-letters/{first}/replay"))
        {
            Assert.That(replayed.RootElement.GetProperty("result").GetString(), Is.EqualTo("Replayed"));
        }

        await WaitUntilAsync(() => Volatile.Read(ref handled) == 1);

        using (var purged = await client.DeleteAsync(new Uri($"/duis-admin/dead-letters/{second}", UriKind.Relative)))
        {
            Assert.That(purged.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }

        using (var gone = await client.DeleteAsync(new Uri($"/duis-admin/dead-letters/{second}", UriKind.Relative)))
        {
            Assert.That(gone.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        }

        using (var missing = await client.PostAsync(new Uri($"/duis-admin/dead-letters/{first}/replay", UriKind.Relative), null))
        {
            Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "a replayed dead letter is removed");
        }

        using (var empty = await GetJsonAsync(client, "/duis-admin/dead-letters"))
        {
            Assert.That(empty.RootElement.GetProperty("count").GetInt64(), Is.Zero);
        }
    }

    [Test]
    public async Task Dashboard_Operator_ServedFromThePackageWithAStrictContentSecurityPolicy()
    {
        await using var app = await StartAsync();
        using var client = Client(app);

        using var page = await client.GetAsync(new Uri("/duis-admin/dashboard/", UriKind.Relative));
        using var script = await client.GetAsync(new Uri("/duis-admin/dashboard/dashboard.js", UriKind.Relative));
        using var style = await client.GetAsync(new Uri("/duis-admin/dashboard/dashboard.css", UriKind.Relative));
        using var missing = await client.GetAsync(new Uri("/duis-admin/dashboard/nothing.js", UriKind.Relative));
        using var withoutSlash = await client.GetAsync(new Uri("/duis-admin/dashboard", UriKind.Relative));

        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(page.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
        string html = await page.Content.ReadAsStringAsync();
        Assert.That(html, Does.Contain("dashboard.js").And.Not.Contain("http://").And.Not.Contain("https://"));
        Assert.That(page.Headers.GetValues("Content-Security-Policy").Single(), Does.Contain("default-src 'none'").And.Contain("script-src 'self'"));
        Assert.That(script.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/javascript"));
        Assert.That(await script.Content.ReadAsStringAsync(), Does.Not.Contain("https://"), "nothing is loaded from the internet");
        Assert.That(style.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(withoutSlash.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(withoutSlash.RequestMessage?.RequestUri?.AbsolutePath, Is.EqualTo("/duis-admin/dashboard/"), "redirected to the address its files are relative to");
    }

    [Test]
    public async Task DashboardData_Operator_CountsReleasesWaitsAndRejectionsOfThisAppOnly()
    {
        await using var other = await StartAsync();
        await using var app = await StartAsync(configure: o => o.Capacity = 3, handler: (_, _) => ValueTask.CompletedTask);
        using var client = Client(app);
        using var duis = app.CreateClient();
        using var otherDuis = other.CreateClient();
        for (int i = 0; i < 3; i++)
        {
            using var ok = await Intake.MapDuisIntakeTests.PostAsync(duis, DuisXml.Response("8.1.1"));
            using var elsewhere = await Intake.MapDuisIntakeTests.PostAsync(otherDuis, DuisXml.Response("8.1.1"));
        }

        using var bad = await Intake.MapDuisIntakeTests.PostAsync(duis, "<not-duis/>");
        await WaitUntilAsync(() => app.Services.GetRequiredService<IResponseReleaseScheduler>().GetSnapshot().TotalCount == 0);

        JsonDocument? data = null;
        await WaitUntilAsync(async () =>
        {
            data?.Dispose();
            data = await GetJsonAsync(client, "/duis-admin/dashboard/data");
            return data.RootElement.GetProperty("releasedTotal").GetInt64() == 3 && data.RootElement.GetProperty("history").GetArrayLength() > 0;
        });
        using (data)
        {
            var root = data!.RootElement;
            Assert.That(root.GetProperty("enqueuedTotal").GetInt64(), Is.EqualTo(3), "the other application's intake is not counted");
            Assert.That(root.GetProperty("rejectedTotal").GetInt64(), Is.EqualTo(1));
            Assert.That(root.GetProperty("rejectedByReason").GetProperty("invalid").GetInt64(), Is.EqualTo(1));
            var critical = root.GetProperty("waits").EnumerateArray().Single(w => w.GetProperty("level").GetString() == "Critical");
            Assert.That(critical.GetProperty("samples").GetInt32(), Is.EqualTo(3));
            Assert.That(critical.GetProperty("p99Seconds").GetDouble(), Is.GreaterThanOrEqualTo(critical.GetProperty("p50Seconds").GetDouble()));
            Assert.That(root.GetProperty("snapshot").GetProperty("inFlightLimit").GetInt32(), Is.GreaterThan(0));
            Assert.That(root.GetProperty("breaker").GetString(), Is.EqualTo("closed"), "a back-end that answers keeps the breaker closed");
            var last = root.GetProperty("history").EnumerateArray().Last();
            Assert.That(last.GetArrayLength(), Is.EqualTo(11));
            long since = last[0].GetInt64();
            using var incremental = await GetJsonAsync(client, $"/duis-admin/dashboard/data?since={since}");
            Assert.That(incremental.RootElement.GetProperty("history").EnumerateArray().All(p => p[0].GetInt64() > since), Is.True);
        }
    }

    [Test]
    public async Task DashboardData_BackEndDown_ShowsTheBreakerOpen()
    {
        await using var app = await StartAsync(
            configure: o =>
            {
                o.Release.CircuitBreaker.MinimumThroughput = 2;
                o.Release.CircuitBreaker.BreakDuration = TimeSpan.FromMinutes(5);
                o.Release.CircuitBreaker.MaxBreakDuration = TimeSpan.FromMinutes(5);
            },
            handler: (_, _) => throw new HttpRequestException("back-end refused the connection"));
        using var client = Client(app);
        using var duis = app.CreateClient();
        for (int i = 0; i < 4; i++)
        {
            using var ok = await Intake.MapDuisIntakeTests.PostAsync(duis, DuisXml.Response("8.1.1"));
        }

        string? breaker = null;
        await WaitUntilAsync(async () =>
        {
            using var data = await GetJsonAsync(client, "/duis-admin/dashboard/data");
            breaker = data.RootElement.GetProperty("breaker").GetString();
            return breaker == "open";
        });

        Assert.That(breaker, Is.EqualTo("open"));
        Assert.That(app.Services.GetRequiredService<IResponseReleaseScheduler>().GetSnapshot().TotalCount, Is.GreaterThan(0), "held while the back-end is down, not dead-lettered");
    }

    [Test]
    public void DashboardCollector_History_KeepsTheLastHourInOrder()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var scheduler = new ResponseReleaseScheduler(new ResponsePrioritisationOptions(), timeProvider: time);
        using var collector = new DashboardCollector(scheduler, null, null, time, TimeSpan.FromSeconds(1));
        scheduler.TryEnqueue(new Duis.DuisMessage(Duis.DuisMessageKind.Response), PriorityLevel.Low);
        for (int i = 0; i < DashboardCollector.HistoryLength + 10; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
        }

        var history = collector.GetHistory(0);

        Assert.That(history, Has.Length.EqualTo(DashboardCollector.HistoryLength));
        Assert.That(history.Select(p => p.Sequence), Is.Ordered.Ascending);
        Assert.That(history[^1].Held[(int)PriorityLevel.Low], Is.EqualTo(1));
        Assert.That(collector.GetHistory(history[^1].Sequence), Is.Empty);
        Assert.That(collector.GetHistory(history[^1].Sequence - 2), Has.Length.EqualTo(2));
    }

    private static HttpClient Client(TestApp app, string user = "operator-1", string role = "operator")
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add(HeaderAuthenticationHandler.UserHeader, user);
        client.DefaultRequestHeaders.Add(HeaderAuthenticationHandler.RoleHeader, role);
        return client;
    }

    private static async Task<JsonDocument> GetJsonAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), path);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    private static async Task<JsonDocument> PostJsonAsync(HttpClient client, string path)
    {
        using var response = await client.PostAsync(new Uri(path, UriKind.Relative), null);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), path);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!await condition())
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "condition not reached in 15 s");
            await Task.Delay(20);
        }
    }

    private static Task<TestApp> StartAsync(
        string? policy = HeaderAuthenticationHandler.OperatorPolicy,
        Action<ResponsePrioritisationOptions>? configure = null,
        Action<DuisIntakeOptions>? intake = null,
        Func<ReleasedMessage, CancellationToken, ValueTask>? handler = null)
        => TestApp.StartAsync(
            builder =>
            {
                HeaderAuthenticationHandler.AddTo(builder);
                var duis = builder.Services.AddResponsePrioritisation(o => configure?.Invoke(o)).AddDuisIntake(o => intake?.Invoke(o));
                if (handler is not null)
                {
                    duis.AddHandler(handler);
                }
            },
            app =>
            {
                app.UseAuthentication();
                app.UseAuthorization();
                app.MapDuisIntake("/duis");
                if (policy is null)
                {
                    app.MapDuisPrioritiserAdmin("/duis-admin");
                }
                else
                {
                    app.MapDuisPrioritiserAdmin("/duis-admin", policy);
                }
            });
}
