using System.Net;
using System.Text;
using AdapterGateway;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DuisPrioritiser.PostgreSql.Tests;

/// <summary>The AdapterGateway sample on PostgreSQL with one setting (ConnectionStrings:DuisBacklog), over real Kestrel.</summary>
[TestFixture]
[NonParallelizable]
public sealed class AdapterGatewayOnPostgreSqlTests
{
    [Test]
    [CancelAfter(60_000)]
    public async Task OneSetting_TwoGateways_ShareTheBacklog_AndARedeliveryToTheOtherIsSuppressed(CancellationToken cancellationToken)
    {
        var schema = PostgresServer.NewSchema();
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:DuisBacklog"] = PostgresServer.ConnectionString,
            ["PostgreSqlBacklog:Schema"] = schema,
        };
        await using var first = await StartAsync(settings);
        await using var second = await StartAsync(settings);
        try
        {
            var xml = File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "Gateway", "examples", "read-response.xml"));
            using var accepted = await PostAsync(first, xml, cancellationToken);
            using var redelivered = await PostAsync(second, xml, cancellationToken);
            TestContext.Out.WriteLine($"first: {(int)accepted.StatusCode} {accepted.Headers}; redelivery: {(int)redelivered.StatusCode} {redelivered.Headers} {await redelivered.Content.ReadAsStringAsync(cancellationToken)}");

            Assert.Multiple(async () =>
            {
                Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
                Assert.That(redelivered.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
                Assert.That(redelivered.Headers.Contains("Duis-Duplicate"), Is.True, "the other gateway suppressed the DCC's redelivery");
                Assert.That(await PostgresServer.ScalarAsync<long>($"SELECT count(*) FROM {schema}.dedup"), Is.EqualTo(1));
            });
        }
        finally
        {
            await first.StopAsync(CancellationToken.None);
            await second.StopAsync(CancellationToken.None);
            await PostgresServer.DropSchemaAsync(schema);
        }
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task DatabaseDown_IntakeAnswers503WithRetryAfter_HealthReportsTheStore_AndBothRecoverByThemselves(CancellationToken cancellationToken)
    {
        var schema = PostgresServer.NewSchema();
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:DuisBacklog"] = PostgresServer.ConnectionString,
            ["PostgreSqlBacklog:Schema"] = schema,
            ["PostgreSqlBacklog:PollInterval"] = "00:00:00.200",
            ["DuisIntake:RetryAfterUnavailable"] = "00:00:07",
        };
        _ = PostgresServer.ControlScript; // this test stops the server: ignore (or fail in CI) before starting anything
        await using var gateway = await StartAsync(settings);
        bool down = false;
        try
        {
            var template = File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "Gateway", "examples", "read-response.xml"));
            int next = 0;
            string Xml() => template.Replace(":1767225600002<", $":17672256{Interlocked.Increment(ref next):D5}<", StringComparison.Ordinal);

            using (var before = await PostAsync(gateway, Xml(), cancellationToken))
            {
                Assert.That(before.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            }

            var healthy = await GetHealthAsync(gateway, cancellationToken);
            Assert.That(healthy.Body, Does.Contain("\"store_kind\":\"postgresql\"").And.Contain("\"store_reachable\":true"), healthy.Body);

            await Task.Run(() => PostgresServer.Control("kill-immediate"), cancellationToken);
            down = true;

            // The first request after the crash may still find a pooled connection that only then breaks: either way
            // the answer is 503 Store unavailable (bounded wait: a loaded machine may take a while to notice).
            HttpResponseMessage? refused = null;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (DateTime.UtcNow < deadline)
            {
                var response = await PostAsync(gateway, Xml(), cancellationToken);
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    refused = response;
                    break;
                }

                Assert.That(response.StatusCode, Is.Not.EqualTo(HttpStatusCode.NoContent), "nothing is accepted while the database is down");
                response.Dispose();
                await Task.Delay(100, cancellationToken);
            }

            Assert.That(refused, Is.Not.Null, "intake answered 503 while the database was down");
            using (refused)
            {
                var problem = await refused!.Content.ReadAsStringAsync(cancellationToken);
                Assert.Multiple(() =>
                {
                    Assert.That(refused.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(7)));
                    Assert.That(problem, Does.Contain("Store unavailable"));
                });
            }

            var degraded = await WaitForHealthAsync(gateway, body => body.Contains("\"store_reachable\":false", StringComparison.Ordinal), cancellationToken);
            Assert.Multiple(() =>
            {
                Assert.That(degraded.Body, Does.Contain("\"status\":\"Degraded\""), degraded.Body);
                Assert.That(degraded.Body, Does.Contain("store_unavailable"));
                Assert.That(degraded.Body, Does.Contain("\"store_last_error\""));
            });

            await Task.Run(() => PostgresServer.Control("resume"), cancellationToken);
            down = false;

            HttpStatusCode after = default;
            deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (DateTime.UtcNow < deadline && after != HttpStatusCode.NoContent)
            {
                using var response = await PostAsync(gateway, Xml(), cancellationToken);
                after = response.StatusCode;
                if (after != HttpStatusCode.NoContent)
                {
                    await Task.Delay(200, cancellationToken);
                }
            }

            Assert.That(after, Is.EqualTo(HttpStatusCode.NoContent), "intake accepts again once the database is back, by itself");
            var back = await WaitForHealthAsync(gateway, body => body.Contains("\"store_reachable\":true", StringComparison.Ordinal), cancellationToken);
            Assert.That(back.Body, Does.Not.Contain("\"reason\":\"store_unavailable"), back.Body);
            Assert.That(
                await PostgresServer.ScalarAsync<long>($"SELECT count(*) FROM {schema}.dedup"),
                Is.EqualTo(2),
                "only the two answered 204 were stored: not accepted = not stored (no request was in flight when the server was killed)");
            TestContext.Out.WriteLine($"down: {degraded.Body}\nback: {back.Body}");
        }
        finally
        {
            if (down)
            {
                PostgresServer.Control("resume");
            }

            await gateway.StopAsync(CancellationToken.None);
            await PostgresServer.DropSchemaAsync(schema);
        }
    }

    private static async Task<(HttpStatusCode Status, string Body)> GetHealthAsync(WebApplication app, CancellationToken cancellationToken)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var client = new HttpClient { BaseAddress = new Uri(address) };
        using var response = await client.GetAsync("/health", cancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    private static async Task<(HttpStatusCode Status, string Body)> WaitForHealthAsync(WebApplication app, Func<string, bool> condition, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var health = await GetHealthAsync(app, cancellationToken);
        while (!condition(health.Body) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, cancellationToken);
            health = await GetHealthAsync(app, cancellationToken);
        }

        Assert.That(condition(health.Body), Is.True, () => "health did not reach the expected state: " + health.Body);
        return health;
    }

    private static async Task<WebApplication> StartAsync(Dictionary<string, string?> settings)
    {
        var app = AdapterGatewayApp.Build(["--urls", "http://127.0.0.1:0"], builder => builder.Configuration.AddInMemoryCollection(settings));
        await app.StartAsync();
        return app;
    }

    private static async Task<HttpResponseMessage> PostAsync(WebApplication app, string xml, CancellationToken cancellationToken)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var client = new HttpClient { BaseAddress = new Uri(address) };
        using var content = new StringContent(xml, Encoding.UTF8, "application/xml");
        return await client.PostAsync("/duis", content, cancellationToken);
    }
}
