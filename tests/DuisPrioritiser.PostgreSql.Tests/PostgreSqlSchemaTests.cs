using DuisPrioritiser.PostgreSql.Schema;
using DuisPrioritiser.Storage;

namespace DuisPrioritiser.PostgreSql.Tests;

[TestFixture]
[NonParallelizable]
public sealed class PostgreSqlSchemaTests
{
    [Test]
    public void DbaScript_InThePackage_IsTheMigrationsRenderedWithTheDefaults()
    {
        var shipped = File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "sql", "duis-prioritiser-postgresql.sql"));
        var expected = PostgreSqlSchema.RenderDbaScript("duis", string.Empty);
        if (shipped != expected)
        {
            var path = Path.Combine(Path.GetTempPath(), "duis-prioritiser-postgresql.sql");
            File.WriteAllText(path, expected);
            Assert.Fail($"src/DuisPrioritiser.PostgreSql/sql/duis-prioritiser-postgresql.sql is out of date: the current rendering is in {path}; copy it over.");
        }
    }

    [Test]
    public async Task Apply_SeveralInstancesAtOnce_RecordsEachVersionOnce()
    {
        await using var harness = new StoreHarness();
        var stores = Enumerable.Range(0, 6).Select(_ => harness.Create()).ToList();

        await Task.WhenAll(stores.Select(s => s.OpenAsync().AsTask()));
        await using var again = harness.Create();
        await again.OpenAsync(); // idempotent on an up-to-date schema

        Assert.That(await PostgresServer.ScalarAsync<long>($"SELECT count(*) FROM {harness.Schema}.schema_version"), Is.EqualTo(PostgreSqlSchema.LatestVersion));
    }

    [Test]
    public async Task DbaScript_Applied_ThenStoreStartsWithoutApplying()
    {
        await using var harness = new StoreHarness("duis");
        await PostgresServer.DropSchemaAsync("duis");
        await PostgresServer.ExecuteAsync(File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "sql", "duis-prioritiser-postgresql.sql")));
        var store = harness.Create(o => o.ApplySchemaOnStart = false);

        await store.OpenAsync();
        var outcomes = await StoreHarness.AppendAsync(store, ("1", Classification.PriorityLevel.Normal, "k"));

        Assert.That(outcomes[0], Is.EqualTo(AppendOutcome.Accepted));
    }

    [Test]
    public async Task Verify_NoSchema_SaysHowToApplyIt()
    {
        await using var harness = new StoreHarness();
        var store = harness.Create(o => o.ApplySchemaOnStart = false);

        var error = Assert.ThrowsAsync<InvalidOperationException>(async () => await store.OpenAsync());

        Assert.That(error!.Message, Does.Contain("duis-prioritiser-postgresql.sql"));
    }

    [Test]
    public async Task Apply_NewerSchemaInTheDatabase_Refuses()
    {
        await using var harness = new StoreHarness();
        await (await harness.OpenAsync()).DisposeAsync();
        await PostgresServer.ExecuteAsync($"INSERT INTO {harness.Schema}.schema_version (version) VALUES (999)");

        var error = Assert.ThrowsAsync<InvalidOperationException>(async () => await harness.Create().OpenAsync());

        Assert.That(error!.Message, Does.Contain("newer"));
    }
}
