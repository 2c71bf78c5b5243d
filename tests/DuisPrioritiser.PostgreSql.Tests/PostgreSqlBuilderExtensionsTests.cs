using DuisPrioritiser.PostgreSql.Internal;
using DuisPrioritiser.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DuisPrioritiser.PostgreSql.Tests;

[TestFixture]
[NonParallelizable]
public sealed class PostgreSqlBuilderExtensionsTests
{
    [Test]
    public async Task UsePostgreSql_ConnectionString_RegistersTheSharedStore_WithTheOptions()
    {
        var schema = PostgresServer.NewSchema();
        var services = new ServiceCollection();
        services.AddResponsePrioritisation().UsePostgreSql(PostgresServer.ConnectionString, o =>
        {
            o.Schema = schema;
            o.ClaimBatchSize = 7;
        });
        await using var provider = services.BuildServiceProvider();

        try
        {
            var store = provider.GetRequiredService<IBacklogStore>();
            await store.OpenAsync();

            Assert.Multiple(() =>
            {
                Assert.That(store, Is.InstanceOf<PostgreSqlBacklogStore>());
                Assert.That(store.Capabilities, Is.EqualTo(BacklogStoreCapabilities.Durable | BacklogStoreCapabilities.Shared));
                Assert.That(((PostgreSqlBacklogStore)store).Options.ClaimBatchSize, Is.EqualTo(7));
            });
        }
        finally
        {
            await PostgresServer.DropSchemaAsync(schema);
        }
    }

    [Test]
    public void UsePostgreSql_WithConsolidation_FailsOptionsValidation_AtStart()
    {
        // No server needed: validation refuses the combination before anything connects.
        var services = new ServiceCollection();
        services.AddResponsePrioritisation(o => o.Traffic.Consolidation.Levels.Add(Classification.PriorityLevel.Bulk))
            .UsePostgreSql("Host=localhost;Database=unused");
        using var provider = services.BuildServiceProvider();
        Assert.That(
            () => provider.GetRequiredService<IOptions<ResponsePrioritisationOptions>>().Value,
            Throws.InstanceOf<OptionsValidationException>().With.Message.Contains("does not support consolidation"));

        var without = new ServiceCollection();
        without.AddResponsePrioritisation().UsePostgreSql("Host=localhost;Database=unused");
        using var accepted = without.BuildServiceProvider();
        Assert.That(accepted.GetRequiredService<IOptions<ResponsePrioritisationOptions>>().Value.Traffic.Consolidation.IsEnabled, Is.False);
    }

    [Test]
    public async Task UsePostgreSql_DataSource_IsNotDisposedWithTheStore()
    {
        var schema = PostgresServer.NewSchema();
        await using var dataSource = PostgresServer.CreateDataSource();
        var services = new ServiceCollection();
        services.AddResponsePrioritisation().UsePostgreSql(dataSource, o => o.Schema = schema);
        await using (var provider = services.BuildServiceProvider())
        {
            await provider.GetRequiredService<IBacklogStore>().OpenAsync();
        }

        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo(1));
        }
        finally
        {
            await PostgresServer.DropSchemaAsync(schema);
        }
    }

    [Test]
    public void UsePostgreSql_InvalidOptions_FailWithWhatToFix()
    {
        var services = new ServiceCollection();
        services.AddResponsePrioritisation().UsePostgreSql("Host=127.0.0.1", o => o.Schema = "Not Valid");
        using var provider = services.BuildServiceProvider();

        Assert.That(() => provider.GetRequiredService<IOptions<PostgreSqlBacklogOptions>>().Value, Throws.InstanceOf<OptionsValidationException>());
    }

    [Test]
    public void UsePostgreSql_BadConnectionString_IsRejectedAtOnce()
    {
        var builder = new ServiceCollection().AddResponsePrioritisation();

        Assert.That(() => builder.UsePostgreSql("this is not=a;connection string"), Throws.ArgumentException);
        Assert.That(() => builder.UsePostgreSql(" "), Throws.ArgumentException);
    }
}
