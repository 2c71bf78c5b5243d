using DuisPrioritiser.Classification;
using DuisPrioritiser.Release;
using DuisPrioritiser.Storage;

namespace DuisPrioritiser.PostgreSql.Tests;

[TestFixture]
[NonParallelizable]
public sealed class PostgreSqlBacklogStoreTests
{
    [Test]
    public async Task Claim_TakesOneLevelInAppendOrder_AndLeavesTheOthers()
    {
        await using var harness = new StoreHarness();
        var store = await harness.OpenAsync();
        await StoreHarness.AppendAsync(store, ("b1", PriorityLevel.Bulk, null), ("c1", PriorityLevel.Critical, null), ("b2", PriorityLevel.Bulk, null), ("c2", PriorityLevel.Critical, null));

        var critical = await StoreHarness.ClaimAsync(store, PriorityLevel.Critical);
        var bulk = await StoreHarness.ClaimAsync(store, PriorityLevel.Bulk, max: 1);

        Assert.Multiple(() =>
        {
            Assert.That(critical.Select(StoreHarness.Text), Is.EqualTo(new[] { "c1", "c2" }));
            Assert.That(critical.All(m => m.Level == PriorityLevel.Critical && m.Attempts == 0), Is.True);
            Assert.That(bulk.Select(StoreHarness.Text), Is.EqualTo(new[] { "b1" }));
            Assert.That(critical[0].Id, Is.LessThan(critical[1].Id));
        });
    }

    [Test]
    public async Task Claim_RebuildsTheEnvelopeAndExactBytes()
    {
        await using var harness = new StoreHarness();
        var store = await harness.OpenAsync();
        var original = StoreHarness.Message("<xml>bytes</xml>", responseId: "resp-1");
        var enqueuedAt = new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
        await store.AppendAsync(new[] { new BacklogAppend(original, PriorityLevel.High, enqueuedAt, "k") }, new AppendOutcome[1]);

        var claimed = (await StoreHarness.ClaimAsync(store, PriorityLevel.High)).Single();

        Assert.Multiple(() =>
        {
            Assert.That(claimed.Message.RawMessage.ToArray(), Is.EqualTo(original.RawMessage.ToArray()));
            Assert.That(claimed.Message.ServiceReferenceVariant, Is.EqualTo(original.ServiceReferenceVariant));
            Assert.That(claimed.Message.ResponseCode, Is.EqualTo(original.ResponseCode));
            Assert.That(claimed.Message.ResponseId, Is.EqualTo("resp-1"));
            Assert.That(claimed.Message.RequestId, Is.EqualTo(original.RequestId));
            Assert.That(claimed.EnqueuedAt, Is.EqualTo(enqueuedAt));
        });
    }

    [Test]
    public async Task Append_SameKeyInOneBatch_SecondIsDuplicate()
    {
        await using var harness = new StoreHarness();
        var store = await harness.OpenAsync();

        var outcomes = await StoreHarness.AppendAsync(store, ("a", PriorityLevel.Normal, "key-1"), ("a again", PriorityLevel.Normal, "key-1"), ("no key", PriorityLevel.Normal, null));

        Assert.That(outcomes, Is.EqualTo(new[] { AppendOutcome.Accepted, AppendOutcome.Duplicate, AppendOutcome.Accepted }));
        Assert.That((await StoreHarness.ClaimAsync(store, PriorityLevel.Normal)).Select(StoreHarness.Text), Is.EqualTo(new[] { "a", "no key" }));
    }

    [Test]
    public async Task Append_SameKeyFromAnotherInstance_IsDuplicate_UntilTheRetentionEnds()
    {
        await using var harness = new StoreHarness();
        var first = await harness.OpenAsync();
        var second = await harness.OpenAsync();

        var a = await StoreHarness.AppendAsync(first, ("a", PriorityLevel.Normal, "dcc-redelivery"));
        var b = await StoreHarness.AppendAsync(second, ("a redelivered", PriorityLevel.Normal, "dcc-redelivery"));

        // The retention window ends (moved into the past here, rather than waiting an hour of real time).
        await PostgresServer.ExecuteAsync($"UPDATE {harness.Schema}.dedup SET expires_at = now() - interval '1 second'");
        var c = await StoreHarness.AppendAsync(second, ("a after retention", PriorityLevel.Normal, "dcc-redelivery"));

        Assert.That(new[] { a[0], b[0], c[0] }, Is.EqualTo(new[] { AppendOutcome.Accepted, AppendOutcome.Duplicate, AppendOutcome.Accepted }));
    }

