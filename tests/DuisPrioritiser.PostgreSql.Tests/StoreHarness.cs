using System.Text;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.PostgreSql.Internal;
using DuisPrioritiser.Storage;

namespace DuisPrioritiser.PostgreSql.Tests;

/// <summary>Stores in one throw-away schema, messages with recognisable bytes, and helpers that append and claim.</summary>
internal sealed class StoreHarness : IAsyncDisposable
{
    private readonly List<PostgreSqlBacklogStore> _stores = [];

    public StoreHarness(string? schema = null)
    {
        Schema = schema ?? PostgresServer.NewSchema();
        _ = PostgresServer.ConnectionString; // ignore or fail before anything else when no server is configured
    }

    public string Schema { get; }

    public static DuisMessage Message(string text, string? responseId = null)
        => new(DuisMessageKind.Response, Encoding.UTF8.GetBytes(text))
        {
            ServiceReferenceVariant = ServiceReferenceVariant.Create(4, 1, 1),
            ResponseCode = DuisCode.Parse("I0"),
            ResponseId = responseId ?? text,
            RequestId = "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1000",
        };

    public static string Text(StoredMessage message) => Encoding.UTF8.GetString(message.Message.RawMessage.Span);

    public PostgreSqlBacklogStore Create(Action<PostgreSqlBacklogOptions>? configure = null, TimeSpan? retention = null, string? connectionString = null)
    {
        var options = new PostgreSqlBacklogOptions { Schema = Schema, PollInterval = TimeSpan.FromMilliseconds(200) };
        configure?.Invoke(options);
        var store = new PostgreSqlBacklogStore(PostgresServer.CreateDataSource(connectionString), ownsDataSource: true, options, retention ?? TimeSpan.FromHours(1));
        _stores.Add(store);
        return store;
    }

    public async Task<PostgreSqlBacklogStore> OpenAsync(Action<PostgreSqlBacklogOptions>? configure = null, TimeSpan? retention = null)
    {
        var store = Create(configure, retention);
        await store.OpenAsync();
        return store;
    }

    public static async Task<AppendOutcome[]> AppendAsync(IBacklogStore store, params (string Text, PriorityLevel Level, string? Key)[] items)
    {
        var batch = items.Select(i => new BacklogAppend(Message(i.Text), i.Level, DateTimeOffset.UnixEpoch.AddDays(20_000), i.Key)).ToArray();
        var outcomes = new AppendOutcome[batch.Length];
        await store.AppendAsync(batch, outcomes);
        return outcomes;
    }

    public static async Task<StoredMessage[]> ClaimAsync(IBacklogStore store, PriorityLevel level, int max = 100)
    {
        var buffer = new StoredMessage[max];
        int count = await store.ClaimAsync(level, buffer);
        return buffer[..count];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        await PostgresServer.DropSchemaAsync(Schema);
    }
}
