using System.Text;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static DuisPrioritiser.Tests.Duis.DuisCorpus;

namespace DuisPrioritiser.Tests.Classification;

/// <summary>Overrides bound from appsettings.json, and the order of the classifier chain.</summary>
public class PriorityOverrideOptionsTests
{
    // The shape documented in docs/duis-reader.md.
    private const string AppSettings = """
        {
          "DuisPrioritiser": {
            "DefaultLevel": "Low",
            "Reader": { "MaxMessageBytes": 1048576 },
            "Overrides": {
              "ServiceReferenceVariants": { "8.1.1": "Bulk", "4.6.*": "Critical", "11.*": "High" },
              "AlertCodes": { "8f35": "Normal", "N24": "High" },
              "DccAlertPayloads": { "PowerOutageEvent": "Critical" }
            }
          }
        }
        """;

    private static IConfiguration Configuration(string json)
        => new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();

    private static ServiceProvider Provider(string json, Action<IResponsePrioritisationBuilder>? configure = null)
    {
        var services = new ServiceCollection();
        var builder = services.AddResponsePrioritisation(Configuration(json).GetSection(ResponsePrioritisationOptions.SectionName));
        configure?.Invoke(builder);
        return services.BuildServiceProvider();
    }

    private static PriorityLevel Level(IResponseReleaseScheduler scheduler, string xml)
    {
        var result = scheduler.TryEnqueue(Utf8(xml));
        Assert.That(result.Status, Is.EqualTo(IntakeStatus.Accepted), result.ToString());
        return result.Level!.Value;
    }

    [Test]
    public async Task Bind_AppSettingsJson_FillsEveryOverrideDictionary()
    {
        await using var provider = Provider(AppSettings);
        var options = provider.GetRequiredService<IOptions<ResponsePrioritisationOptions>>().Value;
        Assert.Multiple(() =>
        {
            Assert.That(options.DefaultLevel, Is.EqualTo(PriorityLevel.Low));
            Assert.That(options.Reader.MaxMessageBytes, Is.EqualTo(1_048_576));
            Assert.That(options.Overrides.ServiceReferenceVariants, Is.EquivalentTo(new Dictionary<string, PriorityLevel> { ["8.1.1"] = PriorityLevel.Bulk, ["4.6.*"] = PriorityLevel.Critical, ["11.*"] = PriorityLevel.High }));
            Assert.That(options.Overrides.AlertCodes, Is.EquivalentTo(new Dictionary<string, PriorityLevel> { ["8f35"] = PriorityLevel.Normal, ["N24"] = PriorityLevel.High }));
            Assert.That(options.Overrides.DccAlertPayloads, Is.EquivalentTo(new Dictionary<string, PriorityLevel> { ["PowerOutageEvent"] = PriorityLevel.Critical }));
        });
    }

    [Test]
    public async Task Overrides_FromAppSettings_WinOverDuisDefaults()
    {
        await using var provider = Provider(AppSettings);
        var scheduler = provider.GetRequiredService<IResponseReleaseScheduler>();
        Assert.Multiple(() =>
        {
            Assert.That(Level(scheduler, Response("8.1.1")), Is.EqualTo(PriorityLevel.Bulk), "exact SRV");
            Assert.That(Level(scheduler, Response("4.6.1", ScheduledPayload())), Is.EqualTo(PriorityLevel.Critical), "SRV prefix beats the scheduled rule");
            Assert.That(Level(scheduler, Response("11.2")), Is.EqualTo(PriorityLevel.High), "one-component prefix");
            Assert.That(Level(scheduler, DeviceAlert("8F35")), Is.EqualTo(PriorityLevel.Normal), "alert code, any case");
            Assert.That(Level(scheduler, DccAlert("N24", "UpdateHANDeviceLogResult")), Is.EqualTo(PriorityLevel.High), "DCC alert code");
            Assert.That(Level(scheduler, DccAlert("AD1", "PowerOutageEvent")), Is.EqualTo(PriorityLevel.Critical), "DCC alert payload override beats the catalogue's code default");
            Assert.That(Level(scheduler, Response("7.2")), Is.EqualTo(PriorityLevel.High), "no override: DUIS default");
            Assert.That(Level(scheduler, DeviceAlert("8F0F")), Is.EqualTo(PriorityLevel.Critical), "no override: DUIS default");
        });
    }