    [Test]
    public async Task Append_ConcurrentCallers_AreGroupCommitted_AndNothingIsLost()
    {
        await using var harness = new StoreHarness();
        var store = await harness.OpenAsync();
        const int Callers = 32, PerCaller = 50;

        await Task.WhenAll(Enumerable.Range(0, Callers).Select(c => Task.Run(async () =>
        {
            for (int i = 0; i < PerCaller; i++)
            {
                var outcome = await StoreHarness.AppendAsync(store, ($"{c}:{i}", (PriorityLevel)(i % 5), $"{c}:{i}"));
                Assert.That(outcome[0], Is.EqualTo(AppendOutcome.Accepted));
            }
        })));

        var transactions = await PostgresServer.ScalarAsync<long>($"SELECT count(*) FROM {harness.Schema}.backlog");
        var claimed = new List<string>();
        for (int level = 0; level < 5; level++)
        {
            StoredMessage[] batch;
            while ((batch = await StoreHarness.ClaimAsync(store, (PriorityLevel)level)).Length > 0)
            {
                claimed.AddRange(batch.Select(StoreHarness.Text));
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(transactions, Is.EqualTo(Callers * PerCaller));
            Assert.That(claimed, Is.EquivalentTo(Enumerable.Range(0, Callers).SelectMany(c => Enumerable.Range(0, PerCaller).Select(i => $"{c}:{i}"))));
        });
    }

    [Test]
    public async Task Acknowledge_Handled_Deletes_DeadLettered_KeepsBytesAndReason_Returned_GoesBackFirst()
    {
        await using var harness = new StoreHarness();
        var store = await harness.OpenAsync();
        await StoreHarness.AppendAsync(store, ("h", PriorityLevel.Low, null), ("d", PriorityLevel.Low, null), ("r", PriorityLevel.Low, null), ("later", PriorityLevel.Low, null));
        var claimed = await StoreHarness.ClaimAsync(store, PriorityLevel.Low, max: 3);

        await store.AcknowledgeAsync(new[]
        {
            new BacklogAcknowledgement(claimed[0].Id, ReleaseOutcome.Handled),
            new BacklogAcknowledgement(claimed[1].Id, ReleaseOutcome.DeadLettered, "retries-exhausted"),
            new BacklogAcknowledgement(claimed[2].Id, ReleaseOutcome.Returned, "back-end down"),
        });

        var next = await StoreHarness.ClaimAsync(store, PriorityLevel.Low);
        var deadLetter = await PostgresServer.ScalarAsync<string>($"SELECT convert_from(payload, 'UTF8') || '|' || reason FROM {harness.Schema}.dead_letter");
        Assert.Multiple(() =>
        {
            Assert.That(next.Select(StoreHarness.Text), Is.EqualTo(new[] { "r", "later" }), "the returned message comes back before later ones, in its original place");
            Assert.That(next[0].Attempts, Is.EqualTo(1));
            Assert.That(deadLetter, Is.EqualTo("d|retries-exhausted"));
        });
    }

    [Test]
    public async Task ExpiredLease_IsClaimedByAnotherInstance_InOriginalOrder_AndTheLateAckIsIgnored()
    {
        await using var harness = new StoreHarness();
        var dead = await harness.OpenAsync();
        var alive = await harness.OpenAsync();
        await StoreHarness.AppendAsync(dead, ("1", PriorityLevel.Normal, null), ("2", PriorityLevel.Normal, null), ("3", PriorityLevel.Normal, null));
        var claimedByDead = await StoreHarness.ClaimAsync(dead, PriorityLevel.Normal, max: 2);
        Assert.That(await StoreHarness.ClaimAsync(alive, PriorityLevel.Normal), Has.Length.EqualTo(1), "a leased message is not claimable");

        // The first instance stops renewing: its leases run out (moved into the past rather than waiting).
        await PostgresServer.ExecuteAsync($"UPDATE {harness.Schema}.backlog SET lease_until = now() - interval '1 second' WHERE lease_owner = '{dead.Owner}'");
        Assert.That(await alive.ReapExpiredLeasesAsync(CancellationToken.None), Is.EqualTo(2));
        var reclaimed = await StoreHarness.ClaimAsync(alive, PriorityLevel.Normal);
        Assert.That(await dead.RenewLeasesAsync(claimedByDead.Select(m => m.Id).ToArray()), Is.Zero, "a lost lease is not renewed");
        await dead.AcknowledgeAsync(claimedByDead.Select(m => new BacklogAcknowledgement(m.Id, ReleaseOutcome.Handled)).ToArray());

        Assert.Multiple(async () =>
        {
            Assert.That(reclaimed.Select(StoreHarness.Text), Is.EqualTo(new[] { "1", "2" }));
            Assert.That(await PostgresServer.ScalarAsync<long>($"SELECT count(*) FROM {harness.Schema}.backlog"), Is.EqualTo(3), "the dead instance's late acknowledgement removed nothing");
        });
    }

