using System.Text;
using DuisPrioritiser.Journal;
using DuisPrioritiser.Release;
using DuisPrioritiser.Tests.Journal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DuisPrioritiser.Tests.DependencyInjection;

public class ResponsePrioritisationJournalBuilderExtensionsTests
{
    [Test]
    public async Task UseFileJournal_ResolvesJournaledScheduler()
    {
        using var directory = new JournalTestDirectory();
        var services = new ServiceCollection();
        services.AddResponsePrioritisation().UseFileJournal(directory.Path, o => o.FlushPolicy = JournalFlushPolicy.EveryMessage);
        await using var provider = services.BuildServiceProvider();
        var scheduler = provider.GetRequiredService<ResponseReleaseScheduler>();
        Assert.That(scheduler.IsJournaled, Is.True);
        Assert.That(provider.GetRequiredService<IOptions<ResponsePrioritisationOptions>>().Value.Journal.FlushPolicy, Is.EqualTo(JournalFlushPolicy.EveryMessage));
        Assert.That(await scheduler.EnqueueWithResultAsync(TestMessages.Tagged(1)), Is.EqualTo(EnqueueResult.Accepted));
        Assert.That(directory.Segments, Is.Not.Empty);
    }

    [Test]
    public void UseFileJournal_BlankDirectory_Throws()
    {
        var builder = new ServiceCollection().AddResponsePrioritisation();
        Assert.Throws<ArgumentException>(() => builder.UseFileJournal(" "));
        Assert.Throws<ArgumentNullException>(() => builder.UseFileJournal(null!));
    }

    [Test]
    public async Task Configuration_BindsJournalAndDeduplication()
    {
        var json = """
            { "DuisPrioritiser": {
                "Journal": { "Directory": "/tmp/x", "FlushPolicy": "EveryMessage", "MaxBatchSize": 64, "MaxBatchDelay": "00:00:00.002", "CorruptionHandling": "SkipDamagedRecords" },
                "Deduplication": { "Enabled": false, "MaxCount": 5000, "MaxAge": "00:10:00" } } }
            """;
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        var services = new ServiceCollection();
        services.AddResponsePrioritisation(configuration.GetSection(ResponsePrioritisationOptions.SectionName));
        await using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<ResponsePrioritisationOptions>>().Value;
        Assert.That(
            (options.Journal.Directory, options.Journal.FlushPolicy, options.Journal.MaxBatchSize, options.Journal.MaxBatchDelay, options.Journal.CorruptionHandling),
            Is.EqualTo(("/tmp/x", JournalFlushPolicy.EveryMessage, 64, TimeSpan.FromMilliseconds(2), JournalCorruptionHandling.SkipDamagedRecords)));
        Assert.That((options.Deduplication.Enabled, options.Deduplication.MaxCount, options.Deduplication.MaxAge), Is.EqualTo((false, 5000, TimeSpan.FromMinutes(10))));
    }

    [TestCase(-1, 1, 60)]
    [TestCase(2000, 1, 60)]
    [TestCase(0, 0, 60)]
    [TestCase(0, 1, 0)]
    public void Validation_OutOfRangeDurabilityOptions_FailsNamingTheSetting(int delayMs, int batch, int maxAgeSeconds)
    {
        var options = new ResponsePrioritisationOptions();
        options.Journal.MaxBatchDelay = TimeSpan.FromMilliseconds(delayMs);
        options.Journal.MaxBatchSize = batch;
        options.Deduplication.MaxAge = TimeSpan.FromSeconds(maxAgeSeconds);
        var ex = Assert.Throws<ArgumentException>(() => _ = new ResponseReleaseScheduler(options));
        Assert.That(ex!.Message, Does.Contain("MaxBatchDelay").Or.Contain("MaxBatchSize").Or.Contain("MaxAge"));
    }

    [Test]
    public void ConfigureDeduplication_CanTurnItOff()
    {
        var services = new ServiceCollection();
        services.AddResponsePrioritisation().ConfigureDeduplication(o => o.Enabled = false);
        using var provider = services.BuildServiceProvider();
        var scheduler = provider.GetRequiredService<ResponseReleaseScheduler>();
        var message = TestMessages.Tagged(1);
        scheduler.TryEnqueue(message);
        scheduler.TryEnqueue(TestMessages.Tagged(1));
        Assert.That(scheduler.Count, Is.EqualTo(2));
    }
}
