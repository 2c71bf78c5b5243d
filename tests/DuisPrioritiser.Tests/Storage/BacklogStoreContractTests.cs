using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Journal;
using DuisPrioritiser.Release;
using DuisPrioritiser.Storage;
using DuisPrioritiser.Storage.Internal;
using DuisPrioritiser.Tests.Journal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace DuisPrioritiser.Tests.Storage;

/// <summary>The <see cref="IBacklogStore"/> contract, run against every store: memory, the file journal, and the shared test store.</summary>
public abstract class BacklogStoreContractTests
{
    private IBacklogStore? _store;

    protected IBacklogStore Store => _store!;

    /// <summary>Gets a value indicating whether the store survives <see cref="ReopenAsync"/>.</summary>
    protected abstract bool IsDurable { get; }

    [SetUp]
    public async Task SetUpStore()
    {
        _store = CreateStore();
        await _store.OpenAsync();
    }

    [TearDown]
    public async Task TearDownStore()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        CleanUp();
    }

    [Test]
    public async Task Append_ThenClaim_ReturnsEachLevelInAppendOrder()
    {
        var outcomes = await AppendAsync(Item(1, PriorityLevel.Normal), Item(2, PriorityLevel.Critical), Item(3, PriorityLevel.Normal), Item(4, PriorityLevel.Normal));
        Assert.That(outcomes, Is.All.EqualTo(AppendOutcome.Accepted));

        Assert.That(Tags(await ClaimAsync(PriorityLevel.Normal, 10)), Is.EqualTo(new[] { "1", "3", "4" }));
        Assert.That(Tags(await ClaimAsync(PriorityLevel.Critical, 10)), Is.EqualTo(new[] { "2" }));
        Assert.That(await ClaimAsync(PriorityLevel.Low, 10), Is.Empty);
    }

    [Test]
    public async Task Claim_IsBoundedByTheDestination_AndAClaimedMessageIsNotClaimedAgain()
    {
        await AppendAsync(Enumerable.Range(1, 5).Select(i => Item(i, PriorityLevel.High)).ToArray());

        Assert.That(Tags(await ClaimAsync(PriorityLevel.High, 2)), Is.EqualTo(new[] { "1", "2" }));
        Assert.That(Tags(await ClaimAsync(PriorityLevel.High, 2)), Is.EqualTo(new[] { "3", "4" }));
        Assert.That(Tags(await ClaimAsync(PriorityLevel.High, 2)), Is.EqualTo(new[] { "5" }));
    }

    [Test]
    public async Task GetLevelState_CountsUnclaimedMessagesAndGivesTheOldest()
    {
        var start = DateTimeOffset.UtcNow;
        await AppendAsync(Item(1, PriorityLevel.Low, start.AddSeconds(-60)), Item(2, PriorityLevel.Low, start.AddSeconds(-30)));

        var state = Store.GetLevelState(PriorityLevel.Low);
        Assert.That(state.Depth, Is.EqualTo(2));
        Assert.That(state.OldestEnqueuedAt!.Value, Is.EqualTo(start.AddSeconds(-60)).Within(TimeSpan.FromSeconds(1)));
        Assert.That(Store.GetLevelState(PriorityLevel.Bulk), Is.EqualTo(new BacklogLevelState(0, null)));

        await ClaimAsync(PriorityLevel.Low, 1);
        Assert.That(Store.GetLevelState(PriorityLevel.Low).Depth, Is.EqualTo(1));
    }

    [Test]
    public async Task Acknowledge_HandledAndDeadLettered_RemoveTheMessage()
    {
        await AppendAsync(Item(1, PriorityLevel.Normal), Item(2, PriorityLevel.Normal), Item(3, PriorityLevel.Normal));
        var claimed = await ClaimAsync(PriorityLevel.Normal, 2);
        await Store.AcknowledgeAsync(new[]
        {
            new BacklogAcknowledgement(claimed[0].Id, ReleaseOutcome.Handled),
            new BacklogAcknowledgement(claimed[1].Id, ReleaseOutcome.DeadLettered, "poison"),
        });

        Assert.That(Store.GetLevelState(PriorityLevel.Normal).Depth, Is.EqualTo(1));
        Assert.That(Tags(await ClaimAsync(PriorityLevel.Normal, 10)), Is.EqualTo(new[] { "3" }));
    }

    [Test]
    public async Task Acknowledge_Returned_PutsMessagesBackAtTheFrontOfTheirLevelInOriginalOrderWithOneMoreAttempt()
    {
        await AppendAsync(Enumerable.Range(1, 5).Select(i => Item(i, PriorityLevel.Normal)).ToArray());
        var claimed = await ClaimAsync(PriorityLevel.Normal, 3);

        // Returned out of order: they still come back in their original order, ahead of 4 and 5.
        await Store.AcknowledgeAsync(new[]
        {
            new BacklogAcknowledgement(claimed[2].Id, ReleaseOutcome.Returned, "back-end down"),
            new BacklogAcknowledgement(claimed[0].Id, ReleaseOutcome.Returned, "back-end down"),
        });
        await Store.AcknowledgeAsync(new[] { new BacklogAcknowledgement(claimed[1].Id, ReleaseOutcome.Handled) });

        Assert.That(Store.GetLevelState(PriorityLevel.Normal).Depth, Is.EqualTo(4), "returned messages count in the level's depth");
        var again = await ClaimAsync(PriorityLevel.Normal, 10);
        Assert.That(Tags(again), Is.EqualTo(new[] { "1", "3", "4", "5" }));
        Assert.That(again.Select(m => m.Attempts), Is.EqualTo(new[] { 1, 1, 0, 0 }));
    }

    [Test]
    public async Task Acknowledge_OfAnIdNotClaimed_IsIgnored()
    {
        await AppendAsync(Item(1, PriorityLevel.Normal));
        await Store.AcknowledgeAsync(new[] { new BacklogAcknowledgement(987_654, ReleaseOutcome.Handled) });
        Assert.That(Store.GetLevelState(PriorityLevel.Normal).Depth, Is.EqualTo(1));
    }

    [Test]
    public void Append_WithTooFewOutcomeSlots_Throws()
    {
        var batch = new[] { Item(1, PriorityLevel.Normal), Item(2, PriorityLevel.Normal) };
        Assert.ThrowsAsync<ArgumentException>(async () => await Store.AppendAsync(batch, new AppendOutcome[1]));
    }

    [Test]
    public async Task Reopen_RecoversUnacknowledgedAndReturnedMessagesInOrder()
    {
        if (!IsDurable)
        {
            Assert.Ignore("Not a durable store.");
        }

        await AppendAsync(Enumerable.Range(1, 4).Select(i => Item(i, PriorityLevel.High)).ToArray());
        var claimed = await ClaimAsync(PriorityLevel.High, 3);
        await Store.AcknowledgeAsync(new[]
        {
            new BacklogAcknowledgement(claimed[1].Id, ReleaseOutcome.Handled),
            new BacklogAcknowledgement(claimed[0].Id, ReleaseOutcome.Returned),
        });

        _store = await ReopenAsync(Store);
        Assert.That(Tags(await ClaimAsync(PriorityLevel.High, 10)), Is.EqualTo(new[] { "1", "3", "4" }), "claimed-but-unacknowledged 3 is claimable again after a restart");
    }

    protected static BacklogAppend Item(int tag, PriorityLevel level, DateTimeOffset? at = null)
        => new(TestMessages.Tagged(tag), level, at ?? DateTimeOffset.UtcNow, "key-" + tag);

    protected abstract IBacklogStore CreateStore();

    /// <summary>Closes <paramref name="store"/> and opens the same backing storage again.</summary>
    protected virtual ValueTask<IBacklogStore> ReopenAsync(IBacklogStore store) => throw new NotSupportedException();

    protected virtual void CleanUp()
    {
    }

    private static string?[] Tags(StoredMessage[] messages) => messages.Select(m => m.Message.RequestId).ToArray();

    private async Task<AppendOutcome[]> AppendAsync(params BacklogAppend[] items)
    {
        var outcomes = new AppendOutcome[items.Length];
        await Store.AppendAsync(items, outcomes);
        return outcomes;
    }

    private async Task<StoredMessage[]> ClaimAsync(PriorityLevel level, int max)
    {
        var destination = new StoredMessage[max];
        int count = await Store.ClaimAsync(level, destination);
        return destination[..count];
    }
}