    [Test]
    public async Task RenewLeases_ExtendsOnlyThisInstancesLeases()
    {
        await using var harness = new StoreHarness();
        var store = await harness.OpenAsync(o => o.LeaseTime = TimeSpan.FromSeconds(3));
        await StoreHarness.AppendAsync(store, ("1", PriorityLevel.Normal, null));
        var claimed = await StoreHarness.ClaimAsync(store, PriorityLevel.Normal);
        var before = await PostgresServer.ScalarAsync<DateTime>($"SELECT lease_until FROM {harness.Schema}.backlog");

        await PostgresServer.ExecuteAsync("SELECT pg_sleep(0.05)");
        int renewed = await store.RenewLeasesAsync(new[] { claimed[0].Id, 999_999L });
        var after = await PostgresServer.ScalarAsync<DateTime>($"SELECT lease_until FROM {harness.Schema}.backlog");

        Assert.Multiple(() =>
        {
            Assert.That(renewed, Is.EqualTo(1));
            Assert.That(after, Is.GreaterThan(before));
        });
    }

    [Test]
    public async Task LevelState_IsGlobal_FromTheCountersAndTheReadyIndex()
    {
        await using var harness = new StoreHarness();
        var a = await harness.OpenAsync();
        var b = await harness.OpenAsync();
        await StoreHarness.AppendAsync(a, ("1", PriorityLevel.High, null), ("2", PriorityLevel.High, null));
        await StoreHarness.AppendAsync(b, ("3", PriorityLevel.High, null), ("4", PriorityLevel.Bulk, null));
        await StoreHarness.ClaimAsync(b, PriorityLevel.High, max: 1);

        await a.RefreshViewAsync(CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(a.GetLevelState(PriorityLevel.High).Depth, Is.EqualTo(2));
            Assert.That(a.GetLevelState(PriorityLevel.High).OldestEnqueuedAt, Is.Not.Null);
            Assert.That(a.GetLevelState(PriorityLevel.Bulk).Depth, Is.EqualTo(1));
            Assert.That(a.GetLevelState(PriorityLevel.Critical), Is.EqualTo(new BacklogLevelState(0, null)));
            Assert.That(a.HeldCount, Is.EqualTo(4));
            Assert.That(a.GetReleasedCount(PriorityLevel.High), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task BacklogChanged_IsRaisedByNotify_WhenAnotherInstanceAppends()
    {
        await using var harness = new StoreHarness();
        var writer = await harness.OpenAsync();
        var reader = await harness.OpenAsync(o => o.PollInterval = TimeSpan.FromMinutes(5)); // no polling within the test
        await Task.Delay(300); // let the reader's listener connect and its first wake-up pass
        var raised = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        reader.BacklogChanged += (_, _) => raised.TrySetResult();

        await StoreHarness.AppendAsync(writer, ("1", PriorityLevel.Critical, null));

        Assert.That(await Task.WhenAny(raised.Task, Task.Delay(TimeSpan.FromSeconds(10))), Is.SameAs(raised.Task));
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (reader.GetLevelState(PriorityLevel.Critical).Depth == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.That(reader.GetLevelState(PriorityLevel.Critical).Depth, Is.EqualTo(1), "the notification refreshed the view");
    }

    [Test]
    public async Task EmptyClaim_AfterAnotherInstanceTookTheLevel_ClearsTheLevelAtOnce_WithoutWaitingForThePoll()
    {
        // Found by the storm simulator on three instances: another instance's claims send no notification, so a view
        // that still shows the level ready kept the policy choosing it (claims coming back empty) until the next poll.
        await using var harness = new StoreHarness();
        var a = await harness.OpenAsync();
        var b = await harness.OpenAsync(o => o.PollInterval = TimeSpan.FromMinutes(5)); // no polling within the test
        await Task.Delay(300); // let b's listener connect
        await StoreHarness.AppendAsync(a, ("1", PriorityLevel.Critical, null));
        var shown = DateTime.UtcNow.AddSeconds(5);
        while (b.GetLevelState(PriorityLevel.Critical).Depth == 0 && DateTime.UtcNow < shown)
        {
            await Task.Delay(20); // the append's notification refreshes b's view
        }

        Assert.That(b.GetLevelState(PriorityLevel.Critical).Depth, Is.EqualTo(1));
        await Task.Delay(300); // nothing of the append left to refresh b's view
        Assert.That(await StoreHarness.ClaimAsync(a, PriorityLevel.Critical), Has.Length.EqualTo(1));
        await Task.Delay(300); // the view does not change by itself (no notification for a claim, no poll)
        Assert.That(b.GetLevelState(PriorityLevel.Critical).Depth, Is.EqualTo(1), "stale until something refreshes it");

        Assert.That(await StoreHarness.ClaimAsync(b, PriorityLevel.Critical), Is.Empty);
        Assert.That(b.GetLevelState(PriorityLevel.Critical).Depth, Is.Zero, "the empty claim cleared the level at once, before any refresh");

        await Task.Delay(300); // the refresh that follows agrees
        Assert.That(b.GetLevelState(PriorityLevel.Critical).Depth, Is.Zero);
    }

    [Test]
    public async Task ConcurrentClaimers_OnTwoInstances_EachMessageIsClaimedOnce()
    {
        await using var harness = new StoreHarness();
        var a = await harness.OpenAsync();
        var b = await harness.OpenAsync();
        const int Count = 2_000;
        for (int i = 0; i < Count; i += 500)
        {
            await StoreHarness.AppendAsync(a, Enumerable.Range(i, 500).Select(n => (n.ToString("D5", System.Globalization.CultureInfo.InvariantCulture), PriorityLevel.Normal, (string?)null)).ToArray());
        }

        async Task<List<string>> DrainAsync(IBacklogStore store)
        {
            var seen = new List<string>();
            StoredMessage[] batch;
            while ((batch = await StoreHarness.ClaimAsync(store, PriorityLevel.Normal, max: 16)).Length > 0)
            {
                seen.AddRange(batch.Select(StoreHarness.Text));
                Assert.That(batch.Select(StoreHarness.Text), Is.Ordered, "a claim is in order");
                await store.AcknowledgeAsync(batch.Select(m => new BacklogAcknowledgement(m.Id, ReleaseOutcome.Handled)).ToArray());
            }

            return seen;
        }

        var results = await Task.WhenAll(DrainAsync(a), DrainAsync(b), DrainAsync(a), DrainAsync(b));
        var all = results.SelectMany(r => r).ToList();

        Assert.Multiple(async () =>
        {
            Assert.That(all, Has.Count.EqualTo(Count));
            Assert.That(all.Distinct().Count(), Is.EqualTo(Count));
            Assert.That(await PostgresServer.ScalarAsync<long>($"SELECT count(*) FROM {harness.Schema}.backlog"), Is.Zero);
            Assert.That(await PostgresServer.ScalarAsync<decimal>($"SELECT coalesce(sum(held), 0) FROM {harness.Schema}.level_stats"), Is.Zero, "the counters match the table");
        });
    }

    [Test]
    public async Task Open_ServerNotReachable_ThrowsUnavailable()
    {
        await using var harness = new StoreHarness();
        var store = harness.Create(connectionString: "Host=127.0.0.1;Port=1;Username=postgres;Database=duis_test;Timeout=2");

        var error = Assert.ThrowsAsync<BacklogStoreUnavailableException>(async () => await store.OpenAsync());

        Assert.That(error!.RetryAfter, Is.Not.Null);
    }

    [Test]
    public void Options_Invalid_AreRejectedWithWhatToFix()
    {
        var options = new PostgreSqlBacklogOptions { Schema = "Bad-Name", TablePrefix = "x y", LeaseTime = TimeSpan.FromSeconds(1), ClaimBatchSize = 0, PollInterval = TimeSpan.Zero, MaxGroupCommitSize = 0 };

        var errors = options.Validate();

        Assert.That(errors, Has.Count.EqualTo(6));
        Assert.That(() => options.ValidatedCopy(), Throws.ArgumentException.With.Message.Contains("LeaseTime"));
    }
}