    [Test]
    public async Task Chain_IntegratorClassifier_RunsAfterOverridesAndBeforeDuisDefault()
    {
        var integrator = new FixedClassifier(ServiceReferenceVariant.Parse("7.2"), PriorityLevel.Bulk, ServiceReferenceVariant.Parse("8.1.1"));
        await using var provider = Provider(AppSettings, b => b.AddClassifier(integrator));
        var scheduler = provider.GetRequiredService<IResponseReleaseScheduler>();
        Assert.That(Level(scheduler, Response("7.2")), Is.EqualTo(PriorityLevel.Bulk), "integrator beats the DUIS default");
        Assert.That(Level(scheduler, Response("8.1.1")), Is.EqualTo(PriorityLevel.Bulk), "override (Bulk) beats the integrator (also claims 8.1.1 at Bulk, but never asked)");
        Assert.That(integrator.Asked, Does.Not.Contain(ServiceReferenceVariant.Parse("8.1.1")), "the override decided first");
        Assert.That(Level(scheduler, Response("4.1.1")), Is.EqualTo(PriorityLevel.Normal));
    }

    [Test]
    public async Task Chain_DefaultLevel_AppliesOnlyWhenNoClassifierDecides()
    {
        await using var provider = Provider(AppSettings);
        var scheduler = provider.GetRequiredService<ResponseReleaseScheduler>();
        Assert.That(scheduler.Classify(new DuisMessage(DuisMessageKind.Response)), Is.EqualTo(PriorityLevel.Low), "hand-built envelope without SRV: DefaultLevel");
        Assert.That(scheduler.Classify(TestMessages.Response("4.1.1")), Is.EqualTo(PriorityLevel.Normal), "DUIS default decides before DefaultLevel");
    }

    [Test]
    public async Task AddResponsePrioritisation_NoConfiguration_UsesDuisDefaults()
    {
        var services = new ServiceCollection();
        services.AddResponsePrioritisation();
        await using var provider = services.BuildServiceProvider();
        var scheduler = provider.GetRequiredService<IResponseReleaseScheduler>();
        Assert.That(Level(scheduler, Response("8.1.1")), Is.EqualTo(PriorityLevel.Critical));
        Assert.That(Level(scheduler, DeviceAlert("1234")), Is.EqualTo(PriorityLevel.Bulk));
        Assert.That(Level(scheduler, Response("4.6.1", ScheduledPayload())), Is.EqualTo(PriorityLevel.Low));
    }

    [Test]
    public void Constructor_WithoutClassifier_UsesOverridesThenDuisDefaults()
    {
        var options = new ResponsePrioritisationOptions();
        options.Overrides.DccAlertPayloads["CommandFailure"] = PriorityLevel.High;
        options.Overrides.ServiceReferenceVariants["7.*"] = PriorityLevel.Normal;
        var scheduler = new ResponseReleaseScheduler(options);
        Assert.That(Level(scheduler, DccAlert("N1", "CommandFailure")), Is.EqualTo(PriorityLevel.High));
        Assert.That(Level(scheduler, Response("7.2")), Is.EqualTo(PriorityLevel.Normal));
        Assert.That(Level(scheduler, Response("8.1.1")), Is.EqualTo(PriorityLevel.Critical));
        Assert.That(Level(scheduler, DccAlert("N1", "FirmwareVersionMismatch")), Is.EqualTo(PriorityLevel.Bulk));
    }

    [TestCase("\"AlertCodes\": { \"ZZ-1\": \"High\" }", "AlertCodes key 'ZZ-1'")]
    [TestCase("\"ServiceReferenceVariants\": { \"4.6.1.*\": \"High\" }", "ServiceReferenceVariants key '4.6.1.*'")]
    [TestCase("\"DccAlertPayloads\": { \" \": \"High\" }", "DccAlertPayloads has an empty key")]
    public async Task Bind_InvalidOverride_FailsValidationNamingTheKey(string overrides, string expected)
    {
        string json = "{ \"DuisPrioritiser\": { \"Overrides\": { " + overrides + " } } }";
        await using var provider = Provider(json);
        var exception = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ResponsePrioritisationOptions>>().Value.ToString());
        Assert.That(exception!.Message, Does.Contain(expected));
    }

    [Test]
    public async Task Bind_ZeroMaxMessageBytes_FailsValidation()
    {
        await using var provider = Provider("{ \"DuisPrioritiser\": { \"Reader\": { \"MaxMessageBytes\": 0 } } }");
        var exception = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ResponsePrioritisationOptions>>().Value.ToString());
        Assert.That(exception!.Message, Does.Contain("MaxMessageBytes"));
    }

    private sealed class FixedClassifier(ServiceReferenceVariant srv, PriorityLevel level, ServiceReferenceVariant alsoClaims) : IPriorityClassifier
    {
        public List<ServiceReferenceVariant> Asked { get; } = [];

        public bool TryClassify(DuisMessage message, out PriorityLevel decided)
        {
            Asked.Add(message.ServiceReferenceVariant);
            decided = level;
            return message.ServiceReferenceVariant == srv || message.ServiceReferenceVariant == alsoClaims;
        }
    }
}
