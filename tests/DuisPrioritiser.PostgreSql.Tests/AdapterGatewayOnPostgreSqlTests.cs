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
