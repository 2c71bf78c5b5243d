using System.Collections.Concurrent;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.PostgreSql.Internal;
using DuisPrioritiser.Release;

namespace DuisPrioritiser.PostgreSql.Tests;

/// <summary>The real scheduler over the real PostgreSQL store, through the core's remote-store bridge.</summary>
public class SchedulerOverPostgreSqlTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Test]
    public async Task TwoSchedulers_SharingOneStore_ReleaseEveryMessageExactlyOnce_AndTheExactBytes()
    {
        await using var harness = new StoreHarness();
        await using var a = Create(harness.Create());
        await using var b = Create(harness.Create());

        var texts = Enumerable.Range(1, 120).Select(i => $"<m n=\"{i}\" level=\"{i % 5}\"/>").ToArray();
        var results = await Task.WhenAll(texts.Select((t, i) => (i % 2 == 0 ? a : b).EnqueueWithResultAsync(At(t, (PriorityLevel)(i % 5))).AsTask()));
        Assert.That(results, Is.All.EqualTo(EnqueueResult.Accepted));

        // A redelivery through the other scheduler is caught by the store's unique key.
        Assert.That(await b.EnqueueWithResultAsync(At(texts[0], PriorityLevel.Critical)), Is.EqualTo(EnqueueResult.AcceptedDuplicate));

        var seen = new ConcurrentBag<string>();
        await Task.WhenAll(DrainAsync(a, seen, texts.Length), DrainAsync(b, seen, texts.Length));
        Assert.That(seen.Order(StringComparer.Ordinal), Is.EqualTo(texts.Order(StringComparer.Ordinal)));
        Assert.That(await PostgresServer.ScalarAsync<long>($"select count(*) from {harness.Schema}.backlog"), Is.Zero);
    }

    [Test]
    public async Task CriticalWork_AppendedThroughAnotherScheduler_IsReleasedBeforeBulkThisOneHasClaimed()
    {
        await using var harness = new StoreHarness();
        await using var a = Create(harness.Create());
        await using var b = Create(harness.Create());
        for (int i = 0; i < 10; i++)
        {
            await a.EnqueueWithResultAsync(At($"<bulk n=\"{i}\"/>", PriorityLevel.Bulk));
        }

        // b claims a batch of Bulk and releases one.
        using var timeout = new CancellationTokenSource(s_timeout);
        var bulk = await b.DequeueAsync(timeout.Token);
        Assert.That(bulk.Level, Is.EqualTo(PriorityLevel.Bulk));
        await b.AcknowledgeAsync(bulk);

        // Critical work arrives through a. Once the store's global view shows it (it may lag by the store's refresh
        // interval), b's policy prefers it over the Bulk messages b already holds claimed.
        await a.EnqueueWithResultAsync(At("<critical/>", PriorityLevel.Critical));
        while (b.GetSnapshot().Levels[(int)PriorityLevel.Critical].Count == 0)
        {
            await Task.Delay(20, timeout.Token);
        }

        var next = await b.DequeueAsync(timeout.Token);
        Assert.That((next.Level, Text(next)), Is.EqualTo((PriorityLevel.Critical, "<critical/>")));
        await b.AcknowledgeAsync(next);
    }

    [Test]
    public async Task Returned_GoesBackToPostgreSql_AndIsReleasedAgainWithOneMoreAttempt()
    {
        await using var harness = new StoreHarness();
        await using var scheduler = Create(harness.Create());
        await scheduler.EnqueueWithResultAsync(At("<once/>", PriorityLevel.High));

        using var timeout = new CancellationTokenSource(s_timeout);
        var first = await scheduler.DequeueAsync(timeout.Token);
        Assert.That(first.Attempts, Is.Zero);
        await scheduler.AcknowledgeAsync(first, ReleaseOutcome.Returned);

        var again = await scheduler.DequeueAsync(timeout.Token);
        Assert.That((Text(again), again.Attempts, again.Level), Is.EqualTo(("<once/>", 1, PriorityLevel.High)));
        await scheduler.AcknowledgeAsync(again);
    }

    private static ResponseReleaseScheduler Create(PostgreSqlBacklogStore store)
        => new(new ResponsePrioritisationOptions { Capacity = 100_000 }, new LevelOfTestMessage(), backlogStore: store);

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<DuisMessage, object> s_levels = new();

    /// <summary>A message with exact bytes and the level the test wants (read back at intake by <see cref="LevelOfTestMessage"/>).</summary>
    private static DuisMessage At(string text, PriorityLevel level)
    {
        var message = StoreHarness.Message(text);
        s_levels.AddOrUpdate(message, level);
        return message;
    }

    private static string Text(ReleasedMessage message) => System.Text.Encoding.UTF8.GetString(message.Message.RawMessage.Span);

    private static async Task DrainAsync(ResponseReleaseScheduler scheduler, ConcurrentBag<string> seen, int total)
    {
        using var stop = new CancellationTokenSource(s_timeout);
        while (seen.Count < total && !stop.IsCancellationRequested)
        {
            if (scheduler.TryDequeue(out var message))
            {
                seen.Add(Text(message));
                await scheduler.AcknowledgeAsync(message);
                continue;
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
            wait.CancelAfter(TimeSpan.FromMilliseconds(250));
            try
            {
                await scheduler.WaitToReadAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private sealed class LevelOfTestMessage : IPriorityClassifier
    {
        public bool TryClassify(DuisMessage message, out PriorityLevel level)
        {
            bool known = s_levels.TryGetValue(message, out var value);
            level = known ? (PriorityLevel)value! : PriorityLevel.Normal;
            return known;
        }
    }
}