[TestFixture]
public sealed class MemoryBacklogStoreContractTests : BacklogStoreContractTests
{
    protected override bool IsDurable => false;

    protected override IBacklogStore CreateStore() => new MemoryBacklogStore(TimeProvider.System);
}

[TestFixture]
public sealed class FileJournalBacklogStoreContractTests : BacklogStoreContractTests
{
    private readonly JournalTestDirectory _directory = new();

    protected override bool IsDurable => true;

    protected override IBacklogStore CreateStore()
        => new FileJournalBacklogStore(new JournalOptions { Directory = _directory.Path }, TimeProvider.System, NullLogger.Instance);

    protected override async ValueTask<IBacklogStore> ReopenAsync(IBacklogStore store)
    {
        await store.DisposeAsync();
        var reopened = CreateStore();
        await reopened.OpenAsync();
        return reopened;
    }

    protected override void CleanUp() => _directory.Dispose();
}

[TestFixture]
public sealed class SharedTestBacklogStoreContractTests : BacklogStoreContractTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    protected override bool IsDurable => true;

    protected override IBacklogStore CreateStore() => new SharedTestBacklogStore(_time, TimeSpan.FromSeconds(30));

    protected override async ValueTask<IBacklogStore> ReopenAsync(IBacklogStore store)
    {
        // A restart of the scheduler: the shared store keeps its rows, and the dead process's leases expire.
        _time.Advance(TimeSpan.FromSeconds(31));
        await store.OpenAsync();
        return store;
    }
}
